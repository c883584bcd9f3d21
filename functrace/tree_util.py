"""Pytrees: nested containers flattened to a list of leaves plus a ``PyTreeDef``.

A pytree is a value built from *nodes* (tuples, lists, dicts, ``None``, namedtuples,
``OrderedDict``, ``defaultdict`` and registered classes) whose non-node parts are *leaves*
(arrays, numbers, anything else). Every public transformation flattens its arguments,
works on the flat list of leaves, and unflattens the results, as in ``jax.tree_util``.

Flattening runs on every call of a transformed function, so the hot paths dispatch on the
exact ``type(x)`` with one dict lookup and build nothing but the leaf list and the treedef.
"""

from __future__ import annotations

import collections
import dataclasses
import functools
from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import Any, TypeVar, overload

__all__ = [
    "PyTreeDef",
    "broadcast_prefix",
    "register_dataclass",
    "register_pytree_node",
    "register_pytree_node_class",
    "tree_all",
    "tree_flatten",
    "tree_leaves",
    "tree_map",
    "tree_reduce",
    "tree_structure",
    "tree_transpose",
    "tree_unflatten",
]

T = TypeVar("T")
IsLeaf = Callable[[Any], bool]
"""Predicate marking subtrees that should be treated as leaves, not traversed."""
FlattenFunc = Callable[[Any], tuple[Iterable[Any], Hashable]]
"""``flatten_func(node) -> (children, aux_data)``; ``aux_data`` must be hashable."""
UnflattenFunc = Callable[[Any, tuple[Any, ...]], Any]
"""``unflatten_func(aux_data, children) -> node``."""


class _NodeKind:
    """How one node type splits into (children, aux), is rebuilt, and is printed.

    ``unflatten`` receives the rebuilt children as a fresh list it may keep.
    ``to_str(aux, child_strs)`` prints the node; ``path_entry(aux, i)`` names child ``i``
    in error messages (``[0]``, ``['a']``, ``.x``).
    """

    __slots__ = ("nodetype", "flatten", "unflatten", "to_str", "path_entry")

    def __init__(
        self,
        nodetype: type,
        flatten: Callable[[Any], tuple[Iterable[Any], Any]],
        unflatten: Callable[[Any, list[Any]], Any],
        to_str: Callable[[Any, list[str]], str],
        path_entry: Callable[[Any, int], str] | None = None,
    ) -> None:
        self.nodetype = nodetype
        self.flatten = flatten
        self.unflatten = unflatten
        self.to_str = to_str
        self.path_entry = path_entry or _index_entry

    def __repr__(self) -> str:
        return f"_NodeKind({self.nodetype.__qualname__})"


def _index_entry(aux: Any, i: int) -> str:
    return f"[{i}]"


def _sorted_keys(d: dict[Any, Any]) -> list[Any]:
    # Sorted keys make {'a':..,'b':..} and {'b':..,'a':..} share one treedef. Keys of mixed
    # types do not compare, so fall back to a deterministic order by type name and repr.
    try:
        return sorted(d)
    except TypeError:
        return sorted(d, key=lambda k: (type(k).__qualname__, repr(k)))


def _custom_str(name: str, aux: Any, child_strs: list[str]) -> str:
    return f"CustomNode({name}[{aux}], [{', '.join(child_strs)}])"


# --- built-in node kinds --------------------------------------------------------------


def _tuple_str(aux: Any, cs: list[str]) -> str:
    return "(" + ", ".join(cs) + ("," if len(cs) == 1 else "") + ")"


def _dict_flatten(d: dict[Any, Any]) -> tuple[list[Any], tuple[Any, ...]]:
    keys = _sorted_keys(d)
    return [d[k] for k in keys], tuple(keys)


def _dict_str(aux: tuple[Any, ...], cs: list[str]) -> str:
    return "{" + ", ".join(f"{k!r}: {c}" for k, c in zip(aux, cs, strict=True)) + "}"


def _ordered_dict_flatten(d: collections.OrderedDict[Any, Any]) -> tuple[list[Any], Any]:
    return list(d.values()), tuple(d)


def _defaultdict_flatten(d: collections.defaultdict[Any, Any]) -> tuple[list[Any], Any]:
    children, keys = _dict_flatten(d)
    return children, (d.default_factory, keys)


_TUPLE = _NodeKind(tuple, lambda x: (x, None), lambda aux, ch: tuple(ch), _tuple_str)
_LIST = _NodeKind(
    list, lambda x: (x, None), lambda aux, ch: ch, lambda aux, cs: "[" + ", ".join(cs) + "]"
)
_DICT = _NodeKind(
    dict,
    _dict_flatten,
    lambda aux, ch: dict(zip(aux, ch, strict=True)),
    _dict_str,
    lambda aux, i: f"[{aux[i]!r}]",
)
_NONE = _NodeKind(type(None), lambda x: ((), None), lambda aux, ch: None, lambda aux, cs: "None")
_ORDERED_DICT = _NodeKind(
    collections.OrderedDict,
    _ordered_dict_flatten,
    lambda aux, ch: collections.OrderedDict(zip(aux, ch, strict=True)),
    lambda aux, cs: _custom_str("OrderedDict", aux, cs),
    lambda aux, i: f"[{aux[i]!r}]",
)
_DEFAULTDICT = _NodeKind(
    collections.defaultdict,
    _defaultdict_flatten,
    lambda aux, ch: collections.defaultdict(aux[0], zip(aux[1], ch, strict=True)),
    lambda aux, cs: _custom_str("defaultdict", aux, cs),
    lambda aux, i: f"[{aux[1][i]!r}]",
)

# Exact type -> kind. Namedtuple classes are added on first sight; registered types on
# registration. A type absent from this table is a leaf unless it is a namedtuple.
_KINDS: dict[type, _NodeKind] = {
    k.nodetype: k for k in (_TUPLE, _LIST, _DICT, _NONE, _ORDERED_DICT, _DEFAULTDICT)
}
_BUILTIN_TYPES = frozenset(_KINDS)
_REGISTERED: set[type] = set()


def _namedtuple_kind(cls: type) -> _NodeKind:
    kind = _NodeKind(
        cls,
        lambda x: (x, None),
        lambda aux, ch: cls(*ch),
        lambda aux, cs: f"CustomNode(namedtuple[{cls.__name__}], [{', '.join(cs)}])",
        lambda aux, i: f".{cls._fields[i]}",  # type: ignore[attr-defined]
    )
    _KINDS[cls] = kind
    return kind


def _kind_of(x: Any) -> _NodeKind | None:
    """The node kind of ``x``, or None when ``x`` is a leaf."""
    kind = _KINDS.get(type(x))
    if kind is None and isinstance(x, tuple) and hasattr(x, "_fields"):
        kind = _namedtuple_kind(type(x))
    return kind


# --- PyTreeDef ------------------------------------------------------------------------


class PyTreeDef:
    """The structure of a pytree: its nodes and where the leaves go, without the leaves.

    Treedefs are immutable, hashable and compared structurally, so they can key caches
    (``jit`` does). Build them with :func:`tree_flatten` or :func:`tree_structure`.

    Example:
        >>> td = tree_structure((1, {'a': 2, 'b': None}))
        >>> td
        PyTreeDef((*, {'a': *, 'b': None}))
        >>> td.num_leaves, td.num_nodes
        (2, 5)
        >>> td.unflatten([10, 20])
        (10, {'a': 20, 'b': None})
    """

    __slots__ = ("_kind", "_aux", "_children", "_num_leaves", "_num_nodes", "_hash")
    _kind: _NodeKind | None
    _aux: Any
    _children: tuple[PyTreeDef, ...]
    _num_leaves: int
    _num_nodes: int
    _hash: int | None

    # Internal constructor: ``kind`` None means a leaf.
    def __init__(self, kind: _NodeKind | None, aux: Any, children: tuple[PyTreeDef, ...]) -> None:
        num_leaves = 0 if kind is not None else 1
        num_nodes = 1
        for child in children:
            num_leaves += child._num_leaves
            num_nodes += child._num_nodes
        self._kind = kind
        self._aux = aux
        self._children = children
        self._num_leaves = num_leaves
        self._num_nodes = num_nodes
        self._hash = None

    @property
    def num_leaves(self) -> int:
        """Number of leaves in the structure."""
        return self._num_leaves

    @property
    def num_nodes(self) -> int:
        """Number of nodes, counting leaves and empty nodes such as ``None``."""
        return self._num_nodes

    def children(self) -> list[PyTreeDef]:
        """The treedefs of the root's children, in flattening order (empty for a leaf)."""
        return list(self._children)

    def unflatten(self, leaves: Iterable[Any]) -> Any:
        """Rebuild a pytree of this structure from ``leaves``; see :func:`tree_unflatten`."""
        if not isinstance(leaves, (list, tuple)):
            leaves = list(leaves)
        if len(leaves) != self._num_leaves:
            raise ValueError(
                f"tree_unflatten: {self} expected {self._num_leaves} leaves, got {len(leaves)}."
            )
        return _unflatten(self, iter(leaves))

    def flatten_up_to(self, tree: Any) -> list[Any]:
        """Flatten ``tree`` only as deep as this structure, returning one subtree per leaf.

        Args:
            tree: a pytree that has this treedef as a prefix.

        Returns:
            The subtrees of ``tree`` at the positions of this treedef's leaves.

        Raises:
            ValueError: if this treedef is not a prefix of ``tree``'s structure.

        Example:
            >>> tree_structure((0, 0)).flatten_up_to(((1, 2), [3]))
            [(1, 2), [3]]
        """
        return _flatten_up_to_or_raise(
            self, tree, None, "flatten_up_to: the tree does not match the treedef."
        )

    def compose(self, inner: PyTreeDef) -> PyTreeDef:
        """The treedef of this structure with every leaf replaced by ``inner``.

        Example:
            >>> tree_structure((0, 0)).compose(tree_structure([0]))
            PyTreeDef(([*], [*]))
        """
        if self._kind is None:
            return inner
        return PyTreeDef(self._kind, self._aux, tuple(c.compose(inner) for c in self._children))

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        if not isinstance(other, PyTreeDef):
            return NotImplemented
        return (
            self._num_leaves == other._num_leaves
            and self._num_nodes == other._num_nodes
            and self._kind is other._kind
            and self._aux == other._aux
            and self._children == other._children
        )

    def __hash__(self) -> int:
        if self._hash is None:
            self._hash = hash((self._kind, self._aux, self._children))
        return self._hash

    def __repr__(self) -> str:
        return f"PyTreeDef({_treedef_str(self)})"

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickle by node type, not by kind object: loading looks the kind up again, so a
        # registered class must be registered in the loading process too (as in JAX).
        nodetype = None if self._kind is None else self._kind.nodetype
        return _rebuild_treedef, (nodetype, self._aux, self._children)

    def __copy__(self) -> PyTreeDef:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> PyTreeDef:
        return self


_LEAF = PyTreeDef(None, None, ())


def _rebuild_treedef(nodetype: type | None, aux: Any, children: tuple[PyTreeDef, ...]) -> PyTreeDef:
    if nodetype is None:
        return _LEAF
    kind = _KINDS.get(nodetype)
    if kind is None:
        if not (issubclass(nodetype, tuple) and hasattr(nodetype, "_fields")):
            raise TypeError(
                f"cannot unpickle a PyTreeDef: {nodetype.__qualname__} is not a registered "
                "pytree node type in this process; register it before loading."
            )
        kind = _namedtuple_kind(nodetype)
    return PyTreeDef(kind, aux, children)


def _treedef_str(td: PyTreeDef) -> str:
    kind = td._kind
    if kind is None:
        return "*"
    return kind.to_str(td._aux, [_treedef_str(c) for c in td._children])


def _flatten(x: Any, leaves: list[Any], is_leaf: IsLeaf | None) -> PyTreeDef:
    if is_leaf is not None and is_leaf(x):
        leaves.append(x)
        return _LEAF
    kind = _KINDS.get(type(x))
    if kind is None:
        if not (isinstance(x, tuple) and hasattr(x, "_fields")):
            leaves.append(x)
            return _LEAF
        kind = _namedtuple_kind(type(x))
    children, aux = kind.flatten(x)
    child_defs = []
    for c in children:
        # Inline the commonest case, an array or number child, to skip a recursive call.
        if is_leaf is None and type(c) not in _KINDS and not isinstance(c, tuple):
            leaves.append(c)
            child_defs.append(_LEAF)
        else:
            child_defs.append(_flatten(c, leaves, is_leaf))
    return PyTreeDef(kind, aux, tuple(child_defs))


def _unflatten(td: PyTreeDef, leaves: Any) -> Any:
    # ``leaves`` is an iterator; the caller has checked that it holds exactly enough.
    kind = td._kind
    if kind is None:
        return next(leaves)
    children = [next(leaves) if c._kind is None else _unflatten(c, leaves) for c in td._children]
    return kind.unflatten(td._aux, children)


# --- matching a tree against a treedef prefix -----------------------------------------


class _Mismatch(Exception):
    """Internal: raised where a tree departs from a treedef; collects the path upwards."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail
        self.path: list[str] = []

    def where(self) -> str:
        return "tree" + "".join(reversed(self.path)) if self.path else "the root"


def _describe_node(kind: _NodeKind | None, aux: Any, num_children: int) -> str:
    if kind is None:
        return "a leaf"
    if kind is _NONE:
        return "None"
    if kind is _TUPLE or kind is _LIST:
        return f"a {kind.nodetype.__name__} of length {num_children}"
    if kind is _DICT:
        return f"a dict with keys {list(aux)}"
    return f"a {kind.nodetype.__name__} node with aux data {aux!r} and {num_children} children"


def _describe_value(x: Any, is_leaf: IsLeaf | None) -> str:
    if is_leaf is not None and is_leaf(x):
        return f"a leaf of type {type(x).__name__}"
    kind = _kind_of(x)
    if kind is None:
        return f"a leaf of type {type(x).__name__}"
    children, aux = kind.flatten(x)
    return _describe_node(kind, aux, len(list(children)))


def _flatten_up_to(td: PyTreeDef, x: Any, out: list[Any], is_leaf: IsLeaf | None) -> None:
    kind = td._kind
    if kind is None:
        out.append(x)
        return
    if (is_leaf is not None and is_leaf(x)) or _kind_of(x) is not kind:
        raise _Mismatch(
            f"expected {_describe_node(kind, td._aux, len(td._children))}, "
            f"got {_describe_value(x, is_leaf)}"
        )
    children, aux = kind.flatten(x)
    if not isinstance(children, (list, tuple)):
        children = list(children)
    if aux != td._aux or len(children) != len(td._children):
        raise _Mismatch(
            f"expected {_describe_node(kind, td._aux, len(td._children))}, "
            f"got {_describe_node(kind, aux, len(children))}"
        )
    for i, (child_td, child) in enumerate(zip(td._children, children, strict=True)):
        try:
            _flatten_up_to(child_td, child, out, is_leaf)
        except _Mismatch as e:
            e.path.append(kind.path_entry(aux, i))
            raise


def _flatten_up_to_or_raise(
    td: PyTreeDef, tree: Any, is_leaf: IsLeaf | None, headline: str, labels: str = ""
) -> list[Any]:
    out: list[Any] = []
    try:
        _flatten_up_to(td, tree, out, is_leaf)
    except _Mismatch as e:
        expected_label, got_label = labels.split("|") if labels else ("expected", "got")
        width = max(len(expected_label), len(got_label)) + 1
        raise ValueError(
            f"{headline}\n"
            f"  {expected_label + ':':<{width}} {td}\n"
            f"  {got_label + ':':<{width}} {tree_structure(tree, is_leaf)}\n"
            f"  mismatch at {e.where()}: {e.detail}."
        ) from None
    return out


# --- public functions -----------------------------------------------------------------


def tree_flatten(tree: Any, is_leaf: IsLeaf | None = None) -> tuple[list[Any], PyTreeDef]:
    """Flatten a pytree into its leaves and its structure.

    Args:
        tree: the pytree to flatten.
        is_leaf: optional predicate; a subtree for which it returns True is kept whole as
            one leaf instead of being traversed.

    Returns:
        ``(leaves, treedef)``: the leaves in traversal order (dicts by sorted key) and the
        structure needed by :func:`tree_unflatten` to rebuild the tree.

    Example:
        >>> tree_flatten((1, {'b': 2, 'a': 3}, None))
        ([1, 3, 2], PyTreeDef((*, {'a': *, 'b': *}, None)))
    """
    leaves: list[Any] = []
    return leaves, _flatten(tree, leaves, is_leaf)


def tree_unflatten(treedef: PyTreeDef, leaves: Iterable[Any]) -> Any:
    """Rebuild a pytree from a treedef and its leaves.

    Args:
        treedef: the structure, from :func:`tree_flatten` or :func:`tree_structure`.
        leaves: exactly ``treedef.num_leaves`` leaves, in flattening order.

    Returns:
        The pytree. Dicts come back with their keys in sorted order.

    Raises:
        ValueError: if the number of leaves is not ``treedef.num_leaves``.

    Example:
        >>> leaves, treedef = tree_flatten([1, (2, 3)])
        >>> tree_unflatten(treedef, ['a', 'b', 'c'])
        ['a', ('b', 'c')]
    """
    return treedef.unflatten(leaves)


def tree_leaves(tree: Any, is_leaf: IsLeaf | None = None) -> list[Any]:
    """The leaves of a pytree, in flattening order.

    Args:
        tree: the pytree.
        is_leaf: optional predicate marking subtrees to keep whole, as in :func:`tree_flatten`.

    Returns:
        The list of leaves.

    Example:
        >>> tree_leaves({'x': [1, 2], 'y': None, 'z': 3})
        [1, 2, 3]
    """
    leaves: list[Any] = []
    _flatten(tree, leaves, is_leaf)
    return leaves


def tree_structure(tree: Any, is_leaf: IsLeaf | None = None) -> PyTreeDef:
    """The treedef of a pytree.

    Args:
        tree: the pytree.
        is_leaf: optional predicate marking subtrees to keep whole, as in :func:`tree_flatten`.

    Returns:
        The tree's :class:`PyTreeDef`.

    Example:
        >>> tree_structure([1, (2, None)])
        PyTreeDef([*, (*, None)])
    """
    return _flatten(tree, [], is_leaf)


def tree_map(f: Callable[..., Any], tree: Any, *rest: Any, is_leaf: IsLeaf | None = None) -> Any:
    """Apply ``f`` leafwise to one or more pytrees of the same structure.

    Args:
        f: function of ``1 + len(rest)`` arguments, called once per leaf of ``tree``.
        tree: the pytree whose structure the result takes.
        *rest: more pytrees, each with the structure of ``tree`` (as in JAX, ``tree`` may
            also be a prefix: the subtree of ``rest`` at a leaf of ``tree`` is passed whole).
        is_leaf: optional predicate marking subtrees of ``tree`` to keep whole.

    Returns:
        A pytree with the structure of ``tree`` whose leaves are ``f(x, *xs)``.

    Raises:
        ValueError: if a tree in ``rest`` does not match ``tree``; the message shows both
            structures and where they differ.

    Example:
        >>> tree_map(lambda x, y: x + y, {'a': 1, 'b': (2, 3)}, {'a': 10, 'b': (20, 30)})
        {'a': 11, 'b': (22, 33)}
    """
    leaves: list[Any] = []
    treedef = _flatten(tree, leaves, is_leaf)
    if not rest:
        return _unflatten(treedef, map(f, leaves))
    all_leaves = [leaves]
    for i, other in enumerate(rest, start=1):
        all_leaves.append(
            _flatten_up_to_or_raise(
                treedef,
                other,
                None,
                f"tree_map: tree argument {i} does not have the structure of the first tree.",
                f"first tree|argument {i}",
            )
        )
    return _unflatten(treedef, map(f, *all_leaves))


_NO_INITIAL = object()


def tree_reduce(f: Callable[[Any, Any], Any], tree: Any, initializer: Any = _NO_INITIAL,
                is_leaf: IsLeaf | None = None) -> Any:
    """Fold ``f`` over the leaves of ``tree`` from the left (``functools.reduce``).

    Raises:
        TypeError: ``tree`` has no leaves and no ``initializer`` is given.

    Example:
        >>> tree_reduce(lambda a, b: a + b, {'a': 1, 'b': (2, 3)})
        6
    """
    leaves = tree_leaves(tree, is_leaf)
    if initializer is _NO_INITIAL:
        return functools.reduce(f, leaves)
    return functools.reduce(f, leaves, initializer)


def tree_all(tree: Any, is_leaf: IsLeaf | None = None) -> bool:
    """Whether every leaf of ``tree`` is truthy (True for a tree with no leaves).

    Example:
        >>> tree_all({'a': True, 'b': [1, None]}), tree_all([True, 0])
        (True, False)
    """
    return all(tree_leaves(tree, is_leaf))


def _none_is_leaf(x: Any) -> bool:
    return x is None


def broadcast_prefix(prefix_tree: Any, full_tree: Any, is_leaf: IsLeaf | None = None) -> list[Any]:
    """Broadcast the leaves of a tree prefix over the leaves of a full tree.

    In ``prefix_tree``, ``None`` is a leaf (so ``vmap(f, in_axes=(0, None))`` marks the second
    argument unbatched). Each prefix leaf covers the whole subtree of ``full_tree`` at its
    position.

    Args:
        prefix_tree: a pytree whose structure is a prefix of ``full_tree``'s.
        full_tree: the pytree to broadcast over.
        is_leaf: optional predicate marking subtrees of either tree to keep whole.

    Returns:
        One entry per leaf of ``full_tree``: the prefix leaf that covers it.

    Raises:
        ValueError: if ``prefix_tree`` is not a tree prefix of ``full_tree``; the message
            shows both structures and where they differ.

    Example:
        >>> broadcast_prefix((0, None), ([1, 2], 3))
        [0, 0, None]
    """
    if is_leaf is None:
        prefix_is_leaf: IsLeaf = _none_is_leaf
    else:

        def prefix_is_leaf(x: Any) -> bool:
            return x is None or is_leaf(x)

    prefix_leaves: list[Any] = []
    prefix_def = _flatten(prefix_tree, prefix_leaves, prefix_is_leaf)
    if prefix_def is _LEAF:  # the common vmap case, in_axes=0
        return prefix_leaves * len(tree_leaves(full_tree, is_leaf))
    subtrees = _flatten_up_to_or_raise(
        prefix_def,
        full_tree,
        is_leaf,
        "broadcast_prefix: the prefix tree is not a tree prefix of the full tree.",
        "prefix|full tree",
    )
    result: list[Any] = []
    for leaf, subtree in zip(prefix_leaves, subtrees, strict=True):
        result.extend([leaf] * len(tree_leaves(subtree, is_leaf)))
    return result


def tree_transpose(
    outer_treedef: PyTreeDef, inner_treedef: PyTreeDef | None, pytree_to_transpose: Any
) -> Any:
    """Turn a tree of trees inside out: an outer tree of inner trees becomes the reverse.

    Args:
        outer_treedef: the structure of the outer tree.
        inner_treedef: the structure of each inner tree; if None, taken from the first one.
        pytree_to_transpose: a pytree with structure ``outer_treedef.compose(inner_treedef)``.

    Returns:
        A pytree with structure ``inner_treedef.compose(outer_treedef)``.

    Raises:
        TypeError: if ``pytree_to_transpose`` does not have the composed structure (JAX
            raises TypeError here too).

    Example:
        >>> outer = tree_structure([0, 0])
        >>> inner = tree_structure({'a': 0, 'b': 0})
        >>> tree_transpose(outer, inner, [{'a': 1, 'b': 2}, {'a': 3, 'b': 4}])
        {'a': [1, 3], 'b': [2, 4]}
    """
    if inner_treedef is None:
        subtrees = outer_treedef.flatten_up_to(pytree_to_transpose)
        if not subtrees:
            raise ValueError(
                f"tree_transpose: cannot infer inner_treedef: the outer treedef {outer_treedef} "
                "has no leaves. Pass inner_treedef explicitly."
            )
        inner_treedef = tree_structure(subtrees[0])
    flat, treedef = tree_flatten(pytree_to_transpose)
    expected = outer_treedef.compose(inner_treedef)
    if treedef != expected:
        raise TypeError(
            "tree_transpose: the tree's structure is not the outer treedef composed with the "
            f"inner treedef.\n  expected: {expected}\n  got:      {treedef}\n"
            f"  (outer: {outer_treedef}, inner: {inner_treedef})"
        )
    inner_size = inner_treedef.num_leaves
    outer_size = outer_treedef.num_leaves
    # flat is laid out outer-major: leaf j of inner tree i sits at i * inner_size + j.
    columns = [[flat[i * inner_size + j] for i in range(outer_size)] for j in range(inner_size)]
    return inner_treedef.unflatten([outer_treedef.unflatten(col) for col in columns])


# --- registration ---------------------------------------------------------------------


def _register(nodetype: type, kind: _NodeKind) -> None:
    if not isinstance(nodetype, type):
        raise TypeError(f"register_pytree_node: expected a class, got {nodetype!r}.")
    if nodetype in _BUILTIN_TYPES or nodetype in _REGISTERED:
        raise ValueError(
            f"register_pytree_node: {nodetype.__qualname__} is already a pytree node type; "
            "each type can be registered only once."
        )
    _REGISTERED.add(nodetype)
    _KINDS[nodetype] = kind  # replaces a namedtuple kind cached for this class, if any


def register_pytree_node(
    nodetype: type, flatten_func: FlattenFunc, unflatten_func: UnflattenFunc
) -> None:
    """Register a class as a pytree node type.

    Args:
        nodetype: the class. Only exact instances are nodes, not subclasses.
        flatten_func: ``flatten_func(x) -> (children, aux_data)``; ``children`` is an
            iterable of subtrees and ``aux_data`` hashable, comparable static data.
        unflatten_func: ``unflatten_func(aux_data, children) -> x``; ``children`` is a tuple.

    Raises:
        ValueError: if ``nodetype`` is already a pytree node type.

    Example:
        >>> class Pair:
        ...     def __init__(self, a, b):
        ...         self.a, self.b = a, b
        >>> register_pytree_node(
        ...     Pair, lambda p: ((p.a, p.b), None), lambda aux, ch: Pair(*ch))
        >>> tree_leaves(Pair(1, (2, 3)))
        [1, 2, 3]
    """
    name = nodetype.__name__
    _register(
        nodetype,
        _NodeKind(
            nodetype,
            flatten_func,
            lambda aux, ch: unflatten_func(aux, tuple(ch)),
            lambda aux, cs: _custom_str(name, aux, cs),
        ),
    )


TypeT = TypeVar("TypeT", bound=type)


def register_pytree_node_class(cls: TypeT) -> TypeT:
    """Class decorator: register ``cls`` using its ``tree_flatten`` / ``tree_unflatten`` methods.

    ``cls.tree_flatten(self) -> (children, aux_data)`` and the classmethod
    ``cls.tree_unflatten(aux_data, children) -> instance``, as in JAX.

    Args:
        cls: the class to register.

    Returns:
        ``cls`` itself.

    Example:
        >>> @register_pytree_node_class
        ... class Box:
        ...     def __init__(self, v):
        ...         self.v = v
        ...     def tree_flatten(self):
        ...         return (self.v,), None
        ...     @classmethod
        ...     def tree_unflatten(cls, aux, children):
        ...         return cls(*children)
        >>> tree_map(lambda x: x * 2, Box(3)).v
        6
    """
    register_pytree_node(cls, cls.tree_flatten, cls.tree_unflatten)  # type: ignore[attr-defined]
    return cls


@overload
def register_dataclass(
    nodetype: TypeT,
    data_fields: Sequence[str] | None = None,
    meta_fields: Sequence[str] | None = None,
) -> TypeT: ...


@overload
def register_dataclass(
    nodetype: None = None,
    data_fields: Sequence[str] | None = None,
    meta_fields: Sequence[str] | None = None,
) -> Callable[[TypeT], TypeT]: ...


def register_dataclass(
    nodetype: TypeT | None = None,
    data_fields: Sequence[str] | None = None,
    meta_fields: Sequence[str] | None = None,
) -> TypeT | Callable[[TypeT], TypeT]:
    """Register a dataclass as a pytree node; usable as a class decorator.

    Data fields are the node's children; meta fields go into the aux data, so they must be
    hashable and are part of the treedef. With neither list given, every ``init`` field is a
    data field except those declared ``dataclasses.field(metadata={'static': True})``, which
    are meta fields (as in JAX).

    Args:
        nodetype: the dataclass. Omit it to get a decorator taking the class.
        data_fields: names of the fields that are children.
        meta_fields: names of the fields that are static aux data.

    Returns:
        ``nodetype`` itself (or a decorator when ``nodetype`` is omitted).

    Raises:
        TypeError: if fields are not given and ``nodetype`` is not a dataclass.
        ValueError: if the given fields are not exactly the dataclass's ``init`` fields.

    Example:
        >>> @register_dataclass
        ... @dataclasses.dataclass
        ... class Params:
        ...     w: float
        ...     b: float
        >>> tree_map(lambda x: x + 1, Params(w=1.0, b=2.0))
        Params(w=2.0, b=3.0)
    """
    if nodetype is None:

        def decorate(cls: TypeT) -> TypeT:
            return register_dataclass(cls, data_fields, meta_fields)

        return decorate

    cls = nodetype
    if data_fields is None and meta_fields is None:
        if not dataclasses.is_dataclass(cls):
            raise TypeError(
                f"register_dataclass: {cls.__qualname__} is not a dataclass; decorate it with "
                "@dataclasses.dataclass first, or pass data_fields and meta_fields."
            )
        init_fields = [f for f in dataclasses.fields(cls) if f.init]
        data = tuple(f.name for f in init_fields if not f.metadata.get("static", False))
        meta = tuple(f.name for f in init_fields if f.metadata.get("static", False))
    else:
        data = tuple(data_fields or ())
        meta = tuple(meta_fields or ())
        overlap = set(data) & set(meta)
        if overlap:
            raise ValueError(
                f"register_dataclass: fields {sorted(overlap)} are in both data_fields and "
                "meta_fields."
            )
        if dataclasses.is_dataclass(cls):
            expected = {f.name for f in dataclasses.fields(cls) if f.init}
            if set(data) | set(meta) != expected:
                raise ValueError(
                    f"register_dataclass: data_fields {list(data)} and meta_fields "
                    f"{list(meta)} must together name exactly the init fields of "
                    f"{cls.__qualname__}, which are {sorted(expected)}."
                )

    def flatten(x: Any) -> tuple[list[Any], tuple[Any, ...]]:
        return [getattr(x, n) for n in data], tuple(getattr(x, n) for n in meta)

    def unflatten(aux: tuple[Any, ...], children: list[Any]) -> Any:
        kwargs = dict(zip(data, children, strict=True))
        kwargs.update(zip(meta, aux, strict=True))
        return cls(**kwargs)

    name = cls.__name__
    _register(
        cls,
        _NodeKind(
            cls,
            flatten,
            unflatten,
            lambda aux, cs: _custom_str(name, aux, cs),
            lambda aux, i: f".{data[i]}",
        ),
    )
    return cls
