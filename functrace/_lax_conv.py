"""``jax.lax``'s convolutions and windowed reductions, composed of existing primitives.

No primitive is added: each function is a short program of ``transpose``, ``pad``, strided
``slice``, ``concatenate``, ``reshape`` and ``dot_general`` (or an elementwise reduction), so
jvp, vjp, vmap and jit come from those primitives' rules, to any order.

**Convolution** (``conv_general_dilated``).  The input is laid out features first, ``(C, N,
spatial...)``, and padded by one ``pad``: its interior padding inserts the ``lhs_dilation - 1``
zeros between entries, and negative edges crop.  Each kernel offset reads one strided
``slice`` of the padded input (offset times ``rhs_dilation``, step ``window_strides``); the
slices joined along the feature axis are the *im2col* patch matrix ``(K * C, N, out
spatial...)``, contracted with the kernel reshaped to ``(O, K * C)`` by one ``dot_general``.
Feature groups (``feature_group_count``) and batch groups (``batch_group_count``) are split
off the feature or the batch axis and become a batch axis of that ``dot_general``.  (One
product over all the offsets beat one product per offset, summed, by 2-3x: see
docs/control_flow.md.)

**Windowed reductions** (``reduce_window``).  As in XLA, a window reduces the operand's entries
it covers, starting from ``init_value``; the padding and the holes of ``base_dilation`` are
skipped.  For ``add``, ``mul``, ``max`` and ``min`` they are filled with the operation's
identity, the window offsets' strided slices are stacked and reduced along the new axis by
``sum``, ``prod``, ``max`` or ``min`` (so tied maxima share the derivative equally), and
``init_value`` is combined once unless it is the identity.  Any other computation is folded
over the slices in order, ``acc = computation(acc, slice)``, skipping the padding with a
``select_n``.
"""

from __future__ import annotations

import itertools
import math
import operator
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import numpy as np

import functrace.numpy as fnp
from functrace.core import Tracer, get_aval
from functrace.primitives import indexing as ix
from functrace.primitives import linalg as la
from functrace.primitives import shape as sh
from functrace.tree_util import tree_flatten, tree_unflatten

Padding = str | Sequence[tuple[int, int]]
Pairs = list[tuple[int, int]]


class ConvDimensionNumbers(NamedTuple):
    """``jax.lax.ConvDimensionNumbers``: where each role sits among an array's axes.

    ``lhs_spec`` is (batch axis, feature axis, spatial axes...) of the input, ``rhs_spec``
    (output-feature axis, input-feature axis, spatial axes...) of the kernel, ``out_spec``
    (batch axis, feature axis, spatial axes...) of the result; spatial axis ``i`` of the three
    correspond, and ``window_strides[i]``, ``padding[i]``... apply to it.
    """

    lhs_spec: tuple[int, ...]
    rhs_spec: tuple[int, ...]
    out_spec: tuple[int, ...]


# -- dimension numbers and padding ---------------------------------------------------------------


def conv_general_permutations(dimension_numbers: Sequence[str]) -> tuple[tuple[int, ...], ...]:
    """``jax.lax.conv_general_permutations``: the axis permutations that three layout strings
    (such as ``('NHWC', 'HWIO', 'NHWC')``) describe.  Spatial axes are ordered as they appear in
    the kernel's string."""
    if len(dimension_numbers) != 3 or not all(isinstance(s, str) for s in dimension_numbers):
        raise TypeError("convolution dimension_numbers must be three strings such as "
                        f"('NCHW', 'OIHW', 'NCHW'), got {dimension_numbers!r}.")
    lhs, rhs, out = dimension_numbers
    pairs = (("N", "C"), ("O", "I"), ("N", "C"))
    for i, (spec, (a, b)) in enumerate(zip(dimension_numbers, pairs, strict=True)):
        if spec.count(a) != 1 or spec.count(b) != 1:
            raise TypeError(f"convolution dimension_numbers[{i}] must contain the characters "
                            f"'{a}' and '{b}' exactly once, got {spec!r}.")
        if len(set(spec)) != len(spec):
            raise TypeError(f"convolution dimension_numbers[{i}] cannot have duplicate "
                            f"characters, got {spec!r}.")
    if not set(lhs) - {"N", "C"} == set(rhs) - {"O", "I"} == set(out) - {"N", "C"}:
        raise TypeError("convolution dimension_numbers elements must each have the same set of "
                        f"spatial characters, got {tuple(dimension_numbers)!r}.")
    spatial = [c for c in rhs if c not in "OI"]

    def perm(spec: str, a: str, b: str) -> tuple[int, ...]:
        return (spec.index(a), spec.index(b), *(spec.index(c) for c in spatial))

    return perm(lhs, "N", "C"), perm(rhs, "O", "I"), perm(out, "N", "C")


def conv_dimension_numbers(lhs_shape: Sequence[int], rhs_shape: Sequence[int],
                           dimension_numbers: Any) -> ConvDimensionNumbers:
    """``jax.lax.conv_dimension_numbers``: ``dimension_numbers`` (``None`` for
    ``('NCHW', 'OIHW', 'NCHW')`` and its 1-d and 3-d analogues, three layout strings, or three
    axis permutations) as a :class:`ConvDimensionNumbers`.

    >>> conv_dimension_numbers((8, 32, 32, 3), (3, 3, 3, 16), ("NHWC", "HWIO", "NHWC"))
    ConvDimensionNumbers(lhs_spec=(0, 3, 1, 2), rhs_spec=(3, 2, 0, 1), out_spec=(0, 3, 1, 2))
    """
    ndim = len(lhs_shape)
    if len(rhs_shape) != ndim:
        raise ValueError("conv_general_dilated: lhs and rhs must have the same number of "
                         f"dimensions, got shapes {tuple(lhs_shape)} and {tuple(rhs_shape)}.")
    if ndim < 2:
        raise ValueError("conv_general_dilated: lhs and rhs need a batch and a feature axis "
                         f"(rank >= 2), got shapes {tuple(lhs_shape)} and {tuple(rhs_shape)}.")
    if dimension_numbers is None:
        iota = tuple(range(ndim))
        return ConvDimensionNumbers(iota, iota, iota)
    if not isinstance(dimension_numbers, (tuple, list)) or len(dimension_numbers) != 3:
        raise TypeError("convolution dimension_numbers must be None, three layout strings or "
                        f"three axis permutations, got {dimension_numbers!r}.")
    if all(isinstance(s, str) for s in dimension_numbers):
        for i, spec in enumerate(dimension_numbers):
            if len(spec) != ndim:
                raise TypeError(f"convolution dimension_numbers[{i}] must have one character "
                                f"per axis of lhs and rhs, got {spec!r} for shapes "
                                f"{tuple(lhs_shape)} and {tuple(rhs_shape)}.")
        return ConvDimensionNumbers(*conv_general_permutations(dimension_numbers))
    specs = tuple(tuple(int(d) for d in spec) for spec in dimension_numbers)
    if any(sorted(spec) != list(range(ndim)) for spec in specs):
        raise ValueError(f"conv_general_dilated: dimension_numbers {specs} must be three "
                         f"permutations of range({ndim}) for shapes {tuple(lhs_shape)} and "
                         f"{tuple(rhs_shape)}.")
    return ConvDimensionNumbers(*specs)


def padtype_to_pads(in_shape: Sequence[int], window_shape: Sequence[int],
                    window_strides: Sequence[int], padding: str) -> Pairs:
    """``jax.lax.padtype_to_pads``: ``'VALID'`` (none), ``'SAME'`` (the output has
    ``ceil(in / stride)`` entries; an odd total puts the extra entry at the end) or
    ``'SAME_LOWER'`` (the extra entry at the start), as ``(low, high)`` pairs.

    >>> padtype_to_pads((5, 6), (3, 3), (2, 1), "SAME")
    [(1, 1), (1, 1)]
    """
    kind = padding.upper()
    if kind == "VALID":
        return [(0, 0)] * len(in_shape)
    if kind not in ("SAME", "SAME_LOWER"):
        raise ValueError("padding must be 'VALID', 'SAME', 'SAME_LOWER' or a sequence of (low, "
                         f"high) pairs, got {padding!r}.")
    pads = []
    for n, k, s in zip(in_shape, window_shape, window_strides, strict=True):
        total = max((-(-n // s) - 1) * s + k - n, 0)
        small, large = total // 2, total - total // 2
        pads.append((small, large) if kind == "SAME" else (large, small))
    return pads


def _dilate(n: int, dilation: int) -> int:
    """The length of ``n`` entries spread ``dilation`` apart (``0`` for none)."""
    return max(1 + dilation * (n - 1), 0)


def _out_size(padded: int, window: int, stride: int) -> int:
    """How many windows of ``window`` entries, ``stride`` apart, fit in ``padded``."""
    return max((padded - window) // stride + 1, 0)


def _ints(name: str, what: str, values: Sequence[int] | None, n: int, default: int = 1
          ) -> tuple[int, ...]:
    """A sequence of ``n`` positive integers (``default`` for ``None``)."""
    if values is None:
        return (default,) * n
    out = tuple(operator.index(v) for v in values)
    if len(out) != n or any(v < 1 for v in out):
        raise ValueError(f"{name}: {what} must be {n} positive integers (one per window "
                         f"dimension), got {tuple(values)}.")
    return out


def _pairs(name: str, padding: Sequence[Any], n: int) -> Pairs:
    try:
        pads = [(operator.index(lo), operator.index(hi)) for lo, hi in padding]
    except (TypeError, ValueError) as e:
        raise ValueError(f"{name}: padding must be a string or a sequence of (low, high) "
                         f"integer pairs, got {padding!r}.") from e
    if len(pads) != n:
        raise ValueError(f"{name}: padding needs {n} (low, high) pairs (one per window "
                         f"dimension), got {len(pads)}: {padding!r}.")
    return pads


# -- shared: windows of a padded array -----------------------------------------------------------


def _pad(x: Any, value: Any, config: Sequence[tuple[int, int, int]]) -> Any:
    """``pad`` unless ``config`` changes nothing."""
    if all(c == (0, 0, 0) for c in config):
        return x
    return ix.pad(x, value if isinstance(value, Tracer) else np.asarray(value, get_aval(x).dtype),
                  config)


def _window_bounds(shape: Sequence[int], axes: Sequence[int], sizes: Sequence[int],
                   dilations: Sequence[int], strides: Sequence[int], out_sizes: Sequence[int]
                   ) -> list[tuple[list[int], list[int], list[int]]]:
    """For each window offset (row-major over ``axes``), the (starts, limits, strides) of the
    strided slice of an array of ``shape`` that holds every window's entry at that offset:
    ``out_sizes`` entries along ``axes``."""
    bounds = []
    for offset in itertools.product(*(range(k) for k in sizes)):
        starts, limits, steps = [0] * len(shape), list(shape), [1] * len(shape)
        for a, k, r, s, m in zip(axes, offset, dilations, strides, out_sizes, strict=True):
            starts[a], limits[a], steps[a] = k * r, k * r + (m - 1) * s + 1, s
        bounds.append((starts, limits, steps))
    return bounds


def _window_slices(x: Any, *window: Any) -> list[Any]:
    """The strided slices of ``x`` at each window offset (``window`` as for
    :func:`_window_bounds`)."""
    return [ix.static_slice(x, *b) for b in _window_bounds(sh.shape_of(x), *window)]


# -- convolutions --------------------------------------------------------------------------------


def _same_dtype(name: str, lhs: Any, rhs: Any, preferred_element_type: Any
                ) -> tuple[Any, Any]:
    """lax's rule: both operands of one dtype; ``preferred_element_type`` (as wide or wider,
    and of a compatible kind) is the dtype the products are accumulated in and returned."""
    lhs = lhs if isinstance(lhs, Tracer) else fnp.asarray(lhs)
    rhs = rhs if isinstance(rhs, Tracer) else fnp.asarray(rhs)
    dtype = get_aval(lhs).dtype
    if get_aval(rhs).dtype != dtype:
        raise TypeError(f"lax.{name} requires arguments to have the same dtypes, got "
                        f"{dtype}, {get_aval(rhs).dtype}.")
    if preferred_element_type is None:
        return lhs, rhs
    new = np.dtype(preferred_element_type)
    # As JAX: integers may accumulate in floats; otherwise integers stay integers (signed ones
    # signed), floats floats and complex complex; never narrower.
    kind = {"i": "i", "u": "iu", "f": "f", "c": "c"}.get(dtype.kind, "biufc")
    if not (new.itemsize >= dtype.itemsize
            and (new.kind in kind or (dtype.kind in "iu" and new.kind == "f"))):
        raise TypeError(f"lax.{name}: preferred_element_type {new} is incompatible with "
                        f"inputs of dtype {dtype} (it must be of the same kind, or a float for "
                        "integer inputs, and not narrower).")
    return fnp.asarray(lhs, new), fnp.asarray(rhs, new)


def conv_general_dilated(lhs: Any, rhs: Any, window_strides: Sequence[int], padding: Padding,
                         lhs_dilation: Sequence[int] | None = None,
                         rhs_dilation: Sequence[int] | None = None,
                         dimension_numbers: Any = None, feature_group_count: int = 1,
                         batch_group_count: int = 1, precision: Any = None,
                         preferred_element_type: Any = None) -> Any:
    """``jax.lax.conv_general_dilated``: an n-dimensional convolution (a cross-correlation:
    the kernel is not flipped), with strides, padding, dilations and groups.

    Args:
      lhs: the input, of rank ``n + 2`` (batch, feature and ``n`` spatial axes).
      rhs: the kernel, of rank ``n + 2`` (output feature, input feature, spatial axes), of
        ``lhs``'s dtype.
      window_strides: ``n`` steps between windows.
      padding: ``'VALID'``, ``'SAME'``, ``'SAME_LOWER'`` (see :func:`padtype_to_pads`) or
        ``n`` ``(low, high)`` pairs of zeros added to the (dilated) input; negative ones crop.
      lhs_dilation: ``n`` factors: ``d - 1`` zeros between consecutive input entries (a
        transposed convolution).  String padding needs it to be all ones.
      rhs_dilation: ``n`` factors: the kernel's taps ``d`` entries apart (atrous).
      dimension_numbers: the layouts: ``None`` (``NCHW``, ``OIHW``, ``NCHW``), three strings
        such as ``('NHWC', 'HWIO', 'NHWC')``, or a :class:`ConvDimensionNumbers`.
      feature_group_count: ``G`` splits the input features into ``G`` groups, each convolved
        with its own ``O / G`` output features (``G = C`` is a depthwise convolution).
      batch_group_count: ``G`` splits the batch into ``G`` groups, each convolved with its
        own ``O / G`` output features (the result has ``N / G`` examples).
      precision: accepted and ignored.
      preferred_element_type: the dtype to accumulate in and return.

    Returns:
      The convolution, laid out as ``dimension_numbers``' output spec says; each spatial
      length is ``(padded - dilated kernel) // stride + 1``.

    Raises:
      TypeError: operands of different dtypes, or malformed layout strings.
      ValueError: shapes that do not fit (feature counts, groups, paddings, ranks).

    >>> import numpy as np
    >>> x = np.arange(5.0).reshape(1, 1, 5)              # N, C, W
    >>> conv_general_dilated(x, np.ones((1, 1, 2)), (1,), "VALID")
    array([[[1., 3., 5., 7.]]])
    """
    name = "conv_general_dilated"
    lhs, rhs = _same_dtype(name, lhs, rhs, preferred_element_type)
    lhs_shape, rhs_shape = sh.shape_of(lhs), sh.shape_of(rhs)
    dnums = conv_dimension_numbers(lhs_shape, rhs_shape, dimension_numbers)
    n = len(lhs_shape) - 2
    strides = _ints(name, "window_strides", window_strides, n)
    lhs_dil = _ints(name, "lhs_dilation", lhs_dilation, n)
    rhs_dil = _ints(name, "rhs_dilation", rhs_dilation, n)
    in_sizes = [lhs_shape[d] for d in dnums.lhs_spec[2:]]
    k_sizes = [rhs_shape[d] for d in dnums.rhs_spec[2:]]
    if isinstance(padding, str):
        if any(d != 1 for d in lhs_dil):
            raise ValueError("conv_general_dilated: string padding is not implemented for "
                             "transposed convolutions (lhs_dilation other than 1): give the "
                             "padding as (low, high) pairs, or use conv_transpose.")
        pads = padtype_to_pads(in_sizes, [_dilate(k, r) for k, r in zip(k_sizes, rhs_dil,
                                                                         strict=True)],
                               strides, padding)
    else:
        pads = _pairs(name, padding, n)
    _check_groups(lhs_shape, rhs_shape, dnums, int(feature_group_count),
                  int(batch_group_count))
    padded = [_dilate(m, d) + lo + hi
              for m, d, (lo, hi) in zip(in_sizes, lhs_dil, pads, strict=True)]
    if any(p < 0 for p in padded):
        raise ValueError("conv_general_dilated: negative padding is larger than the "
                         f"(dilated) input: padding {pads} for spatial sizes {in_sizes}.")
    out_sizes = [_out_size(p, _dilate(k, r), s)
                 for p, k, r, s in zip(padded, k_sizes, rhs_dil, strides, strict=True)]
    return _conv(lhs, rhs, dnums, strides, pads, lhs_dil, rhs_dil, out_sizes,
                 int(feature_group_count), int(batch_group_count))


def conv_general_dilated_patches(lhs: Any, filter_shape: Sequence[int],
                                 window_strides: Sequence[int], padding: Padding,
                                 lhs_dilation: Sequence[int] | None = None,
                                 rhs_dilation: Sequence[int] | None = None,
                                 dimension_numbers: Any = None, precision: Any = None,
                                 preferred_element_type: Any = None) -> Any:
    """``jax.lax.conv_general_dilated_patches``: the patches that a convolution with a kernel
    of spatial shape ``filter_shape`` would read, flattened into the output feature axis
    (input channel slowest, then the patch's positions in order), so that a convolution is
    these patches contracted with a flattened kernel.

    The arguments are :func:`conv_general_dilated`'s, with ``filter_shape`` (the ``n``
    spatial sizes) in place of the kernel.  Computed as a depthwise convolution with one-hot
    kernels, one per patch position, so it is differentiable like any convolution.

    >>> import numpy as np
    >>> x = np.arange(4.0).reshape(1, 1, 4)              # N, C, W
    >>> conv_general_dilated_patches(x, (2,), (1,), "VALID")[0]
    array([[0., 1., 2.],
           [1., 2., 3.]])
    """
    lhs = fnp.asarray(lhs)
    filter_shape = tuple(int(k) for k in filter_shape)
    lhs_shape = sh.shape_of(lhs)
    dnums = conv_dimension_numbers(lhs_shape, (1, 1, *filter_shape), dimension_numbers)
    channels = lhs_shape[dnums.lhs_spec[1]]
    size = math.prod(filter_shape)
    # Output feature c * size + p reads channel c at patch position p: kernel (O, I=1, ...)
    one_hot = np.eye(size, dtype=get_aval(lhs).dtype).reshape(size, 1, *filter_shape)
    rhs = np.tile(one_hot, (channels,) + (1,) * (len(filter_shape) + 1))
    # The kernel's O and I axes go where its layout puts them; the spatial axes keep their
    # order in the remaining places (as JAX's).
    rhs = np.moveaxis(rhs, (0, 1), (dnums.rhs_spec[0], dnums.rhs_spec[1]))
    return conv_general_dilated(lhs, rhs, window_strides, padding, lhs_dilation, rhs_dilation,
                                dnums, feature_group_count=channels,
                                preferred_element_type=preferred_element_type)


def _check_groups(lhs_shape: tuple[int, ...], rhs_shape: tuple[int, ...],
                  dnums: ConvDimensionNumbers, features: int, batches: int) -> None:
    """JAX's shape checks of the feature counts and groups."""
    shapes = f"lhs shape {lhs_shape}, rhs shape {rhs_shape}"
    c = lhs_shape[dnums.lhs_spec[1]]
    batch = lhs_shape[dnums.lhs_spec[0]]
    o, i = rhs_shape[dnums.rhs_spec[0]], rhs_shape[dnums.rhs_spec[1]]
    problem = None
    if features < 1 or batches < 1:
        problem = (f"feature_group_count ({features}) and batch_group_count ({batches}) must "
                   "be positive integers")
    elif features > 1 and batches > 1:
        problem = "at most one of feature_group_count and batch_group_count may be > 1"
    elif c % features:
        problem = f"feature_group_count {features} must divide the lhs feature size {c}"
    elif c // features != i:
        problem = (f"the lhs feature size divided by feature_group_count must equal the rhs "
                   f"input feature size, but {c} // {features} != {i}")
    elif o % features:
        problem = (f"the rhs output feature size {o} must be a multiple of "
                   f"feature_group_count {features}")
    elif batch % batches:
        problem = f"batch_group_count {batches} must divide the lhs batch size {batch}"
    elif o % batches:
        problem = (f"the rhs output feature size {o} must be a multiple of "
                   f"batch_group_count {batches}")
    if problem:
        raise ValueError(f"conv_general_dilated: {problem} ({shapes}, dimension_numbers "
                         f"{tuple(dnums)}).")


def _conv(lhs: Any, rhs: Any, dnums: ConvDimensionNumbers, strides: tuple[int, ...],
          pads: Pairs, lhs_dil: tuple[int, ...], rhs_dil: tuple[int, ...],
          out_sizes: list[int], features: int, batches: int) -> Any:
    """The convolution, its arguments checked: im2col and one ``dot_general``.

    Features lead: the input is laid out (C, N, spatial...), so that each window slice is
    (C, N, out spatial...) and joining them along axis 0 copies long contiguous runs; the
    patch matrix (K * C, N, out spatial...) then enters the product without a copy, as the
    right operand of ``kernel (O, K * C) @ patches``."""
    lhs_spec, rhs_spec, out_spec = dnums
    n = len(strides)
    dtype = get_aval(lhs).dtype
    x = sh.transpose(lhs, (lhs_spec[1], lhs_spec[0], *lhs_spec[2:]))  # C, N, spatial...
    w = sh.transpose(rhs, (rhs_spec[0], *rhs_spec[2:], rhs_spec[1]))  # O, spatial..., I
    c, batch = sh.shape_of(x)[:2]
    o, *k_sizes, i = sh.shape_of(w)
    groups = max(features, batches)
    out_batch = batch // batches
    # The result is (O, N, out spatial...), then in the layout out_spec asks for.
    out_shape = (o, out_batch, *out_sizes)
    to_layout = [0] * (n + 2)
    to_layout[out_spec[0]], to_layout[out_spec[1]] = 1, 0
    for d, a in enumerate(out_spec[2:]):
        to_layout[a] = d + 2
    taps = math.prod(k_sizes)
    if taps == 0 or 0 in out_sizes:
        return np.zeros(tuple(out_shape[p] for p in to_layout), dtype)
    x = _pad(x, 0, [(0, 0, 0), (0, 0, 0), *((lo, hi, d - 1) for (lo, hi), d in zip(
        pads, lhs_dil, strict=True))])
    spatial = sh.shape_of(x)[2:]
    if features > 1:  # channels (g, c): (G, C / G, N, spatial...)
        x = sh.reshape(x, (groups, c // groups, batch, *spatial))
    elif batches > 1:  # batch (g, n): (G, C, N / G, spatial...)
        x = sh.reshape(x, (c, groups, out_batch, *spatial))
        x = sh.transpose(x, (1, 0, *range(2, n + 3)))
    lead = 1 if groups > 1 else 0  # the group axis
    windows = _window_slices(x, range(lead + 2, lead + 2 + n), k_sizes, rhs_dil, strides,
                             out_sizes)
    # (groups..., taps * I, out batch, out spatial...): offset-major, as the kernel's columns.
    patches = windows[0] if taps == 1 else ix.concatenate(windows, lead)
    kernel = sh.reshape(w, (o, taps * i))
    if groups == 1:
        return sh.transpose(la.dot_general(kernel, patches, (((1,), (0,)), ((), ()))),
                            to_layout)
    # Output feature g * O / G + k belongs to group g: (G, O / G, N, ...) is (O, N, ...).
    kernel = sh.reshape(kernel, (groups, o // groups, taps * i))
    out = la.dot_general(kernel, patches, (((2,), (1,)), ((0,), (0,))))
    return sh.transpose(sh.reshape(out, out_shape), to_layout)


def conv(lhs: Any, rhs: Any, window_strides: Sequence[int], padding: str,
         precision: Any = None, preferred_element_type: Any = None) -> Any:
    """``jax.lax.conv``: :func:`conv_general_dilated` in the ``NCHW`` / ``OIHW`` layout with
    ``'SAME'`` or ``'VALID'`` padding."""
    return conv_general_dilated(lhs, rhs, window_strides, padding, precision=precision,
                                preferred_element_type=preferred_element_type)


def conv_with_general_padding(lhs: Any, rhs: Any, window_strides: Sequence[int],
                              padding: Padding, lhs_dilation: Sequence[int] | None,
                              rhs_dilation: Sequence[int] | None, precision: Any = None,
                              preferred_element_type: Any = None) -> Any:
    """``jax.lax.conv_with_general_padding``: :func:`conv_general_dilated` in the ``NCHW`` /
    ``OIHW`` layout, with explicit padding and dilations."""
    return conv_general_dilated(lhs, rhs, window_strides, padding, lhs_dilation=lhs_dilation,
                                rhs_dilation=rhs_dilation, precision=precision,
                                preferred_element_type=preferred_element_type)


def _conv_transpose_padding(k: int, s: int, padding: Any) -> tuple[int, int]:
    """The (low, high) padding of the dilated input that makes a transposed convolution (of
    a kernel of effective size ``k``, fractional stride ``s``) mirror a forward convolution
    with ``padding``: ``'SAME'``, ``'VALID'``, or that convolution's (low, high) pair."""
    if padding == "SAME":
        total = k + s - 2
        low = k - 1 if s > k - 1 else -(-total // 2)
    elif padding == "VALID":
        total = k + s - 2 + max(k - s, 0)
        low = k - 1
    elif isinstance(padding, str):
        raise ValueError(f"conv_transpose: padding must be 'SAME', 'VALID' or (low, high) "
                         f"pairs, got {padding!r}.")
    else:
        low, high = (k - p - 1 for p in padding)
        total = low + high
    return low, total - low


_TRANSPOSE_LAYOUTS = {2: ("NC", "IO", "NC"), 3: ("NHC", "HIO", "NHC"),
                      4: ("NHWC", "HWIO", "NHWC"), 5: ("NHWDC", "HWDIO", "NHWDC")}


def conv_transpose(lhs: Any, rhs: Any, strides: Sequence[int], padding: Padding,
                   rhs_dilation: Sequence[int] | None = None, dimension_numbers: Any = None,
                   transpose_kernel: bool = False, precision: Any = None,
                   preferred_element_type: Any = None,
                   use_consistent_padding: bool = False) -> Any:
    """``jax.lax.conv_transpose``: the fractionally strided convolution (``strides`` become
    ``lhs_dilation``) whose output has the shape of a forward convolution's input.

    Args:
      lhs, rhs: input and kernel; ``dimension_numbers`` defaults to TensorFlow's layouts
        (``NHWC``, ``HWIO``, ``NHWC`` and their 1-d and 3-d analogues).
      strides: the forward convolution's strides.
      padding: ``'SAME'`` or ``'VALID'`` (the forward convolution's), or (low, high) pairs
        of the dilated input (the forward convolution's with ``use_consistent_padding``).
      rhs_dilation: the kernel's dilation.
      transpose_kernel: flip the kernel's spatial axes and swap its feature axes (so that the
        result is the gradient of the forward convolution, as Keras' ``Conv2DTranspose``).
      precision: accepted and ignored.
      preferred_element_type: as :func:`conv_general_dilated`.

    >>> import numpy as np
    >>> conv_transpose(np.ones((1, 2, 1)), np.ones((2, 1, 1)), (2,), "VALID")[0, :, 0]
    array([1., 1., 1., 1.])
    """
    lhs = lhs if isinstance(lhs, Tracer) else fnp.asarray(lhs)
    rhs = rhs if isinstance(rhs, Tracer) else fnp.asarray(rhs)
    ndim = get_aval(lhs).ndim
    if dimension_numbers is None:
        if ndim not in _TRANSPOSE_LAYOUTS:
            raise ValueError(f"conv_transpose: no default dimension_numbers for rank {ndim} "
                             f"(lhs shape {get_aval(lhs).shape}); pass dimension_numbers.")
        dimension_numbers = _TRANSPOSE_LAYOUTS[ndim]
    dnums = conv_dimension_numbers(get_aval(lhs).shape, get_aval(rhs).shape, dimension_numbers)
    n = ndim - 2
    k_sizes = [get_aval(rhs).shape[d] for d in dnums.rhs_spec[2:]]
    rhs_dil = _ints("conv_transpose", "rhs_dilation", rhs_dilation, n)
    strides = _ints("conv_transpose", "strides", strides, n)
    pads: Padding = padding
    if use_consistent_padding or (isinstance(padding, str) and padding in ("SAME", "VALID")):
        per_dim = [padding] * n if isinstance(padding, str) else _pairs("conv_transpose",
                                                                        padding, n)
        pads = [_conv_transpose_padding(_dilate(k, r), s, p)
                for k, r, s, p in zip(k_sizes, rhs_dil, strides, per_dim, strict=True)]
    if transpose_kernel:
        rhs = ix.rev(rhs, dnums.rhs_spec[2:])
        swap = list(range(ndim))
        swap[dnums.rhs_spec[0]], swap[dnums.rhs_spec[1]] = dnums.rhs_spec[1], dnums.rhs_spec[0]
        rhs = sh.transpose(rhs, swap)
    return conv_general_dilated(lhs, rhs, (1,) * n, pads, strides, rhs_dil, dnums,
                                precision=precision,
                                preferred_element_type=preferred_element_type)


# -- windowed reductions -------------------------------------------------------------------------

# The monoids reduce_window knows, by the lax name of their operation: the functrace.numpy
# reduction of a stack of slices, the elementwise operation (to combine a non-identity
# init_value), and the identity of a dtype.
_MONOIDS: dict[str, tuple[Callable[..., Any], Callable[[Any, Any], Any],
                          Callable[[np.dtype[Any]], Any]]] = {
    "add": (fnp.sum, fnp.add, lambda dtype: 0),
    "mul": (fnp.prod, fnp.multiply, lambda dtype: 1),
    "max": (fnp.max, fnp.maximum, lambda dtype: dtype_extreme(dtype, highest=False)),
    "min": (fnp.min, fnp.minimum, lambda dtype: dtype_extreme(dtype, highest=True)),
}
# Callables recognised as those operations: Python's, NumPy's, functrace.numpy's; lax's
# (functrace's and JAX's) are recognised by module and name, below.
_KNOWN: dict[Any, str] = {
    operator.add: "add", operator.mul: "mul", max: "max", min: "min",
    np.add: "add", np.multiply: "mul", np.maximum: "max", np.minimum: "min",
    fnp.add: "add", fnp.multiply: "mul", fnp.maximum: "max", fnp.minimum: "min",
}
_NAMES = {"add": "add", "mul": "mul", "max": "max", "min": "min", "multiply": "mul",
          "maximum": "max", "minimum": "min"}


def dtype_extreme(dtype: np.dtype[Any], highest: bool) -> Any:
    """The largest (``highest``) or smallest value of ``dtype``: the identity of ``min`` (or
    ``max``), infinite for floats (shared with ``_lax_ops``' reductions)."""
    if dtype.kind == "b":
        return highest
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        return info.max if highest else info.min
    return np.inf if highest else -np.inf


def _monoid(computation: Any) -> str | None:
    """The lax name of a computation reduce_window reduces directly, else None."""
    try:
        if computation in _KNOWN:
            return _KNOWN[computation]
    except TypeError:  # unhashable
        return None
    module = getattr(computation, "__module__", None) or type(computation).__module__
    name = getattr(computation, "__name__", None)
    if module == "functrace._lax_ops" or module.split(".")[0] == "jax":
        return _NAMES.get(str(name))
    return None


def reduce_window(operand: Any, init_value: Any, computation: Callable[[Any, Any], Any],
                  window_dimensions: Sequence[int], window_strides: Sequence[int] | None = None,
                  padding: Padding = "VALID", base_dilation: Sequence[int] | None = None,
                  window_dilation: Sequence[int] | None = None) -> Any:
    """``jax.lax.reduce_window``: ``computation`` over the windows of ``operand``: pooling.

    Each result entry is ``init_value`` combined with the entries of ``operand`` its window
    covers (the padding and the holes of ``base_dilation`` are skipped, as in XLA).  ``add``,
    ``mul``, ``max`` and ``min`` (``functrace.lax``'s, ``jax.lax``'s, NumPy's,
    ``functrace.numpy``'s, Python's ``operator.add``, ``operator.mul``, ``max``, ``min``) are
    reductions of the stacked window slices; tied maxima or minima share the derivative
    equally (JAX gives all of it to one of them).  Any other ``computation`` (operating on
    arrays elementwise, as lax operations do; on pytrees of them for a pytree ``operand``) is
    folded over the window's entries in row-major order.

    Args:
      operand: an array, or a pytree of arrays of one shape.
      init_value: a scalar (a pytree of scalars) of ``operand``'s dtype; Python numbers take
        it.
      computation: the binary operation.
      window_dimensions: the window's size along each axis of ``operand``.
      window_strides: the steps between windows (default ones).
      padding: ``'VALID'`` (default), ``'SAME'``, ``'SAME_LOWER'`` or (low, high) pairs.
      base_dilation: ``d - 1`` holes between the entries of ``operand`` along each axis.
      window_dilation: the window's taps ``d`` entries apart along each axis.

    Returns:
      An array (a pytree like ``operand``) with ``(padded - dilated window) // stride + 1``
      entries along each axis.

    Average pooling is the windowed sum divided by the window's size:

    >>> import numpy as np
    >>> x = np.arange(16.0).reshape(1, 4, 4, 1)       # N, H, W, C
    >>> reduce_window(x, 0.0, operator.add, (1, 2, 2, 1), (1, 2, 2, 1), "VALID")[0, ..., 0] / 4
    array([[ 2.5,  4.5],
           [10.5, 12.5]])
    """
    leaves, tree = tree_flatten(operand)
    inits, init_tree = tree_flatten(init_value)
    if init_tree != tree or not leaves:
        raise ValueError("reduce_window: init_value must have the structure of operand (at "
                         f"least one array), got {init_tree} and {tree}.")
    leaves = [x if isinstance(x, Tracer) else fnp.asarray(x) for x in leaves]
    shape = get_aval(leaves[0]).shape
    if any(get_aval(x).shape != shape for x in leaves):
        raise ValueError("reduce_window: the operands must have one shape, got "
                         f"{[get_aval(x).shape for x in leaves]}.")
    inits = [_init_value(i, get_aval(x).dtype) for i, x in zip(inits, leaves, strict=True)]
    nd = len(shape)
    if len(window_dimensions) != nd:
        raise ValueError(f"reduce_window: window_dimensions {tuple(window_dimensions)} need one "
                         f"entry per axis of the operand of shape {shape}.")
    sizes = _ints("reduce_window", "window_dimensions", window_dimensions, nd)
    strides = _ints("reduce_window", "window_strides", window_strides, nd)
    base = _ints("reduce_window", "base_dilation", base_dilation, nd)
    wdil = _ints("reduce_window", "window_dilation", window_dilation, nd)
    spans = [_dilate(k, d) for k, d in zip(sizes, wdil, strict=True)]
    # (As JAX: string padding is computed from the undilated operand's shape.)
    pads = (padtype_to_pads(shape, spans, strides, padding) if isinstance(padding, str)
            else _pairs("reduce_window", padding, nd))
    config = [(lo, hi, b - 1) for (lo, hi), b in zip(pads, base, strict=True)]
    padded = [_dilate(m, i + 1) + lo + hi for m, (lo, hi, i) in zip(shape, config, strict=True)]
    # (Cropping more than the operand holds leaves no window, as in JAX: no error.)
    out_sizes = [_out_size(p, k, s) for p, k, s in zip(padded, spans, strides, strict=True)]
    if 0 in out_sizes:
        outs = [fnp.broadcast_to(i, tuple(out_sizes)) for i in inits]
        return tree_unflatten(tree, outs)
    window = (range(nd), sizes, wdil, strides, out_sizes)
    kind = _monoid(computation) if len(leaves) == 1 else None
    if kind is not None:
        return _reduce_monoid(kind, leaves[0], inits[0], config, window)
    return _reduce_fold(computation, tree, leaves, inits, config, window)


def _init_value(init: Any, dtype: np.dtype[Any]) -> Any:
    """``init`` as a scalar of ``dtype`` (a Python number takes it, as in lax)."""
    if isinstance(init, (bool, int, float, complex)) and not isinstance(init, np.generic):
        return np.asarray(init, dtype)
    init = init if isinstance(init, Tracer) else np.asarray(init)
    aval = get_aval(init)
    if aval.shape != () or aval.dtype != dtype:
        raise TypeError("reduce_window: init_value must be a scalar of the operand's dtype "
                        f"{dtype}, got {aval.str_short()}.")
    return init


def _reduce_monoid(kind: str, x: Any, init: Any, config: list[tuple[int, int, int]],
                   window: tuple[Any, ...]) -> Any:
    reduce, combine, identity = _MONOIDS[kind]
    dtype = get_aval(x).dtype
    unit = np.asarray(identity(dtype), dtype)
    slices = _window_slices(_pad(x, unit, config), *window)
    if len(slices) == 1:
        out = slices[0]
    elif kind in ("add", "mul"):
        out = reduce(fnp.stack(slices), axis=0, dtype=dtype)  # (lax keeps the dtype)
    else:
        out = reduce(fnp.stack(slices), axis=0)
    if isinstance(init, Tracer) or not np.array_equal(init, unit):
        out = combine(out, init)
    return out


def _reduce_fold(computation: Callable[[Any, Any], Any], tree: Any, leaves: list[Any],
                 inits: list[Any], config: list[tuple[int, int, int]],
                 window: tuple[Any, ...]) -> Any:
    """``acc = computation(acc, entry)`` from ``acc = init``, entry by entry of each window,
    leaving ``acc`` as it is where the entry is padding."""
    shape = get_aval(leaves[0]).shape
    # Where the padded operand holds an entry of the operand (a constant).
    real = ix.pad_p.impl(np.ones(shape, bool), np.array(False), padding_config=tuple(config))[0]
    masks = [real[tuple(slice(*b) for b in zip(*bounds, strict=True))]
             for bounds in _window_bounds(real.shape, *window)]
    per_leaf = [_window_slices(_pad(x, i, config), *window) for x, i in zip(leaves, inits,
                                                                              strict=True)]
    out_shape = masks[0].shape
    acc = [fnp.broadcast_to(i, out_shape) for i in inits]
    for k, mask in enumerate(masks):
        entries = [s[k] for s in per_leaf]
        new, new_tree = tree_flatten(computation(tree_unflatten(tree, acc),
                                                 tree_unflatten(tree, entries)))
        if new_tree != tree:
            raise TypeError(f"reduce_window: computation must return the structure of "
                            f"operand, {tree}, got {new_tree}.")
        acc = [n if mask.all() else fnp.where(mask, n, a)
               for n, a in zip(new, acc, strict=True)]
    return tree_unflatten(tree, acc)


# -- unshared convolutions and output shapes ----------------------------------------------------


def conv_general_dilated_local(lhs: Any, rhs: Any, window_strides: Sequence[int],
                               padding: Padding, filter_shape: Sequence[int],
                               lhs_dilation: Sequence[int] | None = None,
                               rhs_dilation: Sequence[int] | None = None,
                               dimension_numbers: Any = None, precision: Any = None) -> Any:
    """``jax.lax.conv_general_dilated_local``: a locally connected (unshared) convolution,
    with a separate kernel at every output position.

    The arguments are :func:`conv_general_dilated_patches`' (the receptive window's spatial
    shape is ``filter_shape``), plus ``rhs``: laid out as ``dimension_numbers[1]`` says, with
    its spatial axes indexing the *output* positions and its ``I`` axis the flattened patch
    (input channel slowest, then the window's positions), of length ``C * prod(filter_shape)``.
    Computed as the patches contracted with ``rhs`` position by position (one
    ``dot_general`` with the spatial axes as batch axes).  ``precision`` is ignored.

    >>> import numpy as np
    >>> x = np.arange(4.0).reshape(1, 1, 4)             # N, C, W
    >>> w = np.array([[[1.0, 0.0, 1.0], [1.0, 1.0, 0.0]]])  # O, I = C * 2, out W = 3
    >>> conv_general_dilated_local(x, w, (1,), "VALID", (2,))
    array([[[1., 2., 2.]]])
    """
    lhs = fnp.asarray(lhs)
    filter_shape = tuple(operator.index(k) for k in filter_shape)
    patches = conv_general_dilated_patches(lhs, filter_shape, window_strides, padding,
                                           lhs_dilation, rhs_dilation, dimension_numbers)
    dnums = conv_dimension_numbers(sh.shape_of(lhs), (1, 1, *filter_shape), dimension_numbers)
    rhs = fnp.asarray(rhs)
    if get_aval(rhs).dtype != get_aval(patches).dtype:
        raise TypeError("conv_general_dilated_local: lhs and rhs must have the same dtype, got "
                        f"{get_aval(lhs).dtype} and {get_aval(rhs).dtype}.")
    p_shape, r_shape = sh.shape_of(patches), sh.shape_of(rhs)
    want = [p_shape[d] for d in dnums.out_spec[2:]]
    got = [r_shape[d] for d in dnums.rhs_spec[2:]]
    if (len(r_shape) != len(p_shape) or got != want
            or r_shape[dnums.rhs_spec[1]] != p_shape[dnums.out_spec[1]]):
        raise ValueError(
            f"conv_general_dilated_local: rhs of shape {r_shape} does not fit: its spatial axes "
            f"must be the output's {tuple(want)} and its input-feature axis "
            f"C * prod(filter_shape) = {p_shape[dnums.out_spec[1]]} long.")
    # Canonical layouts: patches (N, K, S...), rhs (O, K, S...); contract K, batch over S.
    p = fnp.transpose(patches, dnums.out_spec)
    r = fnp.transpose(rhs, dnums.rhs_spec)
    n = len(want)
    spatial = tuple(range(2, 2 + n))
    out = la.dot_general(p, r, (((1,), (1,)), (spatial, spatial)))  # (S..., N, O)
    canonical = fnp.moveaxis(out, (n, n + 1), (0, 1))  # (N, O, S...)
    return fnp.transpose(canonical, tuple(np.argsort(dnums.out_spec)))


def _canonical_shapes(lhs_shape: Sequence[int], rhs_shape: Sequence[int],
                      dimension_numbers: Any) -> tuple[list[int], list[int],
                                                       ConvDimensionNumbers]:
    dnums = conv_dimension_numbers(lhs_shape, rhs_shape, dimension_numbers)
    return ([int(lhs_shape[d]) for d in dnums.lhs_spec],
            [int(rhs_shape[d]) for d in dnums.rhs_spec], dnums)


def _from_canonical(shape: Sequence[int], out_spec: Sequence[int]) -> tuple[int, ...]:
    out = [0] * len(shape)
    for i, d in enumerate(out_spec):
        out[d] = int(shape[i])
    return tuple(out)


def conv_shape_tuple(lhs_shape: Sequence[int], rhs_shape: Sequence[int],
                     strides: Sequence[int], pads: Padding, batch_group_count: int = 1
                     ) -> tuple[int, ...]:
    """``jax.lax.conv_shape_tuple``: the output shape of a convolution of shapes in the
    canonical layouts ``(N, C, spatial...)`` and ``(O, I, spatial...)``, with ``strides`` and
    ``pads`` (a padding string or ``(low, high)`` pairs).

    >>> conv_shape_tuple((2, 3, 9, 9), (4, 3, 3, 3), (2, 2), "SAME")
    (2, 4, 5, 5)
    """
    n = len(lhs_shape) - 2
    spatial_in, kernel = list(lhs_shape[2:]), list(rhs_shape[2:])
    if isinstance(pads, str):
        pairs = padtype_to_pads(spatial_in, kernel, strides, pads)
    elif len(pads) != n:
        raise TypeError(f"conv_shape_tuple: expected {n} (low, high) pads, one per spatial "
                        f"axis, got {len(pads)}.")
    else:
        pairs = _pairs("conv_shape_tuple", pads, n)
    padded = [m + lo + hi for m, (lo, hi) in zip(spatial_in, pairs, strict=True)]
    if any(p < 0 for p in padded):
        raise ValueError(f"conv_shape_tuple: negative padding {pairs} is larger than the "
                         f"spatial sizes {tuple(spatial_in)}.")
    groups = operator.index(batch_group_count)
    if lhs_shape[0] % groups:
        raise ValueError(f"conv_shape_tuple: batch_group_count {groups} does not divide the "
                         f"batch size {lhs_shape[0]}.")
    out = [_out_size(p, k, s) for p, k, s in zip(padded, kernel, strides, strict=True)]
    return (int(lhs_shape[0]) // groups, int(rhs_shape[0]), *out)


def conv_general_shape_tuple(lhs_shape: Sequence[int], rhs_shape: Sequence[int],
                             window_strides: Sequence[int], padding: Padding,
                             dimension_numbers: Any) -> tuple[int, ...]:
    """``jax.lax.conv_general_shape_tuple``: :func:`conv_shape_tuple` for shapes laid out as
    ``dimension_numbers`` says (three layout strings, or what
    :func:`conv_general_dilated` takes); the result is in the output's layout.

    >>> conv_general_shape_tuple((2, 9, 9, 3), (3, 3, 3, 4), (1, 1), "VALID",
    ...                          ("NHWC", "HWIO", "NHWC"))
    (2, 7, 7, 4)
    """
    lhs, rhs, dnums = _canonical_shapes(lhs_shape, rhs_shape, dimension_numbers)
    return _from_canonical(conv_shape_tuple(lhs, rhs, window_strides, padding), dnums.out_spec)


def conv_transpose_shape_tuple(lhs_shape: Sequence[int], rhs_shape: Sequence[int],
                               window_strides: Sequence[int], padding: Padding,
                               dimension_numbers: Any) -> tuple[int, ...]:
    """``jax.lax.conv_transpose_shape_tuple``: the output shape of :func:`conv_transpose`
    (without ``rhs_dilation``) of shapes laid out as ``dimension_numbers`` says.

    >>> conv_transpose_shape_tuple((1, 4, 4, 2), (3, 3, 2, 5), (2, 2), "SAME",
    ...                            ("NHWC", "HWIO", "NHWC"))
    (1, 8, 8, 5)
    """
    lhs, rhs, dnums = _canonical_shapes(lhs_shape, rhs_shape, dimension_numbers)
    strides = [operator.index(s) for s in window_strides]
    if isinstance(padding, str):
        pairs = [_conv_transpose_padding(k, s, padding)
                 for k, s in zip(rhs[2:], strides, strict=True)]
    else:
        pairs = _pairs("conv_transpose_shape_tuple", padding, len(lhs) - 2)
    # the input dilated by the stride, padded, then a VALID window of the kernel's size
    out = [(m - 1) * s + 1 + lo + hi - k + 1
           for m, k, s, (lo, hi) in zip(lhs[2:], rhs[2:], strides, pairs, strict=True)]
    return _from_canonical((lhs[0], rhs[0], *out), dnums.out_spec)


def reduce_window_shape_tuple(operand_shape: Sequence[int], window_dimensions: Sequence[int],
                              window_strides: Sequence[int], padding: Sequence[tuple[int, int]],
                              base_dilation: Sequence[int] | None = None,
                              window_dilation: Sequence[int] | None = None) -> tuple[int, ...]:
    """``jax.lax.reduce_window_shape_tuple``: the output shape of :func:`reduce_window` with
    these windows, strides, ``(low, high)`` paddings and dilations.

    >>> reduce_window_shape_tuple((4, 6), (2, 2), (2, 2), ((0, 0), (1, 1)))
    (2, 4)
    """
    n = len(operand_shape)
    name = "reduce_window_shape_tuple"
    base = _ints(name, "base_dilation", base_dilation, n)
    dil = _ints(name, "window_dilation", window_dilation, n)
    strides = _ints(name, "window_strides", window_strides, n)
    pairs = _pairs(name, padding, n)
    return tuple(_out_size(_dilate(m, b) + lo + hi, _dilate(w, d), s)
                 for m, w, s, (lo, hi), b, d in zip(operand_shape, window_dimensions, strides,
                                                    pairs, base, dil, strict=True))


__all__ = [
    "ConvDimensionNumbers", "conv", "conv_dimension_numbers", "conv_general_dilated",
    "conv_general_dilated_local", "conv_general_permutations", "conv_general_shape_tuple",
    "conv_shape_tuple", "conv_transpose", "conv_transpose_shape_tuple",
    "conv_with_general_padding", "padtype_to_pads", "reduce_window",
    "reduce_window_shape_tuple",
]
