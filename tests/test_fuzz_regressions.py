"""Programs where differential fuzzing against JAX found functrace differing, each reduced to a
minimal case and checked against a closed form or NumPy."""

from __future__ import annotations

from typing import Any

import numpy as np

import functrace as ft
import functrace.numpy as fnp

X = np.array([[0.3, 0.7, -1.2], [1.0, -2.0, 0.6]])


def _masked(x: Any) -> Any:
    """A boolean mask computed from the input, used as an index to read and to write."""
    return fnp.sum(x.at[x > 0.5].set(0.0) ** 2) + fnp.sum(x[x < 0.5] ** 3)


def _repeated(x: Any, counts: Any = None) -> Any:
    counts = (x[0] > 0.5).astype(int) + 1 if counts is None else counts
    return fnp.repeat(x, counts, axis=1) ** 2


def _rolled(x: Any, shift: Any = None) -> Any:
    return fnp.roll(x, fnp.argmax(x[0]) if shift is None else shift, axis=1) * x


# Values that decide a shape (a boolean mask, repeat counts, reduceat's indices) or a static
# shift are known under jacfwd and hessian of concrete inputs, as under grad and jacrev (and in
# JAX): jacfwd's vmap over the tangent basis left them tracers with known values, which these
# refused.
def test_value_dependent_shapes_under_jacfwd() -> None:
    lo, below = X <= 0.5, X < 0.5
    np.testing.assert_allclose(ft.jacfwd(_masked)(X), 2 * X * lo + 3 * X ** 2 * below,
                               rtol=1e-15)
    hess = np.diag((2 * lo + 6 * X * below).ravel()).reshape(X.shape * 2)
    np.testing.assert_allclose(ft.hessian(_masked)(X), hess, rtol=1e-15)
    # The same programs with the counts and the shift written as constants.
    np.testing.assert_allclose(ft.jacfwd(_repeated)(X),
                               ft.jacfwd(lambda x: _repeated(x, np.array([1, 2, 1])))(X))
    np.testing.assert_allclose(ft.jacfwd(_rolled)(X), ft.jacfwd(lambda x: _rolled(x, 1))(X))
    np.testing.assert_allclose(  # reduceat's indices: 0 and argmax(X[0]) == 1
        ft.jacfwd(lambda x: fnp.add.reduceat(x[0], fnp.stack([0, fnp.argmax(x[0])])))(X),
        ft.jacfwd(lambda x: fnp.add.reduceat(x[0], np.array([0, 1])))(X))


def test_roll_by_a_traced_shift() -> None:
    """``roll`` by a shift known only when run (a ``jit`` argument, a loop counter, a batched
    shift), as JAX's: it used to fail with 'iteration over a 0-d traced array'."""
    x = np.arange(10.0).reshape(2, 5)
    for shift in (0, 3, -2, 7, 5):
        np.testing.assert_array_equal(ft.jit(lambda x, s: fnp.roll(x, s, axis=1))(x, shift),
                                      np.roll(x, shift, axis=1))
        np.testing.assert_array_equal(ft.jit(lambda x, s: fnp.roll(x, s))(x, shift),
                                      np.roll(x, shift))
    shifts = np.array([1, -4])
    np.testing.assert_array_equal(ft.jit(lambda x, s: fnp.roll(x, s, axis=(0, 1)))(x, shifts),
                                  np.roll(x, (1, -4), axis=(0, 1)))
    np.testing.assert_array_equal(ft.vmap(lambda s: fnp.roll(x[0], s))(np.arange(4)),
                                  np.stack([np.roll(x[0], s) for s in range(4)]))
    # The derivative moves back: d/dx sum(roll(x, s) * w) = roll(w, -s).
    w = np.cos(np.arange(5.0))
    g = ft.jit(ft.grad(lambda x, s: fnp.sum(fnp.roll(x, s) * w)))(x[0], 2)
    np.testing.assert_allclose(g, np.roll(w, -2), rtol=1e-15)
    np.testing.assert_array_equal(ft.jit(lambda x, s: fnp.roll(x, s))(x[0], np.array([1, 3])),
                                  np.roll(x[0], (1, 3)))


def test_slogdet_is_a_named_tuple() -> None:
    """As NumPy's and JAX's, through every transformation (the pytree keeps its type)."""
    a = np.array([[2.0, 0.5], [0.5, -1.0]])
    for result in (fnp.linalg.slogdet(a), ft.jit(fnp.linalg.slogdet)(a),
                   ft.jacfwd(fnp.linalg.slogdet)(a)):
        assert type(result) is fnp.linalg.SlogdetResult
    sign, logabsdet = ft.jit(fnp.linalg.slogdet)(a)
    assert ft.jacrev(fnp.linalg.slogdet)(a).sign.shape == (2, 2)
    np.testing.assert_allclose(sign * np.exp(logabsdet), np.linalg.det(a), rtol=1e-15)
