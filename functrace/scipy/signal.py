"""``jax.scipy.signal`` / ``scipy.signal``: convolution, correlation and detrending of
n-dimensional arrays, on traced or concrete arrays.

Direct convolutions are one :func:`functrace.lax.conv_general_dilated` (im2col and one
``dot_general``) whose padding is chosen so that it computes exactly the part of the full
convolution that the mode keeps; :func:`fftconvolve` multiplies FFTs.  Everything is linear
in each input and made of functrace operations, so every derivative, ``vmap`` and ``jit``
work.  Values and output shapes are SciPy's, including its conventions for the centre of
``mode='same'`` (which differ between :func:`correlate` and :func:`correlate2d` for kernels
of even length) and for ``'valid'`` when the second input is the larger.  As in JAX, integer
inputs give floating-point results (SciPy keeps integers for direct convolutions).

>>> import numpy as np
>>> from functrace.scipy import signal
>>> signal.convolve(np.array([1.0, 2.0, 3.0]), np.array([0.0, 1.0, 0.5]))
array([0. , 1. , 2.5, 4. , 1.5])
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

import functrace.numpy as fnp
from functrace._lax_conv import conv_general_dilated
from functrace.numpy._base import aval
from functrace.scipy._inexact import inexact

__all__ = ["convolve", "convolve2d", "correlate", "correlate2d", "detrend", "fftconvolve"]

_MODES = ("full", "same", "valid")
# Above this many entries in the direct method's patch matrix (output size times kernel size),
# method='auto' multiplies FFTs instead (about 256 MiB of float64).
_DIRECT_LIMIT = 2**25


def _inputs(name: str, in1: Any, in2: Any, mode: str) -> tuple[Any, Any]:
    """Both inputs at their common inexact dtype (integers and booleans as float64, float16
    as float32), checked: equal ranks and a known mode."""
    if mode not in _MODES:
        raise ValueError(f"scipy.signal.{name}: mode must be 'full', 'same' or 'valid', got "
                         f"{mode!r}.")
    a, b = inexact(in1, in2)
    if aval(a).ndim != aval(b).ndim:
        raise ValueError(f"scipy.signal.{name}: in1 and in2 should have the same "
                         f"dimensionality, got shapes {aval(a).shape} and {aval(b).shape}.")
    return a, b


def _valid_window(name: str, s1: Sequence[int], s2: Sequence[int]) -> tuple[list[int], bool]:
    """Where the ``'valid'`` part starts in the full result, and whether ``in2`` is the larger
    input: one input must be at least as large as the other along every axis."""
    if all(a >= b for a, b in zip(s1, s2, strict=True)):
        return [b - 1 for b in s2], False
    if all(a <= b for a, b in zip(s1, s2, strict=True)):
        return [a - 1 for a in s1], True
    raise ValueError(f"scipy.signal.{name}: for 'valid' mode one input must be at least as "
                     f"large as the other along every axis, got shapes {tuple(s1)} and "
                     f"{tuple(s2)}.")


def _window(name: str, mode: str, s1: Sequence[int], s2: Sequence[int], same_start: Any
            ) -> tuple[list[int], list[int]]:
    """The part of the full result that ``mode`` keeps: its start and size along each axis
    (``same_start(n2)``: where ``'same'`` starts, for a second input of length ``n2``)."""
    if mode == "full":
        return [0] * len(s1), [a + b - 1 for a, b in zip(s1, s2, strict=True)]
    if mode == "same":
        return [same_start(b) for b in s2], list(s1)
    start, _ = _valid_window(name, s1, s2)
    return start, [abs(a - b) + 1 for a, b in zip(s1, s2, strict=True)]


def _direct(x: Any, k: Any, start: Sequence[int], size: Sequence[int]) -> Any:
    """The part ``[start, start + size)`` of the full convolution of ``x`` and ``k`` (equal
    ranks, at least 1), as one convolution whose padding keeps exactly that part."""
    sx, sk = aval(x).shape, aval(k).shape
    if math.prod(sk) > math.prod(sx):  # the convolution commutes: the smaller is the kernel
        x, k, sx, sk = k, x, sk, sx
    # Full output index t reads the input padded by len(k) - 1 at both ends; the kept part
    # starts at t = start: padding low = len(k) - 1 - start (negative crops), and the high
    # side leaves exactly `size` windows.
    pads = [(b - 1 - t, n + b - 1 - a - (b - 1 - t))
            for a, b, t, n in zip(sx, sk, start, size, strict=True)]
    out = conv_general_dilated(x[None, None], fnp.flip(k)[None, None], (1,) * len(sx), pads)
    return out[0, 0]


def _empty(x: Any) -> Any:
    return fnp.zeros((0,), aval(x).dtype)


def _fft_full(in1: Any, in2: Any, axes: Sequence[int]) -> Any:
    """The full convolution along ``axes`` by FFTs (the other axes broadcast)."""
    shape = [aval(in1).shape[a] + aval(in2).shape[a] - 1 for a in axes]
    if aval(in1).dtype.kind == "c":
        product = fnp.fft.fftn(in1, shape, axes) * fnp.fft.fftn(in2, shape, axes)
        return fnp.fft.ifftn(product, shape, axes)
    product = fnp.fft.rfftn(in1, shape, axes) * fnp.fft.rfftn(in2, shape, axes)
    return fnp.fft.irfftn(product, shape, axes)


def _crop(x: Any, axes: Sequence[int], start: Sequence[int], size: Sequence[int]) -> Any:
    index = [slice(None)] * aval(x).ndim
    for a, t, n in zip(axes, start, size, strict=True):
        index[a] = slice(t, t + n)
    return x[tuple(index)]


def fftconvolve(in1: Any, in2: Any, mode: str = "full", axes: int | Sequence[int] | None = None
                ) -> Any:
    """``scipy.signal.fftconvolve``: :func:`convolve` computed by multiplying FFTs (real FFTs
    for real inputs) of the full output's length, along ``axes`` (default all); along the
    other axes the inputs must have equal lengths or length 1 (they broadcast).  Accurate to
    rounding relative to the largest values, as SciPy's.

    >>> import numpy as np
    >>> np.round(fftconvolve(np.array([1.0, 2.0, 3.0]), np.array([1.0, 1.0])), 12)
    array([1., 3., 5., 3.])
    """
    in1, in2 = _inputs("fftconvolve", in1, in2, mode)
    nd = aval(in1).ndim
    if nd == 0:
        return in1 * in2
    if aval(in1).size == 0 or aval(in2).size == 0:
        return _empty(in1)
    if axes is None:
        axes_t = tuple(range(nd))
    else:
        given = (axes,) if isinstance(axes, (int, np.integer)) else tuple(axes)
        if any(not -nd <= int(a) < nd for a in given):
            raise ValueError(f"scipy.signal.fftconvolve: axes {axes!r} out of range for inputs "
                             f"of {nd} dimensions.")
        axes_t = tuple(sorted({int(a) % nd for a in given}))
    s1, s2 = aval(in1).shape, aval(in2).shape
    for a in range(nd):
        if a not in axes_t and s1[a] != s2[a] and 1 not in (s1[a], s2[a]):
            raise ValueError(f"scipy.signal.fftconvolve: along axis {a}, which is not "
                             f"convolved, the shapes {s1} and {s2} must agree or be 1.")
    full = _fft_full(in1, in2, axes_t)
    c1, c2 = [s1[a] for a in axes_t], [s2[a] for a in axes_t]
    start, size = _window("fftconvolve", mode, c1, c2, lambda b: (b - 1) // 2)
    return _crop(full, axes_t, start, size)


def convolve(in1: Any, in2: Any, mode: str = "full", method: str = "auto",
             precision: Any = None) -> Any:
    """``scipy.signal.convolve``: the n-dimensional convolution of two arrays of equal rank.

    ``mode``: ``'full'`` (every overlap, ``s1 + s2 - 1`` long), ``'same'`` (the size of
    ``in1``, centred: starting at ``(s2 - 1) // 2`` of the full result) or ``'valid'`` (the
    overlaps without padding; one input must be at least as large as the other along every
    axis, and either may be).  ``method``: ``'direct'`` (one
    ``conv_general_dilated``), ``'fft'`` (:func:`fftconvolve`) or ``'auto'`` (direct, as JAX,
    unless its patch matrix would exceed 2**25 entries: then FFTs).  ``precision`` (JAX's) is
    accepted and ignored.  Two 0-d inputs multiply; an empty input gives an empty result of
    shape ``(0,)``, as SciPy's.

    >>> import numpy as np
    >>> convolve(np.array([1.0, 2.0, 3.0]), np.array([1.0, 1.0]), mode="same")
    array([1., 3., 5.])
    """
    del precision
    if method not in ("auto", "direct", "fft"):
        raise ValueError(f"scipy.signal.convolve: method must be 'auto', 'direct' or 'fft', got "
                         f"{method!r}.")
    in1, in2 = _inputs("convolve", in1, in2, mode)
    if aval(in1).ndim == 0:
        return in1 * in2
    if aval(in1).size == 0 or aval(in2).size == 0:
        return _empty(in1)
    s1, s2 = aval(in1).shape, aval(in2).shape
    start, size = _window("convolve", mode, s1, s2, lambda b: (b - 1) // 2)
    if method == "fft" or (method == "auto" and math.prod(size) * min(
            math.prod(s1), math.prod(s2)) > _DIRECT_LIMIT):
        return fftconvolve(in1, in2, mode)
    return _direct(in1, in2, start, size)


def _reverse_conj(x: Any) -> Any:
    x = fnp.flip(x)
    return fnp.conj(x) if aval(x).dtype.kind == "c" else x


def correlate(in1: Any, in2: Any, mode: str = "full", method: str = "auto",
              precision: Any = None) -> Any:
    """``scipy.signal.correlate``: the n-dimensional cross-correlation
    ``z[k] = sum_l in1[l + k] * conj(in2[l])``, the lags ``k`` running from ``-(s2 - 1)`` to
    ``s1 - 1`` (``'full'``); ``'same'`` and ``'valid'`` keep the parts that
    :func:`convolve` keeps of ``convolve(in1, flip(conj(in2)))``, which this is.

    >>> import numpy as np
    >>> correlate(np.array([1.0, 2.0, 3.0]), np.array([0.0, 1.0, 0.5]))
    array([0.5, 2. , 3.5, 3. , 0. ])
    """
    in1, in2 = _inputs("correlate", in1, in2, mode)
    return convolve(in1, _reverse_conj(in2), mode, method, precision)


def _check_boundary(name: str, boundary: str, fillvalue: Any) -> None:
    if boundary not in ("fill", "pad", "wrap", "circular", "symm", "symmetric"):
        raise ValueError(f"scipy.signal.{name}: boundary must be 'fill', 'wrap' or 'symm', got "
                         f"{boundary!r}.")
    if np.ndim(fillvalue) != 0:
        raise ValueError(f"scipy.signal.{name}: fillvalue must be a scalar, got {fillvalue!r}.")


def _two_d(name: str, in1: Any, in2: Any, mode: str, boundary: str, fillvalue: Any,
           same_start: Any) -> Any:
    """The 2-d convolution of ``in1`` with ``in2`` (already flipped and conjugated for a
    correlation) with SciPy's boundaries: the full result is the valid convolution of ``in1``
    extended by ``s2 - 1`` at each end, with ``fillvalue`` (``'fill'``), periodically
    (``'wrap'``) or mirrored with the edges repeated (``'symm'``, NumPy's ``'symmetric'``)."""
    _check_boundary(name, boundary, fillvalue)
    in1, in2 = _inputs(name, in1, in2, mode)
    if aval(in1).ndim != 2:
        raise ValueError(f"scipy.signal.{name}: in1 and in2 must be 2-d, got shapes "
                         f"{aval(in1).shape} and {aval(in2).shape}.")
    if aval(in1).size == 0 or aval(in2).size == 0:
        return _empty(in1)
    s1, s2 = aval(in1).shape, aval(in2).shape
    start, size = _window(name, mode, s1, s2, same_start)
    fill = np.asarray(fillvalue)
    if mode == "valid" or (boundary in ("fill", "pad") and fill == 0):
        return _direct(in1, in2, start, size)  # no extension read, or the zeros of the padding
    pads = [(b - 1, b - 1) for b in s2]
    if boundary in ("fill", "pad"):
        if fill.dtype.kind == "c" and aval(in1).dtype.kind != "c":
            raise ValueError(f"scipy.signal.{name}: a complex fillvalue needs complex inputs, "
                             f"got {aval(in1).dtype}.")
        extended = fnp.pad(in1, pads, mode="constant",
                           constant_values=fill.astype(aval(in1).dtype))
    else:
        extended = fnp.pad(in1, pads, mode="wrap" if boundary in ("wrap", "circular")
                           else "symmetric")
    return _direct(extended, in2, [b - 1 + t for b, t in zip(s2, start, strict=True)], size)


def convolve2d(in1: Any, in2: Any, mode: str = "full", boundary: str = "fill",
               fillvalue: Any = 0, precision: Any = None) -> Any:
    """``scipy.signal.convolve2d``: the convolution of two 2-d arrays, as :func:`convolve`,
    with ``in1`` extended beyond its edges as ``boundary`` says: ``'fill'`` (with
    ``fillvalue``), ``'wrap'`` (periodically) or ``'symm'`` (mirrored, edges repeated);
    ``'valid'`` reads no extension.  (JAX supports only ``'fill'`` with 0.)

    >>> import numpy as np
    >>> convolve2d(np.eye(2), np.ones((2, 2)), boundary="wrap", mode="same")
    array([[2., 2.],
           [2., 2.]])
    """
    del precision
    return _two_d("convolve2d", in1, in2, mode, boundary, fillvalue, lambda b: (b - 1) // 2)


def correlate2d(in1: Any, in2: Any, mode: str = "full", boundary: str = "fill",
                fillvalue: Any = 0, precision: Any = None) -> Any:
    """``scipy.signal.correlate2d``: the cross-correlation of two 2-d arrays, with
    :func:`convolve2d`'s boundaries.  Two of SciPy's conventions differ from
    :func:`correlate`'s (JAX keeps them too): ``'same'`` starts at ``s2 // 2`` of the full
    result (not ``(s2 - 1) // 2``), and ``'valid'`` with ``in2`` larger than ``in1`` (not
    equal) is conjugated.

    >>> import numpy as np
    >>> correlate2d(np.arange(4.0).reshape(2, 2), np.ones((1, 2)), mode="valid")
    array([[1.],
           [5.]])
    """
    del precision
    a, b = _inputs("correlate2d", in1, in2, mode)
    out = _two_d("correlate2d", a, _reverse_conj(b), mode, boundary, fillvalue,
                 lambda n: n // 2)
    s1, s2 = aval(a).shape, aval(b).shape
    if (mode == "valid" and aval(out).dtype.kind == "c" and s1 != s2
            and _valid_window("correlate2d", s1, s2)[1]):
        out = fnp.conj(out)
    return out


def detrend(data: Any, axis: int = -1, type: str = "linear",  # noqa: A002 - SciPy's name
            bp: int | Sequence[int] = 0, overwrite_data: bool = False) -> Any:
    """``scipy.signal.detrend``: ``data`` minus its least-squares line (``type='linear'`` or
    ``'l'``) or its mean (``'constant'``, ``'c'``) along ``axis``.  With breakpoints ``bp``
    (indices along ``axis``) a line is fitted to each piece between them, as SciPy.  The fits
    are constant matrices (each piece's projector onto ``[1, t]``, through NumPy's ``pinv``)
    applied to the data, so this is linear in ``data``.  Integers become float64; float32
    stays float32.

    >>> import numpy as np
    >>> np.round(detrend(np.array([1.0, 3.0, 2.0, 4.0])), 12)  # minus 1.3 + 0.8 t
    array([-0.3,  0.9, -0.9,  0.3])
    """
    del overwrite_data
    if type not in ("linear", "l", "constant", "c"):
        raise ValueError(f"scipy.signal.detrend: trend type must be 'linear' or 'constant', got "
                         f"{type!r}.")
    (x,) = inexact(data)
    nd = aval(x).ndim
    if nd == 0 or not -nd <= axis < nd:
        raise ValueError(f"scipy.signal.detrend: axis {axis} is out of range for data of shape "
                         f"{aval(x).shape}.")
    if type in ("constant", "c"):
        return x - fnp.mean(x, axis=axis, keepdims=True)
    n = aval(x).shape[axis]
    breaks = np.unique(np.concatenate([[0], np.atleast_1d(np.asarray(bp, dtype=int)), [n]]))
    if breaks[0] < 0 or breaks[-1] > n:
        raise ValueError(f"scipy.signal.detrend: breakpoints must be in [0, {n}] (the length "
                         f"along axis {axis}), got {bp!r}.")
    moved = fnp.moveaxis(x, axis, -1)
    real = np.finfo(aval(x).dtype).dtype
    pieces = []
    for lo, hi in zip(breaks[:-1], breaks[1:], strict=True):
        count = int(hi - lo)
        design = np.stack([np.arange(1, count + 1) / count, np.ones(count)], axis=1)
        # The piece minus its fitted line: y - A (A^+ y), with A^+ = pinv(A) a constant.
        fit = np.linalg.pinv(design).astype(real)
        piece = moved[..., int(lo):int(hi)]
        coef = fnp.matmul(piece, fit.T)
        pieces.append(piece - fnp.matmul(coef, design.T.astype(real)))
    out = fnp.concatenate(pieces, axis=-1) if pieces else moved
    return fnp.moveaxis(out, -1, axis)
