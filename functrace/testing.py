"""Checking derivatives against numerical differentiation (the chapter's central differences).

``numerical_jacobian`` computes ``(f(x + eps) - f(x - eps)) / 2 eps`` entry by entry: exact
up to O(eps^2), but one pair of evaluations per input entry (the O(W^2) cost that makes it a
*check*, not a training method).  ``check_grads`` compares functrace's jvp and vjp with central
differences along random directions, recursively for higher orders.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from functrace.api import jvp, vjp
from functrace.dtypes import float0_zeros, is_float0
from functrace.tree_util import tree_flatten, tree_map

# Step sizes balance truncation error O(eps^2) against rounding error O(machine eps / eps).
_DEFAULT_EPS = {np.dtype(np.float16): 1e-1, np.dtype(np.float32): 3e-3,
                np.dtype(np.float64): 1e-5}
_DEFAULT_TOL = {np.dtype(np.float16): 5e-2, np.dtype(np.float32): 2e-2,
                np.dtype(np.float64): 1e-5}


def _float_dtype(leaves: Sequence[Any]) -> np.dtype[Any]:
    """The lowest precision among floating leaves (it sets step sizes and tolerances)."""
    dtypes = [np.asarray(x).dtype for x in leaves if np.asarray(x).dtype.kind in "fc"]
    if not dtypes:
        return np.dtype(np.float64)
    return min(dtypes, key=lambda d: np.finfo(d).eps * -1)


def _parts_dtype(dtype: Any) -> np.dtype[Any]:
    """A complex dtype's parts' dtype (complex64: float32), which sets its step and tolerance."""
    dtype = np.dtype(dtype)
    return np.dtype(np.finfo(dtype).dtype) if dtype.kind == "c" else dtype


def default_eps(dtype: Any) -> float:
    return _DEFAULT_EPS.get(_parts_dtype(dtype), 1e-5)


def default_tolerance(dtype: Any) -> float:
    return _DEFAULT_TOL.get(_parts_dtype(dtype), 1e-5)


def numerical_jacobian(f: Callable[..., Any], *args: Any, argnums: int | Sequence[int] = 0,
                       eps: float | None = None) -> Any:
    """The Jacobian of ``f`` by central differences, laid out as ``jacfwd``'s.

    Each entry is ``(f(x + eps e_i) - f(x - eps e_i)) / (2 eps)``.  Arguments in ``argnums``
    must be floating-point arrays (or numbers); the result has shape ``out.shape + in.shape``,
    a tuple of such Jacobians for tuple ``argnums``.  ``f`` must return one array.

    >>> import numpy as np
    >>> J = numerical_jacobian(lambda x: x ** 2, np.array([1.0, 2.0]))
    >>> np.round(J, 6)
    array([[2., 0.],
           [0., 4.]])
    """
    nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    arrays = [np.asarray(a) for a in args]
    jacs = []
    for i in nums:
        x = arrays[i]
        if x.dtype.kind not in "fc":
            raise TypeError(f"numerical_jacobian: argument {i} has dtype {x.dtype}; "
                            "only floating point inputs can be perturbed.")
        step = default_eps(x.dtype) if eps is None else eps
        columns = []
        for j in range(x.size):
            plus, minus = x.copy().reshape(-1), x.copy().reshape(-1)
            plus[j] += step
            minus[j] -= step
            f_plus = np.asarray(f(*_replace(arrays, i, plus.reshape(x.shape))))
            f_minus = np.asarray(f(*_replace(arrays, i, minus.reshape(x.shape))))
            columns.append((f_plus - f_minus) / (2 * step))
        out_shape = np.shape(f(*arrays)) if not columns else columns[0].shape
        jac = np.stack(columns, axis=-1) if columns else np.zeros(out_shape + (0,))
        jacs.append(jac.reshape(out_shape + x.shape))
    return jacs[0] if isinstance(argnums, int) else tuple(jacs)


def _replace(args: list[Any], i: int, value: Any) -> list[Any]:
    out = list(args)
    out[i] = value
    return out


# ---------------------------------------------------------------------------------------------
# check_grads


def _random_like(rng: np.random.Generator, tree: Any) -> Any:
    def draw(x: Any) -> Any:
        x = np.asarray(x)
        if x.dtype.kind not in "fc":
            return float0_zeros(x.shape)  # integers and booleans have no direction to go
        if x.dtype.kind == "c":  # a direction in the complex plane: both parts random
            return (rng.standard_normal(x.shape)
                    + 1j * rng.standard_normal(x.shape)).astype(x.dtype)
        return rng.standard_normal(x.shape).astype(x.dtype)

    return tree_map(draw, tree)


def _axpy(a: float, x: Any, y: Any) -> Any:
    """``y + a * x`` on pytrees, perturbing floating leaves only."""
    def step(xi: Any, yi: Any) -> Any:
        yi = np.asarray(yi)
        return yi + (a * np.asarray(xi)).astype(yi.dtype) if yi.dtype.kind in "fc" else yi

    return tree_map(step, x, y)


def _wide(x: Any) -> np.ndarray:
    """``x`` in float64 (complex128 if complex), for comparing; ``float0`` as zeros."""
    x = np.asarray(x)
    if is_float0(x):
        return np.zeros(x.shape)
    return x.astype(np.complex128 if x.dtype.kind == "c" else np.float64)


def _vdot(x: Any, y: Any) -> float:
    """The real inner product ``Re(sum(conj(x) * y))`` of two pytrees (floating leaves)."""
    xs, _ = tree_flatten(x)
    ys, _ = tree_flatten(y)
    return float(sum(np.vdot(_wide(a), _wide(b)).real
                     for a, b in zip(xs, ys, strict=True) if np.asarray(b).dtype.kind in "fc"))


def _conj(tree: Any) -> Any:
    return tree_map(lambda x: np.conj(x) if np.asarray(x).dtype.kind == "c" else x, tree)


def _assert_close(expected: Any, got: Any, atol: float, rtol: float, what: str) -> None:
    e_leaves, _ = tree_flatten(expected)
    g_leaves, _ = tree_flatten(got)
    for k, (e, g) in enumerate(zip(e_leaves, g_leaves, strict=True)):
        e, g = _wide(e), _wide(g)
        if e.shape != g.shape:
            raise AssertionError(f"{what}: output {k} has shape {g.shape}, expected {e.shape}")
        err = np.abs(e - g) - (atol + rtol * np.abs(e))
        if e.size and (np.any(err > 0) or not np.all(np.isfinite(g) == np.isfinite(e))):
            idx = np.unravel_index(np.argmax(np.where(np.isfinite(err), err, np.inf)), e.shape)
            raise AssertionError(
                f"{what} does not match central differences (output {k}): worst entry at "
                f"index {tuple(int(i) for i in idx)}: expected {e[idx]!r}, got {g[idx]!r} "
                f"(|diff| = {abs(e[idx] - g[idx]):.3g}, atol={atol:g}, rtol={rtol:g})."
            )


def check_jvp(f: Callable[..., Any], args: Sequence[Any], eps: float, atol: float,
              rtol: float, rng: np.random.Generator) -> None:
    """jvp along a random direction equals the central difference along it."""
    v = _random_like(rng, tuple(args))
    out, out_dot = jvp(f, tuple(args), v)
    f_plus = f(*_axpy(eps, v, tuple(args)))
    f_minus = f(*_axpy(-eps, v, tuple(args)))
    numeric = tree_map(lambda p, m: (_wide(p) - _wide(m)) / (2 * eps), f_plus, f_minus)
    _assert_close(numeric, out_dot, atol, rtol, "jvp")
    _assert_close(f(*args), out, atol, rtol, "jvp primal output")


def check_vjp(f: Callable[..., Any], args: Sequence[Any], eps: float, atol: float,
              rtol: float, rng: np.random.Generator) -> None:
    """<u, J v> from vjp equals <u, central difference along v>, for random u and v.

    With complex values the inner product is ``Re(sum(conj(a) * b))`` and the vjp is JAX's
    (the transpose of the jvp, no conjugation), so the pulled-back ``u`` is
    ``conj(vjp(conj(u)))``."""
    out, vjp_fn = vjp(f, *args)
    u = _random_like(rng, out)
    v = _random_like(rng, tuple(args))
    ct_in = _conj(vjp_fn(_conj(u)))
    f_plus = f(*_axpy(eps, v, tuple(args)))
    f_minus = f(*_axpy(-eps, v, tuple(args)))
    numeric = tree_map(lambda p, m: (_wide(p) - _wide(m)) / (2 * eps), f_plus, f_minus)
    expected, got = _vdot(u, numeric), _vdot(ct_in, v)
    scale = max(1.0, abs(expected))
    if abs(expected - got) > atol * scale + rtol * abs(expected):
        raise AssertionError(
            f"vjp does not match central differences: <u, J v> expected {expected!r}, got "
            f"{got!r} (|diff| = {abs(expected - got):.3g}, atol={atol:g}, rtol={rtol:g})."
        )


def check_grads(f: Callable[..., Any], args: Sequence[Any], order: int = 1,
                modes: Sequence[str] = ("fwd", "rev"), eps: float | None = None,
                atol: float | None = None, rtol: float | None = None,
                seed: int = 0) -> None:
    """Check ``f``'s derivatives up to ``order`` against central differences.

    ``"fwd"`` compares ``jvp`` along a random direction with the central difference along it;
    ``"rev"`` compares ``vjp`` through the identity ``<u, J v> = <J^T u, v>``.  For ``order``
    > 1 the same checks run on the derivative functions themselves (jvp-of-jvp, vjp-of-vjp),
    as functions of the primals and of the tangent (cotangent) both.
    Step size and tolerances default by the inputs' precision (float64: eps 1e-5, tol 1e-5;
    float32: eps 3e-3, tol 2e-2).

    Raises:
      AssertionError: naming the worst entry, the expected and the computed value.

    >>> import functrace.numpy as fnp
    >>> check_grads(fnp.sin, (0.5,), order=2)
    """
    for mode in modes:
        if mode not in ("fwd", "rev"):
            raise ValueError(f"check_grads: modes must be 'fwd' and/or 'rev', got {mode!r}.")
    args = tuple(args)
    leaves, _ = tree_flatten(args)
    dtype = _float_dtype(leaves)
    eps = default_eps(dtype) if eps is None else eps
    atol = default_tolerance(dtype) if atol is None else atol
    rtol = default_tolerance(dtype) if rtol is None else rtol
    rng = np.random.default_rng(seed)
    _check(f, args, order, tuple(modes), eps, atol, rtol, rng)


def _check(f: Callable[..., Any], args: tuple[Any, ...], order: int, modes: tuple[str, ...],
           eps: float, atol: float, rtol: float, rng: np.random.Generator) -> None:
    # The derivative functions checked at the next order take the direction as an argument
    # too (as autograd's and JAX's checks do): ``jvp`` is linear in its tangent and ``vjp``
    # in its cotangent, and their derivatives in those arguments (the transposes a second
    # reverse pass runs) are checked along with those in the primals.
    n = len(args)
    if "fwd" in modes:
        check_jvp(f, args, eps, atol, rtol, rng)
        if order > 1:
            def f_jvp(*primals_and_tangents: Any) -> Any:
                primals, tangents = primals_and_tangents[:n], primals_and_tangents[n:]
                return jvp(f, primals, tangents)[1]

            _check(f_jvp, args + tuple(_random_like(rng, args)), order - 1, ("fwd",), eps,
                   atol, rtol, rng)
    if "rev" in modes:
        check_vjp(f, args, eps, atol, rtol, rng)
        if order > 1:
            def f_vjp(*primals_and_cotangent: Any) -> Any:
                return vjp(f, *primals_and_cotangent[:n])[1](primals_and_cotangent[n])

            _check(f_vjp, args + (_random_like(rng, f(*args)),), order - 1, ("rev",), eps,
                   atol, rtol, rng)
