"""JAX's ``jax.tree`` namespace: the pytree functions of :mod:`functrace.tree_util` under short
names (``tree.map``, ``tree.leaves``...).

>>> import functrace as ft
>>> ft.tree.map(lambda x: x * 2, {"a": 1, "b": (2, 3)})
{'a': 2, 'b': (4, 6)}
"""

from __future__ import annotations

from functrace import tree_util

all = tree_util.tree_all  # noqa: A001 - jax.tree's name
flatten = tree_util.tree_flatten
leaves = tree_util.tree_leaves
map = tree_util.tree_map  # noqa: A001 - jax.tree's name
reduce = tree_util.tree_reduce
structure = tree_util.tree_structure
transpose = tree_util.tree_transpose
unflatten = tree_util.tree_unflatten

__all__ = ["all", "flatten", "leaves", "map", "reduce", "structure", "transpose", "unflatten"]
