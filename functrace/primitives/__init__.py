"""The primitives, one module per family.  Importing this package registers every rule."""

from functrace.primitives import (
    callback,
    collectives,
    control_flow,
    decompositions,
    elementwise,
    fft,
    indexing,
    linalg,
    reductions,
    remat,
    shape,
    special,
    xla_math,
)

__all__ = ["callback", "collectives", "control_flow", "decompositions", "elementwise", "fft",
           "indexing", "linalg", "reductions", "remat", "shape", "special", "xla_math"]
