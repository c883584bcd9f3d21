"""JAX's ``jax.tree`` namespace: the pytree functions of :mod:`functrace.tree_util` under short
names (``tree.map``, ``tree.leaves``, ``tree.map_with_path``...), plus :func:`static`.

>>> import functrace as ft
>>> ft.tree.map(lambda x: x * 2, {"a": 1, "b": (2, 3)})
{'a': 2, 'b': (4, 6)}
"""

from __future__ import annotations

import dataclasses
from typing import Any

from functrace import tree_util

all = tree_util.tree_all  # noqa: A001 - jax.tree's name
broadcast = tree_util.tree_broadcast
flatten = tree_util.tree_flatten
flatten_with_path = tree_util.tree_flatten_with_path
leaves = tree_util.tree_leaves
leaves_with_path = tree_util.tree_leaves_with_path
map = tree_util.tree_map  # noqa: A001 - jax.tree's name
map_with_path = tree_util.tree_map_with_path
reduce = tree_util.tree_reduce
reduce_associative = tree_util.tree_reduce_associative
structure = tree_util.tree_structure
transpose = tree_util.tree_transpose
unflatten = tree_util.tree_unflatten


def static(**kwargs: Any) -> Any:
    """A ``dataclasses.field(**kwargs)`` marked static for :func:`tree_util.register_dataclass`.

    The field becomes aux data in the treedef instead of a child, as with
    ``metadata={'static': True}``.

    Raises:
        TypeError: if ``kwargs`` holds a ``metadata`` mapping that sets ``static`` to False.

    Example:
        >>> @tree_util.register_dataclass
        ... @dataclasses.dataclass
        ... class Layer:
        ...     w: float
        ...     act: str = static(default='tanh')
        >>> flatten(Layer(w=1.0))
        ([1.0], PyTreeDef(CustomNode(Layer[('tanh',)], [*])))
    """
    metadata = dict(kwargs.pop("metadata", None) or {})
    if metadata.get("static", True) is not True:
        raise TypeError(
            f"tree.static: metadata sets static={metadata['static']!r}; a static field has "
            "static=True (use dataclasses.field for a data field)."
        )
    metadata["static"] = True
    return dataclasses.field(metadata=metadata, **kwargs)


__all__ = [
    "all",
    "broadcast",
    "flatten",
    "flatten_with_path",
    "leaves",
    "leaves_with_path",
    "map",
    "map_with_path",
    "reduce",
    "reduce_associative",
    "static",
    "structure",
    "transpose",
    "unflatten",
]
