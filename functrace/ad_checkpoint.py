"""``jax.ad_checkpoint``: ``checkpoint`` (``remat``), its policies and ``checkpoint_name``.

``checkpoint`` keeps only its inputs (and what its ``policy`` saves) for the backward pass and
recomputes the rest; ``checkpoint_name`` records a ``name[name=...]`` equation, the identity
under every transformation, which the name-based policies read (see docs/autodiff.md).

>>> import functrace as ft
>>> from functrace.ad_checkpoint import checkpoint_name
>>> float(ft.grad(lambda x: checkpoint_name(x * x, "square"))(3.0))
6.0
"""

from __future__ import annotations

from typing import Any

from functrace import checkpoint_policies
from functrace.api import checkpoint, remat
from functrace.primitives.remat import checkpoint_name as _name_leaf
from functrace.tree_util import tree_map

__all__ = ["checkpoint", "checkpoint_name", "checkpoint_policies", "remat"]


def checkpoint_name(x: Any, name: str) -> Any:
    """``x`` (a pytree of arrays), named ``name`` for the name-based policies of
    :mod:`functrace.checkpoint_policies`: each traced leaf goes through an equation
    ``name[name=...]``, the identity under every transformation, whose output a
    ``checkpoint`` policy such as ``save_only_these_names(name)`` may save for the backward
    pass.  Untraced leaves are returned as arrays.

    Raises:
      TypeError: ``name`` is not a string.
    """
    if not isinstance(name, str):
        raise TypeError(f"checkpoint_name: name must be a string, got {type(name).__name__}.")
    return tree_map(lambda v: _name_leaf(v, name), x)
