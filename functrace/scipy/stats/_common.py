"""What the distributions share: argument promotion and the location-scale standardisation."""

from __future__ import annotations

from typing import Any

import functrace.numpy as fnp
from functrace.scipy.special import _inexact


def args(name: str, *values: Any) -> list[Any]:
    """The arguments at their common floating dtype, broadcast (see ``special._inexact``)."""
    return _inexact(name, *values)


def standardize(name: str, x: Any, loc: Any, scale: Any) -> tuple[Any, Any]:
    """``(x - loc) / scale`` and ``log(scale)``, at the arguments' common dtype."""
    x, loc, scale = _inexact(name, x, loc, scale)
    return (x - loc) / scale, fnp.log(scale)
