"""``functrace.lax``'s remaining jax.lax names (``functrace/_lax_misc.py`` and the shape
helpers and unshared convolution of ``functrace/_lax_conv.py``) against JAX: ``fft`` and
``FftType``, ``bitcast_convert_type``, ``approx_max_k`` / ``approx_min_k``,
``shape_as_value``, ``conv_general_dilated_local``, the ``*_shape_tuple`` functions, and the
type names.  Values, dtypes, derivatives, transformations and errors."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import functrace as ft
import functrace.numpy as fnp
from functrace import lax
from functrace.testing import check_grads

jax = pytest.importorskip("jax")
jax.config.update("jax_enable_x64", True)
jlax = jax.lax
jnp = jax.numpy

rng = np.random.default_rng(0)


def _same(ours: Any, theirs: Any, tol: float = 0.0) -> None:
    ours, theirs = np.asarray(ours), np.asarray(theirs)
    assert ours.shape == theirs.shape and ours.dtype == theirs.dtype, (
        ours.shape, ours.dtype, theirs.shape, theirs.dtype)
    if tol:
        np.testing.assert_allclose(ours, theirs, rtol=tol, atol=tol)
    else:
        np.testing.assert_array_equal(ours, theirs)


# ---------------------------------------------------------------------------------------------
# fft

X3 = rng.standard_normal((2, 4, 6))
Z3 = X3 + 1j * rng.standard_normal((2, 4, 6))
# fft_type, input, lengths
FFTS: list[tuple[Any, np.ndarray, tuple[int, ...]]] = [
    (lax.FftType.FFT, Z3, (6,)), ("fft", Z3, (4, 6)), ("FFT", X3, (2, 4, 6)),
    (lax.FftType.IFFT, Z3, (4, 6)), ("ifft", X3.astype(np.float32), (6,)),
    (lax.FftType.RFFT, X3, (4, 6)), ("rfft", X3.astype(np.float32), (6,)),
    ("RFFT", np.arange(10).reshape(2, 5), (5,)),
    (lax.FftType.IRFFT, Z3[..., :4], (4, 6)), ("irfft", Z3[..., :3], (5,)),
    ("fft", Z3, ()),
]


@pytest.mark.parametrize("case", FFTS, ids=lambda c: f"{c[0]}-{c[1].dtype}-{c[2]}")
def test_fft_matches_jax(case: Any) -> None:
    kind, x, lengths = case
    jkind = jlax.FftType[kind.name] if isinstance(kind, lax.FftType) else kind
    tol = 1e-5 if x.dtype == np.float32 else 1e-12
    _same(lax.fft(x, kind, lengths), jlax.fft(x, jkind, lengths), tol)
    _same(ft.jit(lambda x: lax.fft(x, kind, lengths))(x), jlax.fft(x, jkind, lengths), tol)


@pytest.mark.parametrize("kind,x,lengths", [("fft", Z3, (4, 6)), ("rfft", X3, (6,)),
                                            ("irfft", Z3[..., :4], (6,)), ("ifft", Z3, (6,))])
def test_fft_gradients_match_jax(kind: str, x: np.ndarray, lengths: tuple[int, ...]) -> None:
    w = rng.standard_normal(np.shape(jlax.fft(x, kind, lengths)))

    def f(np_mod: Any, fft: Any) -> Any:
        return lambda x: np_mod.sum(np_mod.real(fft(x, kind, lengths) * w) ** 2)

    _same(ft.grad(f(fnp, lax.fft))(x), jax.grad(f(jnp, jlax.fft))(x), 1e-9)
    check_grads(lambda x: lax.fft(x, kind, lengths), (x,), order=2, modes=("fwd", "rev"))
    batched = ft.vmap(lambda x: lax.fft(x, kind, lengths))(np.stack([x, 2 * x]))
    _same(batched, np.stack([lax.fft(x, kind, lengths), lax.fft(2 * x, kind, lengths)]), 1e-12)


def test_fft_type_enum_matches_jax() -> None:
    assert [(t.name, int(t)) for t in lax.FftType] == [(t.name, int(t)) for t in jlax.FftType]


@pytest.mark.parametrize("call,error,match", [
    (lambda: lax.fft(Z3, "rfft", (6,)), ValueError, "only real"),
    (lambda: lax.fft(X3, "dct", (6,)), ValueError, "unknown FFT type"),
    (lambda: lax.fft(X3, 3, (6,)), TypeError, "FftType"),
    (lambda: lax.fft(Z3, "fft", (5,)), ValueError, "trailing axes"),
])
def test_fft_errors(call: Any, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        call()


# ---------------------------------------------------------------------------------------------
# bitcast_convert_type

BITCASTS = [(np.float32, np.int32), (np.float64, np.uint64), (np.int8, np.uint8),
            (np.float64, np.int32), (np.float64, np.float32), (np.int64, np.int8),
            (np.float32, np.uint16), (np.int32, np.float64), (np.uint8, np.float32),
            (np.int16, np.int64), (np.float16, np.int16), (np.complex64, np.complex64)]


def _bits_input(old: Any, new: Any) -> np.ndarray:
    old, new = np.dtype(old), np.dtype(new)
    shape: tuple[int, ...] = (3, 2)
    if new.itemsize > old.itemsize:
        shape = (3, new.itemsize // old.itemsize)
    raw = rng.integers(0, 256, size=(*shape, old.itemsize), dtype=np.uint8)
    x = raw.view(old).reshape(shape)
    if old.kind in "fc":  # keep NaN payloads out: JAX's transfers may canonicalise them
        x = np.where(np.isfinite(x), x, 1).astype(old)
    return x


@pytest.mark.parametrize("old,new", BITCASTS, ids=lambda d: np.dtype(d).name)
def test_bitcast_convert_type_matches_jax(old: Any, new: Any) -> None:
    x = _bits_input(old, new)
    theirs = jlax.bitcast_convert_type(x, new)
    if np.dtype(new).kind == "f":  # compare the bits of float results (NaNs do not compare)
        view = np.dtype(f"u{np.dtype(new).itemsize}")
        _same(np.asarray(lax.bitcast_convert_type(x, new)).view(view),
              np.asarray(theirs).view(view))
    else:
        _same(lax.bitcast_convert_type(x, new), theirs)
    _same(np.asarray(ft.jit(lambda x: lax.bitcast_convert_type(x, new))(x)).view(np.uint8),
          np.asarray(theirs).view(np.uint8))
    _same(np.asarray(ft.vmap(lambda x: lax.bitcast_convert_type(x, new))(x)).view(np.uint8),
          np.asarray(theirs).view(np.uint8))


def test_bitcast_convert_type_scalar_and_derivatives() -> None:
    _same(lax.bitcast_convert_type(np.float64(1.0), np.int32),
          jlax.bitcast_convert_type(np.float64(1.0), np.int32))
    # float to float: a zero gradient; to an integer: a float0 tangent, as JAX's
    f = lambda x: lax.bitcast_convert_type(x, np.float32)  # noqa: E731
    g = ft.grad(lambda x: fnp.sum(f(x)))(np.float64(1.5))
    assert float(g) == 0.0 == float(jax.grad(lambda x: jnp.sum(jlax.bitcast_convert_type(
        x, jnp.float32)))(1.5))
    _, t = ft.jvp(lambda x: lax.bitcast_convert_type(x, np.int64), (1.5,), (1.0,))
    _, jt = jax.jvp(lambda x: jlax.bitcast_convert_type(x, jnp.int64), (1.5,), (1.0,))
    assert np.asarray(t).dtype == np.asarray(jt).dtype and np.shape(t) == np.shape(jt)


@pytest.mark.parametrize("call,error,match", [
    (lambda: lax.bitcast_convert_type(np.ones(2, bool), np.int8), TypeError, "booleans"),
    (lambda: lax.bitcast_convert_type(np.ones(2, np.complex64), np.int64), TypeError, "complex"),
    (lambda: lax.bitcast_convert_type(np.ones((2, 3), np.int32), np.int64), ValueError,
     "last axis of 2"),
    (lambda: lax.bitcast_convert_type(np.int32(1), np.int64), ValueError, "last axis of 2"),
    (lambda: ft.jit(lambda x: lax.bitcast_convert_type(x, np.int64))(np.ones(3, np.int32)),
     ValueError, "last axis of 2"),
])
def test_bitcast_convert_type_errors(call: Any, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        call()


# ---------------------------------------------------------------------------------------------
# approx_max_k, approx_min_k

TIES = np.array([[1.0, 4.0, 3.0, 4.0, -2.0, 3.0], [0.0, 0.0, 5.0, 1.0, 1.0, -1.0]])


@pytest.mark.parametrize("name", ["approx_max_k", "approx_min_k"])
@pytest.mark.parametrize("x,k,dim,aggregate", [
    (TIES, 3, -1, True), (TIES, 1, 0, True), (TIES.T.copy(), 2, 0, True),
    (rng.standard_normal((3, 5, 4)), 2, 1, True), (TIES, 2, 1, False),
    (TIES.astype(np.float32), 6, -1, True),
])
def test_approx_k_matches_jax(name: str, x: np.ndarray, k: int, dim: int,
                              aggregate: bool) -> None:
    ours = getattr(lax, name)(x, k, reduction_dimension=dim, aggregate_to_topk=aggregate)
    theirs = getattr(jlax, name)(x, k, reduction_dimension=dim, aggregate_to_topk=aggregate)
    for o, t in zip(ours, theirs, strict=True):
        _same(o, t)
    w = rng.standard_normal(np.shape(theirs[0]))
    grad = ft.grad(lambda x: fnp.sum(getattr(lax, name)(
        x, k, dim, aggregate_to_topk=aggregate)[0] * w))(x)
    jgrad = jax.grad(lambda x: jnp.sum(getattr(jlax, name)(
        x, k, dim, aggregate_to_topk=aggregate)[0] * w))(x)
    _same(grad, jgrad)
    batched = ft.vmap(lambda x: getattr(lax, name)(x, k, dim)[0])(np.stack([x, -x]))
    _same(batched, np.stack([getattr(lax, name)(x, k, dim)[0],
                             getattr(lax, name)(-x, k, dim)[0]]))


def test_approx_k_check_grads() -> None:
    x = rng.standard_normal((3, 5))
    check_grads(lambda x: lax.approx_max_k(x, 2)[0], (x,), order=2, modes=("fwd", "rev"))
    check_grads(lambda x: lax.approx_min_k(x, 2, reduction_dimension=0)[0], (x,), order=2,
                modes=("fwd", "rev"))


@pytest.mark.parametrize("call,error,match", [
    (lambda: lax.approx_max_k(np.arange(4), 2), ValueError, "floating"),
    (lambda: lax.approx_min_k(TIES, 7), ValueError, "k must be"),
    (lambda: lax.approx_max_k(TIES, 2, reduction_dimension=2), ValueError, "out of range"),
    (lambda: lax.approx_max_k(np.float64(1.0), 1), ValueError, "at least one axis"),
])
def test_approx_k_errors(call: Any, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        call()


# ---------------------------------------------------------------------------------------------
# shapes

CONV_SHAPES = [
    ((2, 3, 9, 9), (4, 3, 3, 3), (1, 1), "VALID"),
    ((2, 3, 9, 8), (4, 3, 3, 2), (2, 3), "SAME"),
    ((1, 2, 7), (5, 2, 4), (2,), "SAME_LOWER"),
    ((1, 2, 7, 5), (5, 2, 4, 2), (2, 1), ((1, 2), (0, -1))),
]


@pytest.mark.parametrize("case", CONV_SHAPES, ids=str)
def test_conv_shape_tuples_match_jax(case: Any) -> None:
    lhs, rhs, strides, padding = case
    assert lax.conv_shape_tuple(lhs, rhs, strides, padding) == tuple(
        jlax.conv_shape_tuple(lhs, rhs, strides, padding))
    if len(lhs) == 4:
        perm = ((0, 2, 3, 1), (2, 3, 1, 0), (0, 2, 3, 1))  # NHWC, HWIO, NHWC
        lhs_t = tuple(lhs[i] for i in perm[0])
        rhs_t = tuple(rhs[i] for i in (2, 3, 1, 0))
        dn = ("NHWC", "HWIO", "NHWC")
        assert lax.conv_general_shape_tuple(lhs_t, rhs_t, strides, padding, dn) == tuple(
            jlax.conv_general_shape_tuple(lhs_t, rhs_t, strides, padding, dn))
        if isinstance(padding, str) and padding != "SAME_LOWER":
            ours = lax.conv_transpose_shape_tuple(lhs_t, rhs_t, strides, padding, dn)
            theirs = tuple(jlax.conv_transpose_shape_tuple(lhs_t, rhs_t, strides, padding, dn))
            assert ours == theirs
            # and it is the shape conv_transpose computes
            out = lax.conv_transpose(np.ones(lhs_t), np.ones(rhs_t), strides, padding,
                                     dimension_numbers=dn)
            assert np.shape(out) == ours


@pytest.mark.parametrize("args", [
    ((4, 6), (2, 2), (2, 2), ((0, 0), (1, 1))),
    ((5, 7, 3), (3, 2, 1), (1, 2, 1), ((1, 1), (0, 0), (2, 0)), (2, 1, 1), (1, 2, 1)),
    ((3,), (5,), (1,), ((0, 0),)),
])
def test_reduce_window_shape_tuple_matches_jax(args: Any) -> None:
    assert lax.reduce_window_shape_tuple(*args) == tuple(jlax.reduce_window_shape_tuple(*args))
    x = np.ones(args[0])
    out = lax.reduce_window(x, 0.0, lax.add, args[1], args[2], args[3], *args[4:])
    assert np.shape(out) == lax.reduce_window_shape_tuple(*args)


def test_shape_as_value() -> None:
    _same(lax.shape_as_value((2, 3)), jlax.shape_as_value((2, 3)))
    _same(lax.shape_as_value(()), jlax.shape_as_value(()))


# ---------------------------------------------------------------------------------------------
# conv_general_dilated_local

LOCAL = [
    # lhs shape, filter_shape, strides, padding, lhs_dil, rhs_dil, dimension numbers
    ((2, 3, 6), (3,), (1,), "VALID", None, None, None),
    ((1, 2, 5, 6), (2, 3), (2, 1), "SAME", None, (1, 2), None),
    ((2, 5, 6, 3), (3, 2), (1, 2), ((1, 0), (0, 1)), (1, 2), None, ("NHWC", "HWIO", "NHWC")),
    ((2, 5, 6, 3), (2, 2), (1, 1), "VALID", None, None, ("NHWC", "OIHW", "NCHW")),
]


@pytest.mark.parametrize("case", LOCAL, ids=str)
def test_conv_general_dilated_local_matches_jax(case: Any) -> None:
    shape, filt, strides, padding, lhs_dil, rhs_dil, dn = case
    x = rng.standard_normal(shape)
    patches = jlax.conv_general_dilated_patches(x, filt, strides, padding, lhs_dil, rhs_dil, dn)
    dnums = jlax.conv_dimension_numbers(shape, (1, 1, *filt), dn)
    out_sp = [patches.shape[d] for d in dnums.out_spec[2:]]
    k = patches.shape[dnums.out_spec[1]]
    rhs_shape = [0] * len(shape)
    for role, size in zip(dnums.rhs_spec, (4, k, *out_sp), strict=True):
        rhs_shape[role] = size
    w = rng.standard_normal(rhs_shape)

    def f(m: Any) -> Any:
        return lambda x, w: m.conv_general_dilated_local(x, w, strides, padding, filt, lhs_dil,
                                                         rhs_dil, dn)

    _same(f(lax)(x, w), f(jlax)(x, w), 1e-12)
    ct = rng.standard_normal(np.shape(f(jlax)(x, w)))
    ours = ft.grad(lambda x, w: fnp.sum(f(lax)(x, w) * ct), argnums=(0, 1))(x, w)
    theirs = jax.grad(lambda x, w: jnp.sum(f(jlax)(x, w) * ct), argnums=(0, 1))(x, w)
    for o, t in zip(ours, theirs, strict=True):
        _same(o, t, 1e-12)
    _same(ft.jit(f(lax))(x, w), f(jlax)(x, w), 1e-12)
    _same(ft.vmap(f(lax), in_axes=(None, 0))(x, np.stack([w, -w])),
          np.stack([f(jlax)(x, w), f(jlax)(x, -w)]), 1e-12)


def test_conv_general_dilated_local_errors() -> None:
    x = np.ones((1, 2, 5))
    with pytest.raises(ValueError, match="does not fit"):
        lax.conv_general_dilated_local(x, np.ones((3, 4, 3)), (1,), "VALID", (2,))
    with pytest.raises(TypeError, match="same dtype"):
        lax.conv_general_dilated_local(x, np.ones((3, 4, 4), np.float32), (1,), "VALID", (2,))


# ---------------------------------------------------------------------------------------------
# type names


def test_type_names() -> None:
    assert [(p.name, p.value) for p in lax.Precision] == [
        (p.name, p.value) for p in jlax.Precision]
    x = rng.standard_normal((3, 3))
    for precision in (lax.Precision.HIGHEST, "highest", (lax.Precision.HIGH,) * 2, None):
        _same(lax.dot(x, x, precision=precision), x @ x)
        _same(lax.dot_general(x, x, (((1,), (0,)), ((), ())), precision=precision), x @ x)
        lax.conv_general_dilated(x[None, None], x[None, None], (1, 1), "SAME",
                                 precision=precision)
    for name in ("DotDimensionNumbers", "ConvGeneralDilatedDimensionNumbers", "PrecisionLike"):
        assert getattr(lax, name) is not None
    names = {n for n in dir(jlax) if not n.startswith("_") and not n.endswith("_p")}
    assert {"fft", "FftType", "linalg", "bitcast_convert_type", "approx_max_k",
            "conv_general_dilated_local"} <= names & set(dir(lax))
