"""Tests for tree_util's key paths and the rest of jax.tree_util: key entries, keystr,
*_with_path, register_pytree_with_keys, register_static, Partial, tree_broadcast,
tree_reduce_associative, treedef helpers, and the ft.tree namespace.

Most tests assert explicit values; the ones marked by ``jax_tu`` compare with JAX directly.
"""

from __future__ import annotations

import collections
import dataclasses
import functools
import pickle
from collections import OrderedDict, defaultdict
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings

# The random pytrees of test_tree_util (tuples, lists, dicts, namedtuples, None and ints).
from test_tree_util import Pair, Point, trees

import functrace as ft
from functrace import tree_util as tu
from functrace.tree_util import (
    DictKey,
    FlattenedIndexKey,
    GetAttrKey,
    Partial,
    SequenceKey,
    keystr,
    tree_flatten,
    tree_flatten_with_path,
    tree_leaves,
    tree_leaves_with_path,
    tree_map_with_path,
    tree_structure,
)


def follow(tree: Any, path: tuple[Any, ...]) -> Any:
    """The subtree at ``path``, found by indexing, independently of tree_util."""
    for key in path:
        if isinstance(key, SequenceKey):
            tree = tree[key.idx]
        elif isinstance(key, DictKey):
            tree = tree[key.key]
        elif isinstance(key, GetAttrKey):
            tree = getattr(tree, key.name)
        else:
            raise AssertionError(f"unexpected key {key!r}")
    return tree


def from_jax_key(key: Any) -> Any:
    """A JAX key entry as the functrace one of the same class name."""
    name = type(key).__name__
    if name == "SequenceKey":
        return SequenceKey(key.idx)
    if name == "DictKey":
        return DictKey(key.key)
    if name == "GetAttrKey":
        return GetAttrKey(key.name)
    if name == "FlattenedIndexKey":
        return FlattenedIndexKey(key.key)
    return key


# --- key entries and keystr ----------------------------------------------------------

KEY_ROWS = [
    # key, str, repr, simple str
    (SequenceKey(0), "[0]", "SequenceKey(idx=0)", "0"),
    (SequenceKey(12), "[12]", "SequenceKey(idx=12)", "12"),
    (DictKey("a"), "['a']", "DictKey(key='a')", "a"),
    (DictKey(3), "[3]", "DictKey(key=3)", "3"),
    (DictKey(("t", 1)), "[('t', 1)]", "DictKey(key=('t', 1))", "('t', 1)"),
    (GetAttrKey("w"), ".w", "GetAttrKey(name='w')", "w"),
    (FlattenedIndexKey(0), "[<flat index 0>]", "FlattenedIndexKey(key=0)", "0"),
]


@pytest.mark.parametrize("key,as_str,as_repr,simple", KEY_ROWS)
def test_key_entry_str_repr_and_keystr(key: Any, as_str: str, as_repr: str, simple: str) -> None:
    assert str(key) == as_str
    assert repr(key) == as_repr
    assert keystr((key,)) == as_str
    assert keystr((key,), simple=True) == simple
    assert pickle.loads(pickle.dumps(key)) == key


@pytest.mark.parametrize("key,as_str,as_repr,simple", KEY_ROWS)
def test_key_entry_against_jax(key: Any, as_str: str, as_repr: str, simple: str) -> None:
    jtu = pytest.importorskip("jax.tree_util")
    jax_key = getattr(jtu, type(key).__name__)(*dataclasses.astuple(key))
    assert str(jax_key) == as_str
    assert repr(jax_key) == as_repr
    assert jtu.keystr((jax_key,), simple=True) == simple


def test_key_entries_compare_by_class_and_value() -> None:
    assert SequenceKey(0) == SequenceKey(0)
    assert hash(SequenceKey(0)) == hash(SequenceKey(0))
    assert SequenceKey(0) != SequenceKey(1)
    assert SequenceKey(0) != FlattenedIndexKey(0)
    assert DictKey(0) != SequenceKey(0)
    assert DictKey("a") == DictKey("a") and GetAttrKey("a") != DictKey("a")
    assert len({SequenceKey(0), SequenceKey(0), FlattenedIndexKey(0), DictKey(0)}) == 3
    with pytest.raises(dataclasses.FrozenInstanceError):
        SequenceKey(0).idx = 1  # type: ignore[misc]


def test_keystr_joins_with_separator() -> None:
    path = (DictKey("a"), SequenceKey(1), GetAttrKey("x"), FlattenedIndexKey(2))
    assert keystr(path) == "['a'][1].x[<flat index 2>]"
    assert keystr(path, separator="/") == "['a']/[1]/.x/[<flat index 2>]"
    assert keystr(path, simple=True, separator="/") == "a/1/x/2"
    assert keystr(()) == ""
    assert keystr(("custom", 3)) == "custom3"  # other keys print with str, as JAX
    assert keystr(("custom", 3), simple=True, separator=".") == "custom.3"


# --- flattening with paths ------------------------------------------------------------


def test_flatten_with_path_explicit() -> None:
    tree = {
        "b": [1, (2, None)],
        "a": Point(3, 4),
        "c": OrderedDict([("z", 5), ("y", 6)]),
        "d": defaultdict(int, {"q": 7, "p": 8}),
        "e": None,
    }
    pairs, treedef = tree_flatten_with_path(tree)
    assert [(keystr(p), leaf) for p, leaf in pairs] == [
        ("['a'].x", 3),
        ("['a'].y", 4),
        ("['b'][0]", 1),
        ("['b'][1][0]", 2),
        ("['c']['z']", 5),  # OrderedDict keeps insertion order
        ("['c']['y']", 6),
        ("['d']['p']", 8),  # defaultdict is sorted like dict
        ("['d']['q']", 7),
    ]
    assert pairs[0][0] == (DictKey("a"), GetAttrKey("x"))
    assert pairs[3][0] == (DictKey("b"), SequenceKey(1), SequenceKey(0))
    assert treedef == tree_structure(tree)
    assert tree_leaves_with_path(tree) == pairs


def test_flatten_with_path_of_leaves_and_empty_nodes() -> None:
    assert tree_flatten_with_path(5) == ([((), 5)], tree_structure(5))
    assert tree_flatten_with_path(None) == ([], tree_structure(None))
    assert tree_flatten_with_path([None, (), {}]) == ([], tree_structure([None, (), {}]))
    x = np.arange(3.0)
    [(path, leaf)] = tree_leaves_with_path({"x": x})
    assert path == (DictKey("x"),) and leaf is x


@settings(max_examples=300, deadline=None)
@given(trees)
def test_flatten_with_path_agrees_with_flatten(tree: Any) -> None:
    pairs, treedef = tree_flatten_with_path(tree)
    leaves, expected_def = tree_flatten(tree)
    assert [leaf for _, leaf in pairs] == leaves
    assert treedef == expected_def
    assert len({p for p, _ in pairs}) == len(pairs)  # paths are distinct
    for path, leaf in pairs:
        assert follow(tree, path) is leaf
    rebuilt = treedef.unflatten([leaf for _, leaf in pairs])
    assert tree_structure(rebuilt) == treedef and tree_leaves(rebuilt) == leaves
    mapped = tree_map_with_path(lambda p, x: (keystr(p), x), tree)
    assert tree_leaves(mapped, is_leaf=lambda x: isinstance(x, tuple) and len(x) == 2
                       and isinstance(x[0], str)) == [(keystr(p), x) for p, x in pairs]


@settings(max_examples=150, deadline=None)
@given(trees)
def test_flatten_with_path_against_jax(tree: Any) -> None:
    jtu = pytest.importorskip("jax.tree_util")
    ours = tree_leaves_with_path(tree)
    theirs = jtu.tree_leaves_with_path(tree)
    assert [(p, x) for p, x in ours] == [
        (tuple(from_jax_key(k) for k in p), x) for p, x in theirs
    ]
    assert [keystr(p) for p, _ in ours] == [jtu.keystr(p) for p, _ in theirs]
    assert [keystr(p, simple=True, separator="/") for p, _ in ours] == [
        jtu.keystr(p, simple=True, separator="/") for p, _ in theirs
    ]
    assert str(tree_structure(tree)) == str(jtu.tree_structure(tree))


def test_flatten_with_path_is_leaf() -> None:
    tree = {"a": (1, 2), "b": [(3, 4)]}
    pairs, treedef = tree_flatten_with_path(tree, is_leaf=lambda x: isinstance(x, tuple))
    assert [(keystr(p), x) for p, x in pairs] == [("['a']", (1, 2)), ("['b'][0]", (3, 4))]
    assert treedef == tree_structure(tree, is_leaf=lambda x: isinstance(x, tuple))
    # is_leaf_takes_path: stop at ['b'] by its path, not its type.
    pairs = tree_leaves_with_path(
        tree, is_leaf=lambda p, x: p == (DictKey("b"),), is_leaf_takes_path=True
    )
    assert [(keystr(p), x) for p, x in pairs] == [
        ("['a'][0]", 1), ("['a'][1]", 2), ("['b']", [(3, 4)])
    ]


def test_tree_map_with_path_several_trees() -> None:
    out = tree_map_with_path(
        lambda p, x, y: f"{keystr(p)}:{x + y}", {"a": 1, "b": [2]}, {"a": 10, "b": [20]}
    )
    assert out == {"a": "['a']:11", "b": ["['b'][0]:22"]}
    # A leaf of the first tree takes the whole subtree of the others, as tree_map.
    out = tree_map_with_path(lambda p, x, y: (keystr(p), y), {"a": 1}, {"a": (5, 6)})
    assert out == {"a": ("['a']", (5, 6))}


def test_tree_map_with_path_mismatch_raises() -> None:
    with pytest.raises(ValueError, match=r"tree argument 1 does not have the structure") as info:
        tree_map_with_path(lambda p, x, y: x, {"a": [1, 2]}, {"a": [1]})
    assert "mismatch at tree['a']" in str(info.value)


def test_tree_map_with_path_mismatch_error_type_as_jax() -> None:
    jtu = pytest.importorskip("jax.tree_util")
    with pytest.raises(ValueError):
        jtu.tree_map_with_path(lambda p, x, y: x, {"a": [1, 2]}, {"a": [1]})


# --- registration with keys -----------------------------------------------------------


class Keyed:
    def __init__(self, a: Any, b: Any) -> None:
        self.a, self.b = a, b


tu.register_pytree_with_keys(
    Keyed,
    lambda k: (((GetAttrKey("a"), k.a), (GetAttrKey("b"), k.b)), "meta"),
    lambda aux, ch: Keyed(*ch),
)


class Unkeyed:
    def __init__(self, a: Any, b: Any) -> None:
        self.a, self.b = a, b


tu.register_pytree_node(Unkeyed, lambda u: ((u.a, u.b), None), lambda aux, ch: Unkeyed(*ch))


@tu.register_pytree_with_keys_class
class KeyedClass:
    flatten_calls = 0

    def __init__(self, v: Any) -> None:
        self.v = v

    def tree_flatten_with_keys(self) -> tuple[tuple[tuple[Any, Any], ...], None]:
        return (("custom", self.v),), None

    def tree_flatten(self) -> tuple[tuple[Any, ...], None]:
        type(self).flatten_calls += 1
        return (self.v,), None

    @classmethod
    def tree_unflatten(cls, aux: None, children: tuple[Any, ...]) -> KeyedClass:
        return cls(*children)


@dataclasses.dataclass
class DC:
    w: Any
    b: Any
    tag: str = ft.tree.static(default="t")


tu.register_dataclass(DC)


def test_register_pytree_with_keys_paths_and_flatten() -> None:
    tree = [Keyed(1, {"z": 2})]
    pairs, treedef = tree_flatten_with_path(tree)
    assert [(keystr(p), x) for p, x in pairs] == [("[0].a", 1), ("[0].b['z']", 2)]
    assert tree_flatten(tree) == ([1, 2], treedef)
    assert str(treedef) == "PyTreeDef([CustomNode(Keyed[meta], [*, {'z': *}])])"
    rebuilt = treedef.unflatten([5, 6])
    assert rebuilt[0].a == 5 and rebuilt[0].b == {"z": 6}


def test_register_pytree_with_keys_class_uses_tree_flatten_when_defined() -> None:
    before = KeyedClass.flatten_calls
    assert tree_leaves(KeyedClass(3)) == [3]
    assert KeyedClass.flatten_calls == before + 1
    [(path, leaf)] = tree_leaves_with_path(KeyedClass(4))
    assert path == ("custom",) and leaf == 4 and keystr(path) == "custom"
    assert KeyedClass.flatten_calls == before + 1  # the keyed path does not call it


def test_register_pytree_with_keys_class_needs_methods() -> None:
    class NoKeys:
        pass

    with pytest.raises(TypeError, match="has no tree_flatten_with_keys or tree_unflatten"):
        tu.register_pytree_with_keys_class(NoKeys)
    assert not tu.is_tree_node(NoKeys)


def test_register_pytree_with_keys_twice_raises() -> None:
    with pytest.raises(ValueError, match="already a pytree node type"):
        tu.register_pytree_with_keys(Keyed, lambda k: ((), None), lambda aux, ch: Keyed(1, 2))
    with pytest.raises(ValueError, match="already a pytree node type"):
        tu.register_pytree_with_keys(list, lambda k: ((), None), lambda aux, ch: [])


def test_nodes_without_keys_and_dataclasses() -> None:
    pairs = tree_leaves_with_path({"u": Unkeyed(1, [2]), "d": DC(w=3, b=4)})
    assert [(keystr(p), x) for p, x in pairs] == [
        ("['d'].w", 3),
        ("['d'].b", 4),
        ("['u'][<flat index 0>]", 1),
        ("['u'][<flat index 1>][0]", 2),
    ]
    assert pairs[2][0] == (DictKey("u"), FlattenedIndexKey(0))
    assert str(tree_structure(DC(w=3, b=4))) == "PyTreeDef(CustomNode(DC[('t',)], [*, *]))"


def test_mismatch_message_names_custom_keys() -> None:
    with pytest.raises(ValueError) as info:
        ft.tree.map(lambda x, y: x, [Keyed(1, (2, 3))], [Keyed(1, (2,))])
    assert "mismatch at tree[0].b" in str(info.value)
    with pytest.raises(ValueError) as info:
        ft.tree.map(lambda x, y: x, Unkeyed(1, (2, 3)), Unkeyed(1, [2, 3]))
    assert "mismatch at tree[<flat index 1>]" in str(info.value)


def test_static_field_metadata() -> None:
    f = ft.tree.static(default=1, metadata={"doc": "x"})
    assert f.metadata == {"doc": "x", "static": True} and f.default == 1
    with pytest.raises(TypeError, match="static=False"):
        ft.tree.static(metadata={"static": False})


# --- register_static ------------------------------------------------------------------


@tu.register_static
@dataclasses.dataclass(frozen=True)
class Config:
    power: int


def test_register_static_is_an_empty_node_kept_in_the_treedef() -> None:
    cfg = Config(2)
    leaves, treedef = tree_flatten({"cfg": cfg, "x": 1.0})
    assert leaves == [1.0]
    assert str(treedef) == "PyTreeDef({'cfg': CustomNode(Config[Config(power=2)], []), 'x': *})"
    assert treedef.unflatten([5.0]) == {"cfg": cfg, "x": 5.0}
    assert treedef != tree_structure({"cfg": Config(3), "x": 1.0})
    assert treedef == tree_structure({"cfg": Config(2), "x": 7.0})
    assert ft.tree.map(lambda v: v * 2, [cfg, 3]) == [cfg, 6]
    assert tree_leaves_with_path([cfg, 3]) == [((SequenceKey(1),), 3)]
    assert tu.treedef_is_leaf(tree_structure(cfg)) and tu.is_tree_node(Config)


def test_register_static_refuses_unhashable_classes() -> None:
    @dataclasses.dataclass
    class Mutable:
        v: int

    with pytest.raises(TypeError, match="unhashable"):
        tu.register_static(Mutable)
    assert not tu.is_tree_node(Mutable)
    with pytest.raises(TypeError, match="expected a class"):
        tu.register_static(Config(1))  # type: ignore[type-var]
    with pytest.raises(ValueError, match="already a pytree node type"):
        tu.register_static(Config)


def test_register_static_through_transformations() -> None:
    traces = []

    def f(tree: dict[str, Any]) -> Any:
        traces.append(1)
        return tree["x"] ** tree["cfg"].power

    jf = ft.jit(f)
    assert float(jf({"cfg": Config(2), "x": 3.0})) == 9.0
    assert float(jf({"cfg": Config(2), "x": 4.0})) == 16.0
    assert len(traces) == 1  # equal static values share a trace
    assert float(jf({"cfg": Config(3), "x": 2.0})) == 8.0
    assert len(traces) == 2  # a new static value retraces
    g = ft.grad(f)({"cfg": Config(3), "x": 2.0})
    assert g["cfg"] == Config(3) and float(g["x"]) == 12.0
    out = ft.vmap(f)({"cfg": Config(2), "x": np.arange(3.0)})
    np.testing.assert_allclose(out, [0.0, 1.0, 4.0])
    # returned from jit inside the output pytree
    cfg, y = ft.jit(lambda t: (t["cfg"], t["x"] + 1))({"cfg": Config(5), "x": 1.0})
    assert cfg == Config(5) and float(y) == 2.0


# --- Partial --------------------------------------------------------------------------


def affine(w: Any, x: Any, b: Any = 0.0) -> Any:
    return w * x + b


def test_partial_flattens_its_arguments() -> None:
    p = Partial(affine, 2.0, b=1.0)
    assert isinstance(p, functools.partial)
    assert p(3.0) == 7.0
    leaves, treedef = tree_flatten(p)
    assert leaves == [2.0, 1.0]
    rebuilt = treedef.unflatten([4.0, 0.5])
    assert isinstance(rebuilt, Partial) and rebuilt.func is affine
    assert rebuilt.args == (4.0,) and rebuilt.keywords == {"b": 0.5}
    assert [(keystr(path), x) for path, x in tree_leaves_with_path(p)] == [
        ("[<flat index 0>][0]", 2.0),
        ("[<flat index 1>]['b']", 1.0),
    ]
    assert tree_structure(Partial(affine, 9.0, b=8.0)) == treedef
    assert tree_structure(Partial(lambda w, x, b: 0, 9.0, b=8.0)) != treedef
    assert tree_structure(Partial(affine, 9.0)) != treedef


def test_partial_keeps_an_inner_partial_static() -> None:
    inner = functools.partial(affine, 2.0)
    p = Partial(inner, b=1.0)
    assert p(3.0) == 7.0
    assert tree_leaves(p) == [1.0]  # 2.0 stays inside the static function
    assert tree_structure(p) == tree_structure(Partial(inner, b=5.0))
    nested = Partial(Partial(affine, 2.0), 3.0)
    assert nested() == 6.0 and tree_leaves(nested) == [3.0]


def test_partial_against_jax() -> None:
    jtu = pytest.importorskip("jax.tree_util")
    ours = tree_leaves_with_path(Partial(affine, 2.0, b=1.0))
    theirs = jtu.tree_leaves_with_path(jtu.Partial(affine, 2.0, b=1.0))
    assert ours == [(tuple(from_jax_key(k) for k in p), x) for p, x in theirs]
    assert tree_leaves(Partial(functools.partial(affine, 2.0), b=1.0)) == jtu.tree_leaves(
        jtu.Partial(functools.partial(affine, 2.0), b=1.0)
    )


def test_partial_through_transformations() -> None:
    p = Partial(affine, 2.0, b=1.0)
    traces = []

    def apply(f: Any, x: Any) -> Any:
        traces.append(1)
        return f(x)

    japply = ft.jit(apply)
    assert float(japply(p, 3.0)) == 7.0
    assert float(japply(Partial(affine, 4.0, b=0.0), 3.0)) == 12.0
    assert len(traces) == 1  # same function: the bound arguments are traced, not baked in
    g = ft.grad(apply)(p, 3.0)
    assert isinstance(g, Partial) and g.func is affine
    assert float(g.args[0]) == 3.0 and float(g.keywords["b"]) == 1.0
    out = ft.vmap(apply, in_axes=(0, None))(Partial(affine, np.arange(3.0), b=np.ones(3)), 2.0)
    np.testing.assert_allclose(out, [1.0, 3.0, 5.0])
    made = ft.jit(lambda w: Partial(affine, w * 2))(1.5)
    assert isinstance(made, Partial) and float(made(1.0)) == 3.0


# --- the other jax.tree_util functions ------------------------------------------------


def test_tree_broadcast() -> None:
    assert tu.tree_broadcast({"a": 1, "b": 2}, {"a": (0, 0), "b": [0, None]}) == {
        "a": (1, 1),
        "b": [2, None],
    }
    assert tu.tree_broadcast(0, [1, (2, 3)]) == [0, (0, 0)]
    assert tu.tree_broadcast([1, 2], [None, [3, 4]]) == [None, [2, 2]]
    assert tu.tree_broadcast((1, None), ((2, 3), None)) == ((1, 1), None)
    assert tu.tree_broadcast([(1, 2)], [[5, 6]], is_leaf=lambda x: isinstance(x, list)) == [
        (1, 2)
    ]
    with pytest.raises(ValueError, match="not a tree prefix") as info:
        tu.tree_broadcast((1, None), ((2, 3), [4, 5]))  # None is a node here, not a leaf
    assert "mismatch at tree[1]" in str(info.value)
    with pytest.raises(ValueError, match="not a tree prefix"):
        tu.tree_broadcast((1, 2), (1, 2, 3))


def test_tree_broadcast_errors_as_jax() -> None:
    jtu = pytest.importorskip("jax.tree_util")
    for prefix, full in [((1, None), ((2, 3), [4, 5])), ((1, 2), (1, 2, 3))]:
        with pytest.raises(ValueError):
            jtu.tree_broadcast(prefix, full)
    assert jtu.tree_broadcast([1, 2], [None, [3, 4]]) == [None, [2, 2]]


def pair(a: Any, b: Any) -> Any:
    return (a, b)


@pytest.mark.parametrize(
    "n,expected",
    [
        (1, 1),
        (2, (1, 2)),
        (3, (1, (2, 3))),
        (4, ((1, 2), (3, 4))),
        (5, ((1, 2), (3, (4, 5)))),
        (7, ((1, (2, 3)), ((4, 5), (6, 7)))),
    ],
)
def test_tree_reduce_associative_nesting(n: int, expected: Any) -> None:
    leaves = list(range(1, n + 1))
    assert tu.tree_reduce_associative(pair, leaves) == expected
    assert ft.tree.reduce_associative(lambda a, b: a + b, {"k": leaves}) == sum(leaves)


def test_tree_reduce_associative_nesting_as_jax() -> None:
    jtu = pytest.importorskip("jax.tree_util")
    for n in range(1, 10):
        leaves = list(range(n))
        assert tu.tree_reduce_associative(pair, leaves) == jtu.tree_reduce_associative(
            pair, leaves
        )


def test_tree_reduce_associative_empty() -> None:
    assert tu.tree_reduce_associative(lambda a, b: a + b, [None, ()], identity=0) == 0
    assert tu.tree_reduce_associative(lambda a, b: a + b, [5], identity=0) == 5
    with pytest.raises(TypeError, match="no leaves and no identity"):
        tu.tree_reduce_associative(lambda a, b: a + b, [])
    assert tu.tree_reduce_associative(
        lambda a, b: a + b, [(1, 2), (3,)], is_leaf=lambda x: isinstance(x, tuple)
    ) == (1, 2, 3)


def test_all_leaves() -> None:
    assert tu.all_leaves([1, "a", 2.0, np.ones(2)])
    assert tu.all_leaves([])
    assert tu.all_leaves(iter([1, 2]))
    assert not tu.all_leaves([1, (2,)])
    assert not tu.all_leaves([None])
    assert not tu.all_leaves([[]])
    assert not tu.all_leaves([Point(1, 2)])
    assert tu.all_leaves([(1,), [2]], is_leaf=lambda x: isinstance(x, (tuple, list)))


def test_is_tree_node() -> None:
    for typ in (list, tuple, dict, type(None), OrderedDict, defaultdict, Point, Pair, Keyed,
                Unkeyed, DC, Config, Partial):
        assert tu.is_tree_node(typ), typ
    for leaf_type in (int, float, str, np.ndarray, functools.partial, collections.Counter):
        assert not tu.is_tree_node(leaf_type), leaf_type
    with pytest.raises(TypeError, match=r"expected a type, got \[1\].*pass type\(x\)"):
        tu.is_tree_node([1])  # type: ignore[arg-type]


def test_is_tree_node_as_jax() -> None:
    jtu = pytest.importorskip("jax.tree_util")
    for typ in (list, tuple, dict, type(None), OrderedDict, defaultdict, Point, int, str,
                functools.partial):
        assert tu.is_tree_node(typ) == jtu.is_tree_node(typ), typ


def test_treedef_helpers() -> None:
    td = tree_structure((1, [2, 3], None))
    assert tu.treedef_children(td) == [
        tree_structure(1), tree_structure([2, 3]), tree_structure(None)
    ]
    assert tu.treedef_children(tree_structure(1)) == []
    assert not tu.treedef_is_leaf(td)
    assert tu.treedef_is_leaf(tree_structure(1))
    assert tu.treedef_is_leaf(tree_structure(None))  # one node, as JAX
    assert not tu.treedef_is_leaf(tree_structure([None]))
    tup = tu.treedef_tuple([td, tree_structure(1)])
    assert tup == tree_structure(((1, [2, 3], None), 1))
    assert tup.unflatten(range(4)) == ((0, [1, 2], None), 3)
    assert tu.treedef_tuple([]) == tree_structure(())
    with pytest.raises(TypeError, match="element 1 is a list, expected a PyTreeDef"):
        tu.treedef_tuple([td, [1]])  # type: ignore[list-item]


def test_treedef_helpers_as_jax() -> None:
    jtu = pytest.importorskip("jax.tree_util")
    tree: Any
    for tree in [(1, [2, 3], None), None, 1, {"a": Point(1, 2)}, []]:
        ours, theirs = tree_structure(tree), jtu.tree_structure(tree)
        assert tu.treedef_is_leaf(ours) == jtu.treedef_is_leaf(theirs)
        assert [str(c) for c in tu.treedef_children(ours)] == [
            str(c) for c in jtu.treedef_children(theirs)
        ]
        assert str(tu.treedef_tuple([ours, ours])) == str(jtu.treedef_tuple([theirs, theirs]))


FLATTEN_ONE_LEVEL_ROWS = [
    ([1, (2, 3)], [1, (2, 3)], None, [SequenceKey(0), SequenceKey(1)]),
    ({"b": 1, "a": 2}, [2, 1], ("a", "b"), [DictKey("a"), DictKey("b")]),
    (None, [], None, []),
    (Point(1, 2), [1, 2], Point, [GetAttrKey("x"), GetAttrKey("y")]),
    (OrderedDict([("z", 1), ("y", 2)]), [1, 2], ("z", "y"), [DictKey("z"), DictKey("y")]),
    (Unkeyed(1, 2), [1, 2], None, [FlattenedIndexKey(0), FlattenedIndexKey(1)]),
    (Keyed(1, 2), [1, 2], "meta", [GetAttrKey("a"), GetAttrKey("b")]),
]


@pytest.mark.parametrize("tree,children,aux,keys", FLATTEN_ONE_LEVEL_ROWS)
def test_flatten_one_level(tree: Any, children: list[Any], aux: Any, keys: list[Any]) -> None:
    assert tu.flatten_one_level(tree) == (children, aux)
    keyed, keyed_aux = tu.flatten_one_level_with_keys(tree)
    assert keyed == list(zip(keys, children, strict=True)) and keyed_aux == aux


def test_flatten_one_level_of_a_leaf_raises() -> None:
    with pytest.raises(ValueError, match="can't tree-flatten type: int"):
        tu.flatten_one_level(3)
    with pytest.raises(ValueError, match="can't tree-flatten type: ndarray"):
        tu.flatten_one_level_with_keys(np.ones(2))


def test_flatten_one_level_as_jax() -> None:
    jtu = pytest.importorskip("jax.tree_util")
    tree: Any
    for tree in [[1, (2, 3)], {"b": 1, "a": 2}, None, Point(1, 2)]:
        children, aux = jtu.flatten_one_level(tree)
        assert tu.flatten_one_level(tree) == (list(children), aux)
    with pytest.raises(ValueError):
        jtu.flatten_one_level(3)


# --- the ft.tree namespace ------------------------------------------------------------


def test_tree_namespace_names() -> None:
    assert ft.tree.flatten_with_path is tu.tree_flatten_with_path
    assert ft.tree.leaves_with_path is tu.tree_leaves_with_path
    assert ft.tree.map_with_path is tu.tree_map_with_path
    assert ft.tree.broadcast is tu.tree_broadcast
    assert ft.tree.reduce_associative is tu.tree_reduce_associative
    for name in ft.tree.__all__:
        if name != "static":
            assert getattr(ft.tree, name) is getattr(tu, f"tree_{name}"), name


def test_tree_namespace_covers_jax_tree() -> None:
    jax_tree = pytest.importorskip("jax.tree")
    jax_names = {n for n in dir(jax_tree) if not n.startswith("_")}
    assert jax_names <= set(ft.tree.__all__)


def test_tree_util_covers_jax_tree_util() -> None:
    jtu = pytest.importorskip("jax.tree_util")
    skipped = {"default_registry"}  # functrace has one registry and no API that takes one
    jax_names = {n for n in dir(jtu) if not n.startswith("_")} - skipped
    assert jax_names <= set(tu.__all__)


def test_namedtuple_mismatch_message() -> None:
    # A namedtuple's aux data is its class (as JAX's flatten_one_level reports); the error
    # describes the node by name rather than printing the class.
    with pytest.raises(ValueError, match="expected a namedtuple Point with 2 fields, got a tuple"):
        ft.tree.map(lambda x, y: x, Point(1, 2), (1, 2))
    with pytest.raises(ValueError, match=r"mismatch at tree\[0\]\.y: expected a list of length 1"):
        ft.tree.map(lambda x, y: x, [Point(1, [2])], [Point(1, [2, 3])])
