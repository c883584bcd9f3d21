"""Pytrees: nested containers flattened to a list of leaves plus a ``PyTreeDef``.

A pytree is a value built from *nodes* (tuples, lists, dicts, ``None``, namedtuples,
``OrderedDict``, ``defaultdict`` and registered classes) whose non-node parts are *leaves*
(arrays, numbers, anything else). Every public transformation flattens its arguments,
works on the flat list of leaves, and unflattens the results, as in ``jax.tree_util``.

Each leaf also has a *key path*: the tuple of key entries (:class:`SequenceKey`,
:class:`DictKey`, :class:`GetAttrKey`, :class:`FlattenedIndexKey`) that leads from the root
to it, as :func:`tree_flatten_with_path` returns and :func:`keystr` prints.

Flattening runs on every call of a transformed function, so the hot paths dispatch on the
exact ``type(x)`` with one dict lookup and build nothing but the leaf list and the treedef.
"""

from __future__ import annotations

import collections
import dataclasses
import functools
from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import Any, TypeAlias, TypeVar, overload

__all__ = [
    "DictKey",
    "FlattenedIndexKey",
    "GetAttrKey",
    "KeyEntry",
    "KeyPath",
    "Partial",
    "PyTreeDef",
    "SequenceKey",
    "all_leaves",
    "broadcast_prefix",
    "flatten_one_level",
    "flatten_one_level_with_keys",
    "is_tree_node",
    "keystr",
    "register_dataclass",
    "register_pytree_node",
    "register_pytree_node_class",
    "register_pytree_with_keys",
    "register_pytree_with_keys_class",
    "register_static",
    "tree_all",
    "tree_broadcast",
    "tree_flatten",
    "tree_flatten_with_path",
    "tree_leaves",
    "tree_leaves_with_path",
    "tree_map",
    "tree_map_with_path",
    "tree_reduce",
    "tree_reduce_associative",
    "tree_structure",
    "tree_transpose",
    "tree_unflatten",
    "treedef_children",
    "treedef_is_leaf",
    "treedef_tuple",
]

T = TypeVar("T")
IsLeaf = Callable[[Any], bool]
"""Predicate marking subtrees that should be treated as leaves, not traversed."""
FlattenFunc = Callable[[Any], tuple[Iterable[Any], Hashable]]
"""``flatten_func(node) -> (children, aux_data)``; ``aux_data`` must be hashable."""
UnflattenFunc = Callable[[Any, tuple[Any, ...]], Any]
"""``unflatten_func(aux_data, children) -> node``."""


# --- key paths ------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class SequenceKey:
    """The key of a tuple's or list's child: its index. Prints as ``[idx]``.

    Example:
        >>> SequenceKey(0), str(SequenceKey(0))
        (SequenceKey(idx=0), '[0]')
    """

    idx: int

    def __str__(self) -> str:
        return f"[{self.idx!r}]"


@dataclasses.dataclass(frozen=True, slots=True)
class DictKey:
    """The key of a dict's child: its dict key. Prints as ``[repr(key)]``.

    Example:
        >>> DictKey('a'), str(DictKey('a'))
        (DictKey(key='a'), "['a']")
    """

    key: Hashable

    def __str__(self) -> str:
        return f"[{self.key!r}]"


@dataclasses.dataclass(frozen=True, slots=True)
class GetAttrKey:
    """The key of a namedtuple's or dataclass's child: its attribute name. Prints as ``.name``.

    Example:
        >>> GetAttrKey('w'), str(GetAttrKey('w'))
        (GetAttrKey(name='w'), '.w')
    """

    name: str

    def __str__(self) -> str:
        return f".{self.name}"


@dataclasses.dataclass(frozen=True, slots=True)
class FlattenedIndexKey:
    """The key of a child of a node registered without keys: its position among the children.

    Example:
        >>> FlattenedIndexKey(1), str(FlattenedIndexKey(1))
        (FlattenedIndexKey(key=1), '[<flat index 1>]')
    """

    key: int

    def __str__(self) -> str:
        return f"[<flat index {self.key}>]"


KeyEntry: TypeAlias = Hashable
"""One step of a key path: usually a :class:`SequenceKey`, :class:`DictKey`,
:class:`GetAttrKey` or :class:`FlattenedIndexKey`, but a class registered with
:func:`register_pytree_with_keys` may use any hashable value."""
KeyPath: TypeAlias = tuple[KeyEntry, ...]
"""The key entries leading from the root of a pytree to one of its subtrees."""
KeyLeafPair: TypeAlias = tuple[KeyEntry, Any]
"""``(key, child)``, as ``flatten_with_keys`` functions return them."""
FlattenWithKeysFunc = Callable[[Any], tuple[Iterable[KeyLeafPair], Hashable]]
"""``flatten_with_keys(node) -> (((key, child), ...), aux_data)``."""
ChildKey = Callable[[Any, int], KeyEntry]
"""``child_key(aux_data, i)``: the key of child ``i`` of a node with that aux data."""


def _flat_index_key(aux: Any, i: int) -> KeyEntry:
    return FlattenedIndexKey(i)


def _sequence_key(aux: Any, i: int) -> KeyEntry:
    return SequenceKey(i)


class _NodeKind:
    """How one node type splits into (children, aux), is rebuilt, and is printed.

    ``unflatten`` receives the rebuilt children as a fresh list it may keep.
    ``to_str(aux, child_strs)`` prints the node. ``flatten_with_keys(x)`` returns
    ``([(key, child), ...], aux)``; unless given, it is ``flatten`` with the keys
    ``child_key(aux, i)`` (by default :class:`FlattenedIndexKey`).
    """

    __slots__ = ("nodetype", "flatten", "unflatten", "to_str", "flatten_with_keys")

    def __init__(
        self,
        nodetype: type,
        flatten: Callable[[Any], tuple[Iterable[Any], Any]],
        unflatten: Callable[[Any, list[Any]], Any],
        to_str: Callable[[Any, list[str]], str],
        child_key: ChildKey = _flat_index_key,
        flatten_with_keys: Callable[[Any], tuple[Iterable[KeyLeafPair], Any]] | None = None,
    ) -> None:
        self.nodetype = nodetype
        self.flatten = flatten
        self.unflatten = unflatten
        self.to_str = to_str
        if flatten_with_keys is None:

            def flatten_with_keys(x: Any) -> tuple[list[KeyLeafPair], Any]:
                children, aux = flatten(x)
                return [(child_key(aux, i), c) for i, c in enumerate(children)], aux

        self.flatten_with_keys = flatten_with_keys

    def __repr__(self) -> str:
        return f"_NodeKind({self.nodetype.__qualname__})"


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


_TUPLE = _NodeKind(
    tuple, lambda x: (x, None), lambda aux, ch: tuple(ch), _tuple_str, _sequence_key
)
_LIST = _NodeKind(
    list,
    lambda x: (x, None),
    lambda aux, ch: ch,
    lambda aux, cs: "[" + ", ".join(cs) + "]",
    _sequence_key,
)
_DICT = _NodeKind(
    dict,
    _dict_flatten,
    lambda aux, ch: dict(zip(aux, ch, strict=True)),
    _dict_str,
    lambda aux, i: DictKey(aux[i]),
)
_NONE = _NodeKind(type(None), lambda x: ((), None), lambda aux, ch: None, lambda aux, cs: "None")
_ORDERED_DICT = _NodeKind(
    collections.OrderedDict,
    _ordered_dict_flatten,
    lambda aux, ch: collections.OrderedDict(zip(aux, ch, strict=True)),
    lambda aux, cs: _custom_str("OrderedDict", aux, cs),
    lambda aux, i: DictKey(aux[i]),
)
_DEFAULTDICT = _NodeKind(
    collections.defaultdict,
    _defaultdict_flatten,
    lambda aux, ch: collections.defaultdict(aux[0], zip(aux[1], ch, strict=True)),
    lambda aux, cs: _custom_str("defaultdict", aux, cs),
    lambda aux, i: DictKey(aux[1][i]),
)

# Exact type -> kind. Namedtuple classes are added on first sight; registered types on
# registration. A type absent from this table is a leaf unless it is a namedtuple.
_KINDS: dict[type, _NodeKind] = {
    k.nodetype: k for k in (_TUPLE, _LIST, _DICT, _NONE, _ORDERED_DICT, _DEFAULTDICT)
}
_BUILTIN_TYPES = frozenset(_KINDS)
_REGISTERED: set[type] = set()


def _is_namedtuple_class(cls: type) -> bool:
    return issubclass(cls, tuple) and hasattr(cls, "_fields")


def _namedtuple_kind(cls: type) -> _NodeKind:
    fields: tuple[str, ...] = cls._fields  # type: ignore[attr-defined]
    kind = _NodeKind(
        cls,
        lambda x: (x, cls),  # the class as aux data, as JAX's flatten_one_level reports it
        lambda aux, ch: cls(*ch),
        lambda aux, cs: f"CustomNode(namedtuple[{cls.__name__}], [{', '.join(cs)}])",
        lambda aux, i: GetAttrKey(fields[i]),
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
        if not _is_namedtuple_class(nodetype):
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
    if aux is kind.nodetype:  # a namedtuple's aux data is its class
        return f"a namedtuple {kind.nodetype.__name__} with {num_children} fields"
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
            keyed, _ = kind.flatten_with_keys(x)
            e.path.append(str(list(keyed)[i][0]))
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
    leaf_lists = [leaves]
    for i, other in enumerate(rest, start=1):
        # The common case, a tree of the same structure: a full flatten is cheaper than
        # matching against the treedef node by node (which a prefix or a mismatch needs).
        other_leaves: list[Any] = []
        if _flatten(other, other_leaves, None) == treedef:
            leaf_lists.append(other_leaves)
            continue
        leaf_lists.append(
            _flatten_up_to_or_raise(
                treedef,
                other,
                None,
                f"tree_map: tree argument {i} does not have the structure of the first tree.",
                f"first tree|argument {i}",
            )
        )
    return _unflatten(treedef, map(f, *leaf_lists))


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


def tree_broadcast(prefix_tree: Any, full_tree: Any, is_leaf: IsLeaf | None = None) -> Any:
    """Copy each leaf of ``prefix_tree`` over the subtree of ``full_tree`` that it covers.

    Unlike :func:`broadcast_prefix` (which serves ``vmap``'s ``in_axes``), ``None`` in
    ``prefix_tree`` is an empty node, as everywhere else in pytrees, so it only matches a
    ``None`` in ``full_tree``.

    Args:
        prefix_tree: a pytree whose structure is a prefix of ``full_tree``'s.
        full_tree: the pytree whose structure the result takes.
        is_leaf: optional predicate marking subtrees of either tree to keep whole.

    Returns:
        A pytree with the structure of ``full_tree`` whose every leaf is the prefix leaf
        covering it.

    Raises:
        ValueError: if ``prefix_tree`` is not a tree prefix of ``full_tree``.

    Example:
        >>> tree_broadcast({'a': 1, 'b': 2}, {'a': (0, 0), 'b': [0, None]})
        {'a': (1, 1), 'b': [2, None]}
    """
    prefix_leaves: list[Any] = []
    prefix_def = _flatten(prefix_tree, prefix_leaves, is_leaf)
    subtrees = _flatten_up_to_or_raise(
        prefix_def,
        full_tree,
        is_leaf,
        "tree_broadcast: the prefix tree is not a tree prefix of the full tree.",
        "prefix|full tree",
    )
    result: list[Any] = []
    for leaf, subtree in zip(prefix_leaves, subtrees, strict=True):
        result.extend([leaf] * len(tree_leaves(subtree, is_leaf)))
    return tree_structure(full_tree, is_leaf).unflatten(result)


def tree_reduce_associative(
    operation: Callable[[T, T], T],
    tree: Any,
    *,
    identity: Any = _NO_INITIAL,
    is_leaf: IsLeaf | None = None,
) -> T:
    """Combine the leaves of ``tree`` with an associative ``operation``, as a balanced tree.

    The leaves are split in halves recursively, so ``operation`` is nested about
    ``log2(n)`` deep instead of ``n`` deep as in :func:`tree_reduce`; the result is the same
    when ``operation`` is associative.

    Args:
        operation: an associative function of two values.
        tree: the pytree whose leaves are combined, in flattening order.
        identity: returned when ``tree`` has no leaves.
        is_leaf: optional predicate marking subtrees to keep whole.

    Returns:
        The combined value.

    Raises:
        TypeError: ``tree`` has no leaves and no ``identity`` is given.

    Example:
        >>> tree_reduce_associative(lambda a, b: (a, b), [1, 2, 3, 4])
        ((1, 2), (3, 4))
    """
    leaves = tree_leaves(tree, is_leaf)
    if not leaves:
        if identity is _NO_INITIAL:
            raise TypeError(
                "tree_reduce_associative: the tree has no leaves and no identity was given; "
                "pass identity=... to reduce an empty tree."
            )
        return identity  # type: ignore[no-any-return]

    def reduce_range(lo: int, hi: int) -> T:
        if hi - lo == 1:
            return leaves[lo]  # type: ignore[no-any-return]
        mid = (lo + hi) // 2
        return operation(reduce_range(lo, mid), reduce_range(mid, hi))

    return reduce_range(0, len(leaves))


def all_leaves(iterable: Iterable[Any], is_leaf: IsLeaf | None = None) -> bool:
    """Whether every element of ``iterable`` is a leaf (so ``None``, a node, is not).

    Args:
        iterable: the values to test.
        is_leaf: optional predicate; a value for which it returns True counts as a leaf.

    Returns:
        True if no element is a pytree node.

    Example:
        >>> all_leaves([1, 'a', 2.0]), all_leaves([1, (2,)]), all_leaves([None])
        (True, False, False)
    """
    return all(
        (is_leaf is not None and is_leaf(x)) or _kind_of(x) is None for x in iterable
    )


def is_tree_node(typ: type) -> bool:
    """Whether instances of the type ``typ`` are pytree nodes (built in, namedtuple or registered).

    Raises:
        TypeError: if ``typ`` is not a type (pass ``type(x)`` to ask about a value ``x``).

    Example:
        >>> is_tree_node(dict), is_tree_node(type(None)), is_tree_node(int)
        (True, True, False)
    """
    if not isinstance(typ, type):
        raise TypeError(
            f"is_tree_node: expected a type, got {typ!r} (an instance of "
            f"{type(typ).__qualname__}); pass type(x) to ask about a value x."
        )
    return typ in _KINDS or _is_namedtuple_class(typ)


def treedef_children(treedef: PyTreeDef) -> list[PyTreeDef]:
    """The treedefs of the root's children (empty for a leaf); same as ``treedef.children()``.

    Example:
        >>> treedef_children(tree_structure((1, [2, 3], None)))
        [PyTreeDef(*), PyTreeDef([*, *]), PyTreeDef(None)]
    """
    return treedef.children()


def treedef_is_leaf(treedef: PyTreeDef) -> bool:
    """Whether ``treedef`` has a single node: a leaf, or an empty node such as ``None``, as JAX.

    Example:
        >>> treedef_is_leaf(tree_structure(1)), treedef_is_leaf(tree_structure([1]))
        (True, False)
    """
    return treedef.num_nodes == 1


def treedef_tuple(treedefs: Iterable[PyTreeDef]) -> PyTreeDef:
    """The treedef of a tuple whose children have the given treedefs.

    Raises:
        TypeError: if an element is not a :class:`PyTreeDef`.

    Example:
        >>> treedef_tuple([tree_structure(1), tree_structure([1, 2])])
        PyTreeDef((*, [*, *]))
    """
    children = tuple(treedefs)
    for i, td in enumerate(children):
        if not isinstance(td, PyTreeDef):
            raise TypeError(
                f"treedef_tuple: element {i} is a {type(td).__qualname__}, expected a "
                "PyTreeDef (build one with tree_structure)."
            )
    return PyTreeDef(_TUPLE, None, children)


def _node_kind_or_raise(tree: Any, fname: str) -> _NodeKind:
    kind = _kind_of(tree)
    if kind is None:
        raise ValueError(
            f"{fname}: can't tree-flatten type: {type(tree).__qualname__}; it is a leaf, "
            "not a pytree node."
        )
    return kind


def flatten_one_level(tree: Any) -> tuple[list[Any], Hashable]:
    """Split a pytree node into its children and aux data, without recursing.

    Raises:
        ValueError: if ``tree`` is a leaf.

    Example:
        >>> flatten_one_level({'b': [1, 2], 'a': 3})
        ([3, [1, 2]], ('a', 'b'))
    """
    children, aux = _node_kind_or_raise(tree, "flatten_one_level").flatten(tree)
    return list(children), aux


def flatten_one_level_with_keys(tree: Any) -> tuple[list[KeyLeafPair], Hashable]:
    """Like :func:`flatten_one_level`, with each child paired with its key entry.

    Raises:
        ValueError: if ``tree`` is a leaf.

    Example:
        >>> flatten_one_level_with_keys([5, 6])
        ([(SequenceKey(idx=0), 5), (SequenceKey(idx=1), 6)], None)
    """
    keyed, aux = _node_kind_or_raise(tree, "flatten_one_level_with_keys").flatten_with_keys(tree)
    return list(keyed), aux


# --- key paths: flattening with paths -------------------------------------------------


def keystr(keys: KeyPath, *, simple: bool = False, separator: str = "") -> str:
    """Print a key path, such as ``"['a'][0].w"``.

    Args:
        keys: the key path, a tuple of key entries.
        simple: print each entry bare (``a``, ``0``, ``w``) rather than as Python access
            syntax (``['a']``, ``[0]``, ``.w``).
        separator: the string put between entries.

    Returns:
        The entries' strings joined by ``separator``.

    Example:
        >>> path = (DictKey('a'), SequenceKey(0), GetAttrKey('w'))
        >>> keystr(path), keystr(path, simple=True, separator='/')
        ("['a'][0].w", 'a/0/w')
    """
    if not simple:
        return separator.join(str(k) for k in keys)
    return separator.join(_simple_key_str(k) for k in keys)


def _simple_key_str(key: KeyEntry) -> str:
    if isinstance(key, SequenceKey):
        return str(key.idx)
    if isinstance(key, (DictKey, FlattenedIndexKey)):
        return str(key.key)
    if isinstance(key, GetAttrKey):
        return key.name
    return str(key)


def _flatten_with_path(
    x: Any,
    path: KeyPath,
    leaves: list[tuple[KeyPath, Any]],
    is_leaf: Callable[..., bool] | None,
    is_leaf_takes_path: bool,
) -> PyTreeDef:
    if is_leaf is not None and (is_leaf(path, x) if is_leaf_takes_path else is_leaf(x)):
        leaves.append((path, x))
        return _LEAF
    kind = _kind_of(x)
    if kind is None:
        leaves.append((path, x))
        return _LEAF
    keyed, aux = kind.flatten_with_keys(x)
    child_defs = tuple(
        _flatten_with_path(c, (*path, k), leaves, is_leaf, is_leaf_takes_path) for k, c in keyed
    )
    return PyTreeDef(kind, aux, child_defs)


def tree_flatten_with_path(
    tree: Any, is_leaf: Callable[..., bool] | None = None, is_leaf_takes_path: bool = False
) -> tuple[list[tuple[KeyPath, Any]], PyTreeDef]:
    """Flatten a pytree like :func:`tree_flatten`, pairing each leaf with its key path.

    Lists and tuples give :class:`SequenceKey`, dicts :class:`DictKey` (in sorted-key order,
    as the leaves), namedtuples and dataclasses :class:`GetAttrKey`, and classes registered
    without keys :class:`FlattenedIndexKey`.

    Args:
        tree: the pytree to flatten.
        is_leaf: optional predicate marking subtrees to keep whole, called as ``is_leaf(x)``,
            or ``is_leaf(path, x)`` when ``is_leaf_takes_path`` is True.
        is_leaf_takes_path: whether ``is_leaf`` also receives the subtree's key path.

    Returns:
        ``([(path, leaf), ...], treedef)``, the same leaves and treedef as ``tree_flatten``.

    Example:
        >>> pairs, treedef = tree_flatten_with_path({'b': [1, 2], 'a': 3})
        >>> [(keystr(path), leaf) for path, leaf in pairs]
        [("['a']", 3), ("['b'][0]", 1), ("['b'][1]", 2)]
    """
    leaves: list[tuple[KeyPath, Any]] = []
    treedef = _flatten_with_path(tree, (), leaves, is_leaf, is_leaf_takes_path)
    return leaves, treedef


def tree_leaves_with_path(
    tree: Any, is_leaf: Callable[..., bool] | None = None, is_leaf_takes_path: bool = False
) -> list[tuple[KeyPath, Any]]:
    """The ``(key path, leaf)`` pairs of a pytree; see :func:`tree_flatten_with_path`.

    Example:
        >>> tree_leaves_with_path([1, (2,)])
        [((SequenceKey(idx=0),), 1), ((SequenceKey(idx=1), SequenceKey(idx=0)), 2)]
    """
    return tree_flatten_with_path(tree, is_leaf, is_leaf_takes_path)[0]


def tree_map_with_path(
    f: Callable[..., Any],
    tree: Any,
    *rest: Any,
    is_leaf: Callable[..., bool] | None = None,
    is_leaf_takes_path: bool = False,
) -> Any:
    """Like :func:`tree_map`, but ``f`` also receives each leaf's key path first.

    Args:
        f: called as ``f(path, x, *xs)`` once per leaf ``x`` of ``tree``.
        tree: the pytree whose structure the result takes.
        *rest: more pytrees with the structure of ``tree`` (or with ``tree`` as a prefix).
        is_leaf: optional predicate marking subtrees of ``tree`` to keep whole.
        is_leaf_takes_path: whether ``is_leaf`` is called as ``is_leaf(path, x)``.

    Returns:
        A pytree with the structure of ``tree`` whose leaves are ``f(path, x, *xs)``.

    Raises:
        ValueError: if a tree in ``rest`` does not match ``tree``.

    Example:
        >>> tree_map_with_path(lambda p, x: f'{keystr(p)}={x}', {'a': 1, 'b': (2,)})
        {'a': "['a']=1", 'b': ("['b'][0]=2",)}
    """
    pairs, treedef = tree_flatten_with_path(tree, is_leaf, is_leaf_takes_path)
    paths = [p for p, _ in pairs]
    leaf_lists = [[x for _, x in pairs]]
    for i, other in enumerate(rest, start=1):
        leaf_lists.append(
            _flatten_up_to_or_raise(
                treedef,
                other,
                None,
                f"tree_map_with_path: tree argument {i} does not have the structure of the "
                "first tree.",
                f"first tree|argument {i}",
            )
        )
    return treedef.unflatten([f(*args) for args in zip(paths, *leaf_lists, strict=True)])


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
            lambda aux, i: GetAttrKey(data[i]),
        ),
    )
    return cls


def register_pytree_with_keys(
    nodetype: type,
    flatten_with_keys: FlattenWithKeysFunc,
    unflatten_func: UnflattenFunc,
    flatten_func: FlattenFunc | None = None,
) -> None:
    """Register a class as a pytree node type whose children have key entries.

    Like :func:`register_pytree_node`, but the flattening function names each child, so
    :func:`tree_flatten_with_path` reports those keys instead of :class:`FlattenedIndexKey`.

    Args:
        nodetype: the class. Only exact instances are nodes, not subclasses.
        flatten_with_keys: ``flatten_with_keys(x) -> (((key, child), ...), aux_data)``; a key
            is usually a :class:`GetAttrKey`, :class:`DictKey` or :class:`SequenceKey` but may
            be any hashable value (:func:`keystr` prints it with ``str``).
        unflatten_func: ``unflatten_func(aux_data, children) -> x``; ``children`` is a tuple.
        flatten_func: optional faster ``flatten_func(x) -> (children, aux_data)`` for the
            paths that need no keys; it must agree with ``flatten_with_keys``. By default the
            keys are computed and dropped.

    Raises:
        ValueError: if ``nodetype`` is already a pytree node type.

    Example:
        >>> class Pair:
        ...     def __init__(self, a, b):
        ...         self.a, self.b = a, b
        >>> register_pytree_with_keys(
        ...     Pair,
        ...     lambda p: (((GetAttrKey('a'), p.a), (GetAttrKey('b'), p.b)), None),
        ...     lambda aux, ch: Pair(*ch))
        >>> [keystr(path) for path, _ in tree_leaves_with_path([Pair(1, 2)])]
        ['[0].a', '[0].b']
    """
    if flatten_func is None:

        def flatten_dropping_keys(x: Any) -> tuple[list[Any], Hashable]:
            keyed, aux = flatten_with_keys(x)
            return [c for _, c in keyed], aux

        flatten_func = flatten_dropping_keys
    name = nodetype.__name__
    _register(
        nodetype,
        _NodeKind(
            nodetype,
            flatten_func,
            lambda aux, ch: unflatten_func(aux, tuple(ch)),
            lambda aux, cs: _custom_str(name, aux, cs),
            flatten_with_keys=flatten_with_keys,
        ),
    )


def register_pytree_with_keys_class(cls: TypeT) -> TypeT:
    """Class decorator: register ``cls`` with keys, using its methods, as in JAX.

    ``cls.tree_flatten_with_keys(self) -> (((key, child), ...), aux_data)``, the classmethod
    ``cls.tree_unflatten(aux_data, children)`` and, if defined, ``cls.tree_flatten(self)``
    (see :func:`register_pytree_with_keys`).

    Raises:
        TypeError: if ``cls`` lacks ``tree_flatten_with_keys`` or ``tree_unflatten``.

    Example:
        >>> @register_pytree_with_keys_class
        ... class Named:
        ...     def __init__(self, v):
        ...         self.v = v
        ...     def tree_flatten_with_keys(self):
        ...         return ((GetAttrKey('v'), self.v),), None
        ...     @classmethod
        ...     def tree_unflatten(cls, aux, children):
        ...         return cls(*children)
        >>> tree_leaves_with_path(Named(3))
        [((GetAttrKey(name='v'),), 3)]
    """
    missing = [m for m in ("tree_flatten_with_keys", "tree_unflatten") if not hasattr(cls, m)]
    if missing:
        raise TypeError(
            f"register_pytree_with_keys_class: {cls.__qualname__} has no {' or '.join(missing)}; "
            "define tree_flatten_with_keys(self) and the classmethod "
            "tree_unflatten(cls, aux_data, children)."
        )
    register_pytree_with_keys(
        cls,
        cls.tree_flatten_with_keys,  # type: ignore[attr-defined]
        cls.tree_unflatten,  # type: ignore[attr-defined]
        getattr(cls, "tree_flatten", None),
    )
    return cls


def register_static(cls: TypeT) -> TypeT:
    """Register ``cls`` as a node with no children whose instances are kept in the treedef.

    A static value is then part of the structure: transformations do not trace it, ``jit``
    keys its cache on it (so instances must be hashable and comparable, and equal ones are
    interchangeable), and ``tree_map`` passes it through untouched. Usable as a decorator.

    Args:
        cls: the class to register.

    Returns:
        ``cls`` itself.

    Raises:
        TypeError: if ``cls`` is not a class or its instances are unhashable
            (``__hash__ = None``, as for a dataclass with ``eq=True`` and no ``frozen=True``).
        ValueError: if ``cls`` is already a pytree node type.

    Example:
        >>> @register_static
        ... @dataclasses.dataclass(frozen=True)
        ... class Activation:
        ...     name: str
        >>> tree_flatten([Activation('relu'), 2.0])
        ([2.0], PyTreeDef([CustomNode(Activation[Activation(name='relu')], []), *]))
    """
    if not isinstance(cls, type):
        raise TypeError(f"register_static: expected a class, got {cls!r}.")
    if cls.__hash__ is None:  # type: ignore[comparison-overlap]
        raise TypeError(
            f"register_static: instances of {cls.__qualname__} are unhashable, but a static "
            "value is part of the treedef and must be hashable; define __hash__ (for a "
            "dataclass, use frozen=True)."
        )
    name = cls.__name__
    _register(
        cls,
        _NodeKind(
            cls,
            lambda x: ((), x),
            lambda aux, ch: aux,
            lambda aux, cs: _custom_str(name, aux, cs),
        ),
    )
    return cls


# --- Partial --------------------------------------------------------------------------


class _OpaqueCallable:
    """A callable that delegates calls, equality and hashing to the one it wraps.

    :class:`Partial` wraps a ``functools.partial`` given as its function in one, because
    ``functools.partial`` would otherwise merge the inner partial's arguments into its own,
    turning arguments the caller fixed statically into pytree children (JAX does the same).
    """

    __slots__ = ("func",)

    def __init__(self, func: Callable[..., Any]) -> None:
        self.func = func

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.func(*args, **kwargs)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _OpaqueCallable) and self.func == other.func

    def __hash__(self) -> int:
        return hash(self.func)

    def __repr__(self) -> str:
        return f"_OpaqueCallable({self.func!r})"


class Partial(functools.partial[T]):
    """A ``functools.partial`` that is a pytree: its arguments are children, its function static.

    So a function with some arguments bound can be passed to, or returned from, ``jit``,
    ``vmap`` and ``grad``: the bound arguments are traced like any other leaves, and the
    function (compared by identity) is part of the treedef. Bound arguments are the
    children in two subtrees, the positional tuple and the keyword dict, whose key entries
    are ``FlattenedIndexKey(0)`` and ``FlattenedIndexKey(1)``, as in JAX.

    Example:
        >>> def affine(w, x, b=0.0):
        ...     return w * x + b
        >>> p = Partial(affine, 2.0, b=1.0)
        >>> p(3.0)
        7.0
        >>> tree_leaves(p)
        [2.0, 1.0]
        >>> tree_map(lambda v: v * 10, p)(3.0)
        70.0
    """

    def __new__(cls, func: Callable[..., T], *args: Any, **kwargs: Any) -> Partial[T]:
        if isinstance(func, functools.partial):
            func = _OpaqueCallable(func)
        return super().__new__(cls, func, *args, **kwargs)


def _partial_unflatten(func: Callable[..., Any], children: tuple[Any, ...]) -> Partial[Any]:
    args, kwargs = children
    return Partial(func, *args, **kwargs)


register_pytree_node(Partial, lambda p: ((p.args, p.keywords), p.func), _partial_unflatten)
