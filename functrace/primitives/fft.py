"""The discrete Fourier transform: one primitive, ``fft``, over the trailing axes (as JAX's).

``fft[fft_type, fft_lengths] x`` transforms the last ``len(fft_lengths)`` axes of ``x``:

* ``"fft"`` / ``"ifft"``: complex to complex, unnormalised forward and ``1/N``-normalised
  inverse (``np.fft.fftn`` / ``ifftn``);
* ``"rfft"``: real to the non-negative frequencies, the last axis becoming ``n // 2 + 1``
  long (``np.fft.rfftn``);
* ``"irfft"``: their inverse, the last axis (``n // 2 + 1`` long) becoming ``n`` long, which
  ``fft_lengths`` gives (``np.fft.irfftn``).

Every type is linear, so the jvp applies the same transform to the tangent.  The vjp is the
transpose, in JAX's convention (no conjugation added; see ``elementwise``'s complex numbers):
the DFT matrix is symmetric, so ``fft`` and ``ifft`` are their own transposes; ``rfft`` is
``fft`` of the real input cut to the first half, whose transpose zero-pads the cotangent back,
transforms it, and keeps the real part; ``irfft`` rebuilds the full (Hermitian) spectrum from
the half, whose transpose is ``conj(rfft(ct)) / N`` with the mirrored frequencies (all but the
first and, for even ``n``, the last) counted twice.  ``functrace.numpy.fft`` is written on it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from functrace.core import Primitive, ShapedArray, get_aval
from functrace.interpreters.jvp import deflinear_jvp
from functrace.interpreters.vjp import defvjp
from functrace.primitives.elementwise import complex_dtype, conj, mul, real, real_dtype
from functrace.primitives.indexing import pad
from functrace.primitives.shape import _front_batch, broadcast_in_dim, shape_of

FFT_TYPES = ("fft", "ifft", "rfft", "irfft")

fft_p = Primitive("fft")


def fft(x: Any, fft_type: str, fft_lengths: tuple[int, ...]) -> Any:
    """The transform ``fft_type`` of the last ``len(fft_lengths)`` axes of ``x``."""
    return fft_p.bind1(x, fft_type=fft_type, fft_lengths=tuple(int(n) for n in fft_lengths))


_NUMPY: dict[str, Callable[..., Any]] = {
    "fft": np.fft.fftn, "ifft": np.fft.ifftn, "rfft": np.fft.rfftn, "irfft": np.fft.irfftn}


def _fft_impl(x: Any, *, fft_type: str, fft_lengths: tuple[int, ...]) -> Any:
    x = np.asarray(x)
    axes = tuple(range(x.ndim - len(fft_lengths), x.ndim))
    out = _NUMPY[fft_type](x, s=fft_lengths, axes=axes)
    # NumPy's pocketfft computes float32 / complex64 in their own precision.
    want = complex_dtype(x.dtype) if fft_type != "irfft" else real_dtype(x.dtype)
    return np.asarray(out, dtype=want)


def _fft_shape(x: ShapedArray, *, fft_type: str, fft_lengths: tuple[int, ...]
               ) -> list[ShapedArray]:
    k = len(fft_lengths)
    if fft_type not in FFT_TYPES:
        raise ValueError(f"fft: fft_type must be one of {FFT_TYPES}, got {fft_type!r}.")
    if not 1 <= k <= x.ndim or any(n < 1 for n in fft_lengths):
        raise ValueError(f"fft: fft_lengths {fft_lengths} must name 1 to {x.ndim} trailing "
                         f"axes of {x.str_short()}, each of positive length.")
    real_in = fft_type == "rfft"
    if (x.dtype.kind == "f") != real_in or x.dtype.kind not in "fc":
        raise ValueError(f"fft: {fft_type} takes a {'real' if real_in else 'complex'} "
                         f"floating operand, got {x.str_short()}.")
    lead, inner = x.shape[:-k], x.shape[-k:]
    if fft_type == "irfft":
        expected = (*fft_lengths[:-1], fft_lengths[-1] // 2 + 1)
    else:
        expected = fft_lengths
    if inner != expected:
        raise ValueError(f"fft: {fft_type} with fft_lengths {fft_lengths} takes trailing axes "
                         f"{expected}, got {x.str_short()}.")
    if fft_type == "rfft":
        out_shape, dtype = (*fft_lengths[:-1], fft_lengths[-1] // 2 + 1), complex_dtype(x.dtype)
    elif fft_type == "irfft":
        out_shape, dtype = fft_lengths, real_dtype(x.dtype)
    else:
        out_shape, dtype = fft_lengths, x.dtype
    return [ShapedArray((*lead, *out_shape), dtype, x.weak_type)]


def _rfft_transpose(ct: Any, fft_lengths: tuple[int, ...]) -> Any:
    # rfft(x) = fft(x + 0i)[..., :n // 2 + 1]: pad back, transform, take the real part.
    n, m = fft_lengths[-1], shape_of(ct)[-1]
    config = [(0, 0, 0)] * (len(shape_of(ct)) - 1) + [(0, n - m, 0)]
    zero = np.zeros((), get_aval(ct).dtype)
    return real(fft(pad(ct, zero, config), "fft", fft_lengths))


def _irfft_transpose(ct: Any, fft_lengths: tuple[int, ...]) -> Any:
    # irfft(y) = ifft(the full Hermitian spectrum of y): conj(rfft(ct)) / N, with the
    # frequencies that were mirrored (all but the first and, for even n, the last) doubled.
    spectrum = fft(ct, "rfft", fft_lengths)
    n, m = fft_lengths[-1], shape_of(spectrum)[-1]
    weights = np.full(m, 2.0)
    weights[0] = 1.0
    if n % 2 == 0:
        weights[-1] = 1.0
    dtype = get_aval(spectrum).dtype
    scale = broadcast_in_dim((weights / math.prod(fft_lengths)).astype(dtype),
                             shape_of(spectrum), (len(shape_of(spectrum)) - 1,))
    return conj(mul(spectrum, scale))


def _fft_vjp(ct: Any, ans: Any, x: Any, *, fft_type: str, fft_lengths: tuple[int, ...]) -> Any:
    if fft_type == "rfft":
        return _rfft_transpose(ct, fft_lengths)
    if fft_type == "irfft":
        return _irfft_transpose(ct, fft_lengths)
    return fft(ct, fft_type, fft_lengths)  # the DFT matrix is symmetric


fft_p.def_impl1(_fft_impl)
fft_p.shape_rule = _fft_shape
deflinear_jvp(fft_p)
defvjp(fft_p, _fft_vjp, residuals=(False, (False,)))
_front_batch(fft_p, lambda size, **params: params)
