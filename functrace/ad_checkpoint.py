"""``jax.ad_checkpoint``: ``checkpoint`` (``remat``), its policies and ``checkpoint_name``.

functrace's reverse mode reads residuals from the tape of the forward pass, so ``checkpoint``
recomputes nothing and ``checkpoint_name`` only returns its argument; both exist so that code
written for JAX runs unchanged, with the same values and derivatives (see docs/autodiff.md).

>>> import functrace as ft
>>> from functrace.ad_checkpoint import checkpoint_name
>>> float(ft.grad(lambda x: checkpoint_name(x * x, "square"))(3.0))
6.0
"""

from __future__ import annotations

from typing import Any

import numpy as np

from functrace import checkpoint_policies
from functrace.api import checkpoint, remat
from functrace.core import Tracer
from functrace.tree_util import tree_map

__all__ = ["checkpoint", "checkpoint_name", "checkpoint_policies", "remat"]


def checkpoint_name(x: Any, name: str) -> Any:
    """``x`` (a pytree of arrays), named ``name`` for the name-based policies of
    :mod:`functrace.checkpoint_policies`.  In JAX the name is an identity equation in the IR
    that a policy may choose to save; functrace saves everything, so it records nothing.

    Raises:
      TypeError: ``name`` is not a string.
    """
    if not isinstance(name, str):
        raise TypeError(f"checkpoint_name: name must be a string, got {type(name).__name__}.")
    return tree_map(lambda v: v if isinstance(v, Tracer) else np.asarray(v), x)
