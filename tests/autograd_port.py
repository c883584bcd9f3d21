"""Helpers shared by the ports of autograd's test suite (tests/test_autograd_*.py).

autograd's ``check_grads(fun, modes, order=2)(*args)`` becomes
``functrace.testing.check_grads(fun, args, order=2, modes=modes)``; its ``combo_check`` (every
combination of the listed arguments and keyword values, differentiating the positions in
``argnums`` only) is ``combo_check`` below, and its ``numpy_utils`` helpers (``stat_check``,
``unary_ufunc_check``, ``binary_ufunc_check``) are rebuilt on it with the same inputs.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from functrace.testing import check_grads

MODES = ("fwd", "rev")


def check(fun: Callable[..., Any], *args: Any, modes: Sequence[str] = MODES, order: int = 2,
          **tols: Any) -> None:
    """autograd's ``check_grads(fun, modes=modes, order=order)(*args)``."""
    check_grads(fun, args, order=order, modes=tuple(modes), **tols)


def combo_check(fun: Callable[..., Any], argnums: Sequence[int], *arg_lists: Sequence[Any],
                modes: Sequence[str] = MODES, order: int = 2, tols: dict[str, Any] | None = None,
                **kwarg_lists: Sequence[Any]) -> int:
    """Check ``fun``'s derivatives in ``argnums`` at every combination of the given values.

    Positional argument ``i`` takes each value of ``arg_lists[i]``, keyword ``k`` each value of
    ``kwarg_lists[k]``; the arguments outside ``argnums`` are held fixed (closed over), as in
    autograd's ``combo_check``.  Returns the number of combinations checked.
    """
    keys = list(kwarg_lists)
    count = 0
    for args in itertools.product(*arg_lists):
        for values in itertools.product(*(kwarg_lists[k] for k in keys)):
            kwargs = dict(zip(keys, values, strict=True))

            def f(*diff: Any, args: tuple[Any, ...] = args,
                  kwargs: dict[str, Any] = kwargs) -> Any:
                full = list(args)
                for i, d in zip(argnums, diff, strict=True):
                    full[i] = d
                return fun(*full, **kwargs)

            try:
                check_grads(f, [args[i] for i in argnums], order=order, modes=tuple(modes),
                            **(tols or {}))
            except AssertionError as e:
                raise AssertionError(
                    f"{getattr(fun, '__name__', fun)} at args {describe(args)}, "
                    f"kwargs {kwargs}: {e}") from e
            count += 1
    return count


def describe(args: Sequence[Any]) -> str:
    """Arguments as their shapes and dtypes (the values are random)."""
    return ", ".join(f"{np.asarray(a).dtype}{list(np.shape(a))}" if not isinstance(a, str)
                     else repr(a) for a in args)


def transform(lims: Sequence[float], x: Any) -> Any:
    """Map ``x`` from [0, 1) onto ``[lims[0], lims[1])``."""
    return x * (lims[1] - lims[0]) + lims[0]


def stat_check(fun: Callable[..., Any], rng: np.random.Generator, test_complex: bool = True,
               **kwargs: Any) -> None:
    """autograd's ``stat_check``: reductions over scalars, vectors and matrices."""
    R = rng.standard_normal
    x, A, B, C, D = 3.5, R(), R(3), R((2, 3)), R((1, 3))
    combo_check(fun, [0], [x, A], **kwargs)
    combo_check(fun, [0], [B, C, D], axis=[None, 0], keepdims=[True, False], **kwargs)
    combo_check(fun, [0], [C, D], axis=[None, 0, 1], keepdims=[True, False], **kwargs)
    if test_complex:
        c = R() + 0.1j * R()
        E = R((2, 3)) + 0.1j * R((2, 3))
        combo_check(fun, [0], [x, c, A], **kwargs)
        combo_check(fun, [0], [B, C, D, E], axis=[None, 0], keepdims=[True, False], **kwargs)


def unary_ufunc_check(fun: Callable[..., Any], rng: np.random.Generator,
                      lims: Sequence[float] = (-2.0, 2.0), test_complex: bool = True,
                      **kwargs: Any) -> None:
    """autograd's ``unary_ufunc_check``: a scalar, a vector and two matrices (and complex)."""
    scalar = transform(lims, 0.4)
    vector = transform(lims, rng.random(2))
    mat = transform(lims, rng.random((3, 2)))
    mat2 = transform(lims, rng.random((1, 2)))
    combo_check(fun, [0], [scalar, vector, mat, mat2], **kwargs)
    if test_complex:
        comp = transform(lims, 0.4) + 0.1j * transform(lims, 0.3)
        matc = transform(lims, rng.random((3, 2))) + 0.1j * rng.random((3, 2))
        combo_check(fun, [0], [comp, matc], **kwargs)


def binary_ufunc_check(fun: Callable[..., Any], rng: np.random.Generator,
                       lims_A: Sequence[float] = (-2.0, 2.0),
                       lims_B: Sequence[float] = (-2.0, 2.0), test_complex: bool = True,
                       same_args: bool = True, **kwargs: Any) -> None:
    """autograd's ``binary_ufunc_check`` (every pairing of a scalar, a vector and two matrices,
    then with complex values); ``same_args=False`` is its ``_no_same_args`` variant, which
    draws the two operands independently (``mod`` has no derivative where they are equal)."""
    def T_A(x: Any) -> Any:
        return transform(lims_A, x)

    def T_B(x: Any) -> Any:
        return transform(lims_B, x)

    def operands() -> list[Any]:
        return [0.6, rng.random(2), rng.random((3, 2)), rng.random((1, 2))]

    first = operands()
    second = first if same_args else [0.7] + operands()[1:]
    combo_check(fun, [0, 1], [T_A(a) for a in first], [T_B(b) for b in second], **kwargs)
    if test_complex:
        comp, matc = 0.6 + 0.3j, rng.random((3, 2)) + 0.1j * rng.random((3, 2))
        if same_args:
            comp2, matc2 = comp, matc
        else:
            comp2, matc2 = 0.1 + 0.2j, rng.random((3, 2)) + 0.1j * rng.random((3, 2))
        combo_check(fun, [0, 1],
                    [T_A(a) for a in (first[0], comp, first[1], matc, first[3])],
                    [T_B(b) for b in (second[0], comp2, second[1], matc2, second[3])],
                    **kwargs)
