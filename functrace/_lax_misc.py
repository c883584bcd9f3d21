"""``jax.lax``'s remaining small names: ``fft`` and ``FftType``, ``bitcast_convert_type``,
``approx_max_k`` / ``approx_min_k``, ``shape_as_value``, and the type names ``Precision``,
``PrecisionLike``, ``DotDimensionNumbers`` and ``ConvGeneralDilatedDimensionNumbers``.
``functrace.lax`` re-exports them (through ``_lax_ops``).
"""

from __future__ import annotations

import enum
import operator
from collections.abc import Sequence
from typing import Any

import numpy as np

import functrace.numpy as fnp
from functrace._lax_conv import ConvDimensionNumbers
from functrace.core import get_aval
from functrace.primitives import fft as fft_prims
from functrace.primitives import indexing as ix
from functrace.primitives import xla_math

# -- type names ---------------------------------------------------------------------------------


class Precision(enum.Enum):
    """``jax.lax.Precision``: the precision of a dot or convolution on accelerators.  Every
    ``precision=`` argument of ``functrace.lax`` accepts it (or its name, or a pair) and
    ignores it: NumPy computes in the operands' dtype."""

    DEFAULT = 0
    HIGH = 1
    HIGHEST = 2

    def __str__(self) -> str:
        return self.name


PrecisionLike = None | str | Precision | tuple[str, str] | tuple[Precision, Precision]
"""``jax.lax.PrecisionLike``: what a ``precision=`` argument takes."""

DotDimensionNumbers = tuple[tuple[Sequence[int], Sequence[int]],
                            tuple[Sequence[int], Sequence[int]]]
"""``jax.lax.DotDimensionNumbers``: ``((lhs_contract, rhs_contract), (lhs_batch, rhs_batch))``,
as ``lax.dot_general`` takes."""

ConvGeneralDilatedDimensionNumbers = tuple[str, str, str] | ConvDimensionNumbers | None
"""``jax.lax.ConvGeneralDilatedDimensionNumbers``: three layout strings, a
``ConvDimensionNumbers`` or ``None``, as ``lax.conv_general_dilated`` takes."""


# -- fft ----------------------------------------------------------------------------------------


class FftType(enum.IntEnum):
    """``jax.lax.FftType``: the kind of transform :func:`fft` computes."""

    FFT = 0
    """complex to complex, forward"""
    IFFT = 1
    """complex to complex, inverse (normalised by ``1/N``)"""
    RFFT = 2
    """real to the non-negative frequencies"""
    IRFFT = 3
    """the non-negative frequencies to real"""


_FFT_NAMES = {**{t.name: t for t in FftType}, **{t.name.lower(): t for t in FftType}}


def fft(x: Any, fft_type: FftType | str, fft_lengths: Sequence[int]) -> Any:
    """``jax.lax.fft``: the transform ``fft_type`` of the last ``len(fft_lengths)`` axes of
    ``x``, as the ``fft`` primitive computes it (``np.fft.fftn``, ``ifftn``, ``rfftn``,
    ``irfftn`` with ``s=fft_lengths``).

    ``fft_type`` is an :class:`FftType` or its name (``'fft'`` or ``'FFT'``...).  As JAX's,
    ``x`` is converted to complex (or, for ``RFFT``, to a real floating dtype; a complex ``x``
    is refused), and empty ``fft_lengths`` return it unchanged.  ``fft_lengths`` must be the
    transformed axes' lengths (for ``IRFFT``: the output's, the input's last axis being
    ``n // 2 + 1``).  Every type is linear, and differentiable as JAX's.

    >>> import numpy as np
    >>> from functrace import lax
    >>> lax.fft(np.array([1.0, 2.0, 3.0, 4.0]), lax.FftType.RFFT, (4,))
    array([10.+0.j, -2.+2.j, -2.+0.j])
    """
    if isinstance(fft_type, str):
        kind = _FFT_NAMES.get(fft_type)
        if kind is None:
            raise ValueError(f"lax.fft: unknown FFT type {fft_type!r}; expected one of "
                             "'fft', 'ifft', 'rfft', 'irfft' (or their upper-case names).")
    elif isinstance(fft_type, FftType):
        kind = fft_type
    else:
        raise TypeError(f"lax.fft: fft_type must be an FftType or its name, got "
                        f"{fft_type!r}.")
    x = fnp.asarray(x)
    dtype = get_aval(x).dtype
    if kind == FftType.RFFT:
        if dtype.kind == "c":
            raise ValueError("lax.fft: RFFT takes only real inputs, got "
                             f"{get_aval(x).str_short()}.")
        x = fnp.asarray(x, dtype if dtype.kind == "f" else np.float64)
    elif dtype.kind != "c":
        x = fnp.asarray(x, np.complex64 if dtype == np.float32 else np.complex128)
    lengths = tuple(operator.index(n) for n in fft_lengths)
    if not lengths:
        return x
    # (the shape rule, run here too: an eager bind runs the impl alone)
    fft_prims.fft_p.shape_rule(get_aval(x), fft_type=kind.name.lower(), fft_lengths=lengths)
    return fft_prims.fft(x, kind.name.lower(), lengths)


# -- bits, top-k, shapes ------------------------------------------------------------------------


def bitcast_convert_type(operand: Any, new_dtype: Any) -> Any:
    """``jax.lax.bitcast_convert_type``: the bits of ``operand`` read as ``new_dtype``
    (NumPy's ``view``).  To a narrower dtype a trailing axis of ``old_size // new_size``
    entries is added; to a wider one the last axis must have ``new_size // old_size`` entries
    and is removed.  Booleans and complex numbers convert only to themselves.  The derivative
    is zero (a float0 tangent for integer results), as JAX's.

    >>> import numpy as np
    >>> from functrace import lax
    >>> lax.bitcast_convert_type(np.float32(1.0), np.int32)
    array(1065353216, dtype=int32)
    >>> lax.bitcast_convert_type(np.float64(1.0), np.uint32)
    array([         0, 1072693248], dtype=uint32)
    """
    return xla_math.bitcast_convert_type(fnp.asarray(operand), new_dtype)


def _approx_k(name: str, operand: Any, k: int, reduction_dimension: int,
              aggregate_to_topk: bool, descending: bool) -> tuple[Any, Any]:
    x = fnp.asarray(operand)
    aval = get_aval(x)
    if aval.dtype.kind != "f":
        raise ValueError(f"lax.{name}: operand must be a floating type, got "
                         f"{aval.str_short()}.")
    if aval.ndim == 0:
        raise ValueError(f"lax.{name}: operand must have at least one axis.")
    axis = operator.index(reduction_dimension)
    if not -aval.ndim <= axis < aval.ndim:
        raise ValueError(f"lax.{name}: reduction_dimension {axis} is out of range for "
                         f"{aval.str_short()}.")
    axis %= aval.ndim
    n, k = aval.shape[axis], operator.index(k)
    if not 0 < k <= n:
        raise ValueError(f"lax.{name}: k must be in [1, {n}] (the length of the reduced axis), "
                         f"got {k}.")
    # Exact: a stable sort keeps ties in index order, as JAX's top_k.
    order = fnp.argsort(x, axis=axis, stable=True, descending=descending)
    if aggregate_to_topk:
        order = ix.slice_in_dim(order, 0, k, axis)
    return fnp.take_along_axis(x, order, axis=axis), fnp.asarray(order, np.int32)


def approx_max_k(operand: Any, k: int, reduction_dimension: int = -1,
                 recall_target: float = 0.95, reduction_input_size_override: int = -1,
                 aggregate_to_topk: bool = True) -> tuple[Any, Any]:
    """``jax.lax.approx_max_k``: the ``k`` largest entries along ``reduction_dimension``
    (descending, ties in index order) and their int32 indices.

    Computed exactly (a recall of 1, which meets any ``recall_target``; JAX's CPU backend is
    exact too); ``reduction_input_size_override`` is ignored.  With
    ``aggregate_to_topk=False`` the whole axis comes back sorted (JAX: "at least ``k``"
    entries; its CPU backend also returns them all).  Differentiable in ``operand``.

    >>> import numpy as np
    >>> from functrace import lax
    >>> lax.approx_max_k(np.array([1.0, 4.0, 3.0, 4.0]), 2)
    (array([4., 4.]), array([1, 3], dtype=int32))
    """
    del recall_target, reduction_input_size_override
    return _approx_k("approx_max_k", operand, k, reduction_dimension, aggregate_to_topk, True)


def approx_min_k(operand: Any, k: int, reduction_dimension: int = -1,
                 recall_target: float = 0.95, reduction_input_size_override: int = -1,
                 aggregate_to_topk: bool = True) -> tuple[Any, Any]:
    """``jax.lax.approx_min_k``: the ``k`` smallest entries along ``reduction_dimension``
    (ascending, ties in index order) and their int32 indices; exact, as
    :func:`approx_max_k`.

    >>> import numpy as np
    >>> from functrace import lax
    >>> lax.approx_min_k(np.array([[3.0, 1.0, 2.0]]), 2)
    (array([[1., 2.]]), array([[1, 2]], dtype=int32))
    """
    del recall_target, reduction_input_size_override
    return _approx_k("approx_min_k", operand, k, reduction_dimension, aggregate_to_topk, False)


def shape_as_value(shape: Sequence[int]) -> np.ndarray:
    """``jax.lax.shape_as_value``: a shape as an int32 array, as JAX's (which exists for
    dynamic shapes; functrace has none, so the values are always known).

    >>> from functrace import lax
    >>> lax.shape_as_value((2, 3))
    array([2, 3], dtype=int32)
    """
    return np.array([operator.index(d) for d in shape], dtype=np.int32)


__all__ = ["ConvGeneralDilatedDimensionNumbers", "DotDimensionNumbers", "FftType", "Precision",
           "PrecisionLike", "approx_max_k", "approx_min_k", "bitcast_convert_type", "fft",
           "shape_as_value"]
