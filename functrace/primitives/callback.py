"""``debug_callback``: a Python function called on the values of its operands, for its effect
(``functrace.debug.print`` and ``functrace.debug.callback``).

The equation returns a token, an ``i32[]`` zero that nothing reads.  The primitive is
*effectful* (``Primitive.effectful``): ``jit``'s passes never remove, merge or pre-compute it,
and the jvp interpreter runs it even though no output depends on it, so the callback runs at
every call of compiled code.  Under ``jvp`` and ``grad`` it sees the primal values (the token
has no derivative); under ``vmap`` it is called once per batch member, in order, as JAX's
debug callbacks are.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from functrace.core import Primitive, ShapedArray
from functrace.interpreters.jvp import jvp_rules
from functrace.interpreters.vjp import vjp_rules
from functrace.interpreters.vmap import batch_rules
from functrace.primitives.indexing import slice_in_dim
from functrace.primitives.shape import squeeze

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
