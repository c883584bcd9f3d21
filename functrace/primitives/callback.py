"""Python functions called from traced code on the values of their operands.

``debug_callback``: a Python function called on the values of its operands, for its effect
(``functrace.debug.print`` and ``functrace.debug.callback``).

The equation returns a token, an ``i32[]`` zero that nothing reads.  The primitive is
*effectful* (``Primitive.effectful``): ``jit``'s passes never remove, merge or pre-compute it,
and the jvp interpreter runs it even though no output depends on it, so the callback runs at
every call of compiled code.  Under ``jvp`` and ``grad`` it sees the primal values (the token
has no derivative); under ``vmap`` it is called once per batch member, in order, as JAX's
debug callbacks are.

``pure_callback``: a Python function computing outputs of declared types from the values of its
operands (``functrace.pure_callback``, JAX's).  It is pure (``jit`` may remove it when its
outputs are unused, or evaluate it once on constant operands), has no derivative (as in JAX:
wrap it in ``custom_jvp`` to give it one), and is batched as ``vmap_method`` says:
``"sequential"`` (one call per member, outputs stacked), ``"expand_dims"`` (one call, the
unbatched operands with a leading axis of length 1), ``"broadcast_all"`` (one call, every
operand broadcast to the batch), ``"legacy_vectorized"`` (as ``"expand_dims"``); without one,
``vmap`` raises ``NotImplementedError``, as JAX's does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from functrace.core import Primitive, ShapedArray
from functrace.interpreters.jvp import jvp_rules
from functrace.interpreters.vjp import vjp_rules
from functrace.interpreters.vmap import batch_rules
from functrace.primitives.indexing import concatenate, slice_in_dim
from functrace.primitives.shape import broadcast_batch, expand_dims, moveaxis, squeeze

debug_callback_p = Primitive("debug_callback", effectful=True)

_TOKEN = ShapedArray((), np.dtype(np.int32))


def debug_callback(callback: Callable[..., Any], *args: Any) -> Any:
    """Call ``callback(*values)`` with the NumPy values of ``args`` when the computation runs
    (now, when they are concrete); returns the token."""
    return debug_callback_p.bind1(*args, callback=callback)


def _impl(*args: Any, callback: Callable[..., Any]) -> Any:
    callback(*[np.asarray(a) for a in args])
    return np.zeros((), np.int32)


def _shape(*avals: ShapedArray, callback: Callable[..., Any]) -> list[ShapedArray]:
    return [_TOKEN]


def _jvp(primals: list[Any], tangents: list[Any], ans: list[Any], **params: Any) -> list[Any]:
    return [None]  # the callback ran on the primals (``ans``); the token has no tangent


def _vjp(cts: list[Any], ans: list[Any], args: list[Any], needed: list[bool],
         **params: Any) -> list[Any]:
    return [None] * len(args)


def _member(x: Any, bdim: int | None, i: int) -> Any:
    """Member ``i`` of a batched operand (an unbatched one as it is)."""
    if bdim is None:
        return x
    return squeeze(slice_in_dim(x, i, i + 1, bdim), (bdim,))


def _batch(size: int, args: list[Any], bdims: list[int | None], *,
           callback: Callable[..., Any]) -> tuple[list[Any], list[int | None]]:
    # One call per batch member, in order (the tokens are all zeros: one stands for them).
    token = None
    for i in range(size):
        token = debug_callback(callback, *[_member(x, b, i) for x, b in
                                           zip(args, bdims, strict=True)])
    if token is None:  # an empty batch: no call
        token = np.zeros((), np.int32)
    return [token], [None]


debug_callback_p.def_impl1(_impl)
debug_callback_p.shape_rule = _shape
jvp_rules[debug_callback_p] = _jvp
vjp_rules[debug_callback_p] = _vjp
batch_rules[debug_callback_p] = _batch


# -- pure_callback -------------------------------------------------------------------------------

pure_callback_p = Primitive("pure_callback", multiple_results=True)

VMAP_METHODS = ("sequential", "sequential_unrolled", "expand_dims", "broadcast_all",
                "legacy_vectorized")


def pure_callback(callback: Callable[..., Sequence[Any]], result_avals: Sequence[ShapedArray],
                  *args: Any, vmap_method: str | None = None) -> list[Any]:
    """``callback(*values)`` (flat lists in and out) as an equation with outputs of types
    ``result_avals``."""
    return pure_callback_p.bind(*args, callback=callback, result_avals=tuple(result_avals),
                                vmap_method=vmap_method)


def _pure_impl(*args: Any, callback: Callable[..., Sequence[Any]],
               result_avals: tuple[ShapedArray, ...], vmap_method: str | None) -> list[Any]:
    outs = list(callback(*[np.asarray(a) for a in args]))
    if len(outs) != len(result_avals):
        raise ValueError(f"pure_callback: the callback returned {len(outs)} arrays, but "
                         f"result_shape_dtypes declares {len(result_avals)}.")
    checked = []
    for k, (out, aval) in enumerate(zip(outs, result_avals, strict=True)):
        out = np.asarray(out)
        if out.shape != aval.shape:
            raise ValueError(f"pure_callback: output {k} of the callback has shape {out.shape}, "
                             f"but result_shape_dtypes declares {aval.str_short()}.")
        checked.append(np.asarray(out, dtype=aval.dtype))
    return checked


def _pure_shape(*avals: ShapedArray, callback: Callable[..., Sequence[Any]],
                result_avals: tuple[ShapedArray, ...], vmap_method: str | None
                ) -> list[ShapedArray]:
    return list(result_avals)


def _no_jvp(primals: list[Any], tangents: list[Any], ans: list[Any], **params: Any) -> list[Any]:
    raise ValueError("Pure callbacks do not support JVP. Please use custom_jvp to use "
                     "callbacks while taking gradients.")


def _no_vjp(cts: list[Any], ans: list[Any], args: list[Any], needed: list[bool],
            **params: Any) -> list[Any]:
    raise ValueError("Pure callbacks do not support VJP. Please use custom_vjp (or "
                     "custom_jvp) to use callbacks while taking gradients.")


def _pure_batch(size: int, args: list[Any], bdims: list[int | None], *,
                callback: Callable[..., Sequence[Any]], result_avals: tuple[ShapedArray, ...],
                vmap_method: str | None) -> tuple[list[Any], list[int | None]]:
    params = {"callback": callback, "vmap_method": vmap_method}
    if vmap_method in ("sequential", "sequential_unrolled"):
        rows = [pure_callback_p.bind(*[_member(x, b, i) for x, b in
                                       zip(args, bdims, strict=True)],
                                     result_avals=result_avals, **params)
                for i in range(size)]
        if not rows:  # an empty batch: no call
            return [np.zeros((0, *a.shape), a.dtype) for a in result_avals], [0] * len(
                result_avals)
        return [concatenate([expand_dims(row[k], (0,)) for row in rows], 0)
                for k in range(len(result_avals))], [0] * len(result_avals)
    if vmap_method in ("expand_dims", "broadcast_all", "legacy_vectorized"):
        front = []
        for x, b in zip(args, bdims, strict=True):
            if b is not None:
                front.append(moveaxis(x, b, 0))
            elif vmap_method == "broadcast_all":
                front.append(broadcast_batch(x, size, 0))
            else:
                front.append(expand_dims(x, (0,)))
        batched = tuple(ShapedArray((size, *a.shape), a.dtype) for a in result_avals)
        return (pure_callback_p.bind(*front, result_avals=batched, **params),
                [0] * len(result_avals))
    raise NotImplementedError(
        "vmap is only supported for pure_callback when vmap_method is one of "
        f"{', '.join(repr(m) for m in VMAP_METHODS)}; got vmap_method={vmap_method!r}.")


pure_callback_p.impl = _pure_impl
pure_callback_p.shape_rule = _pure_shape
jvp_rules[pure_callback_p] = _no_jvp
vjp_rules[pure_callback_p] = _no_vjp
batch_rules[pure_callback_p] = _pure_batch
