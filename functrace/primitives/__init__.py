"""The primitives, one module per family.  Importing this package registers every rule."""

from functrace.primitives import elementwise, indexing, linalg, reductions, shape

__all__ = ["elementwise", "indexing", "linalg", "reductions", "shape"]
