"""The primitives, one module per family.  Importing this package registers every rule."""

from functrace.primitives import elementwise, linalg, reductions, shape

__all__ = ["elementwise", "linalg", "reductions", "shape"]
