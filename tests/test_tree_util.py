"""Tests for functrace.tree_util: pytree flattening, treedefs, prefixes and registration."""

from __future__ import annotations

import collections
import copy
import dataclasses
import doctest
import pickle
from collections import OrderedDict, defaultdict, namedtuple
from typing import Any, NamedTuple

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import functrace as ft
from functrace import tree_util
from functrace.tree_util import (
    PyTreeDef,
    broadcast_prefix,
    register_dataclass,
    register_pytree_node,
    register_pytree_node_class,
    tree_flatten,
    tree_leaves,
    tree_map,
    tree_structure,
    tree_transpose,
    tree_unflatten,
)

Point = namedtuple("Point", ["x", "y"])


class Pair(NamedTuple):
    first: Any
    second: Any


# --- reference implementation and strict comparison -----------------------------------


def ref_leaves(tree: Any) -> list[Any]:
    """An independent, obviously-correct flattening for the built-in node types."""
    if tree is None:
        return []
    if isinstance(tree, (tuple, list)):
        return [leaf for child in tree for leaf in ref_leaves(child)]
    if isinstance(tree, dict):
        return [leaf for k in sorted(tree) for leaf in ref_leaves(tree[k])]
    return [tree]


def ref_num_nodes(tree: Any) -> int:
    if isinstance(tree, (tuple, list)):
        return 1 + sum(ref_num_nodes(c) for c in tree)
    if isinstance(tree, dict):
        return 1 + sum(ref_num_nodes(c) for c in tree.values())
    return 1


def assert_same_tree(a: Any, b: Any) -> None:
    """Equality that also checks container types (Point(1, 2) == (1, 2) in plain Python)."""
    assert type(a) is type(b), (a, b)
    if isinstance(a, (tuple, list)):
        assert len(a) == len(b)
        for x, y in zip(a, b, strict=True):
            assert_same_tree(x, y)
    elif isinstance(a, dict):
        assert sorted(a) == sorted(b)
        for k in a:
            assert_same_tree(a[k], b[k])
    elif isinstance(a, np.ndarray):
        np.testing.assert_array_equal(a, b)
    else:
        assert a == b


def reshape_leaves(tree: Any, f: Any) -> Any:
    """Rebuild ``tree`` with ``f`` applied to leaves, without using tree_util."""
    if tree is None:
        return None
    if isinstance(tree, tuple) and hasattr(tree, "_fields"):
        return type(tree)(*(reshape_leaves(c, f) for c in tree))
    if isinstance(tree, tuple):
        return tuple(reshape_leaves(c, f) for c in tree)
    if isinstance(tree, list):
        return [reshape_leaves(c, f) for c in tree]
    if isinstance(tree, dict):
        return {k: reshape_leaves(v, f) for k, v in tree.items()}
    return f(tree)


def extend(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(
        st.lists(children, max_size=3).map(tuple),
        st.lists(children, max_size=3),
        st.dictionaries(st.text(alphabet="abcxyz", min_size=1, max_size=2), children, max_size=3),
        st.builds(Point, children, children),
        st.builds(Pair, children, children),
    )


trees = st.recursive(st.one_of(st.integers(-1000, 1000), st.none()), extend, max_leaves=16)


# --- roundtrips (hypothesis) ----------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(trees)
def test_flatten_unflatten_roundtrip(tree: Any) -> None:
    leaves, treedef = tree_flatten(tree)
    assert leaves == ref_leaves(tree)
    assert treedef.num_leaves == len(leaves)
    assert treedef.num_nodes == ref_num_nodes(tree)
    rebuilt = tree_unflatten(treedef, leaves)
    assert_same_tree(rebuilt, tree)
    assert tree_structure(rebuilt) == treedef
    assert hash(tree_structure(rebuilt)) == hash(treedef)
    assert tree_leaves(tree) == leaves


@settings(max_examples=200, deadline=None)
@given(trees)
def test_unflatten_places_new_leaves_in_order(tree: Any) -> None:
    leaves, treedef = tree_flatten(tree)
    new = [f"leaf{i}" for i in range(len(leaves))]
    rebuilt = treedef.unflatten(new)
    assert tree_leaves(rebuilt) == new
    assert tree_structure(rebuilt) == treedef
    # Dicts come back with their keys in sorted order.
    for sub in tree_leaves(rebuilt, is_leaf=lambda x: isinstance(x, dict)):
        if isinstance(sub, dict):
            assert list(sub) == sorted(sub)


@settings(max_examples=200, deadline=None)
@given(trees)
def test_tree_map_matches_reference(tree: Any) -> None:
    assert_same_tree(tree_map(lambda x: x * 3 + 1, tree), reshape_leaves(tree, lambda x: x * 3 + 1))
    doubled = reshape_leaves(tree, lambda x: 2 * x)
    assert_same_tree(tree_map(lambda x, y, z: x + y - z, tree, doubled, tree), doubled)


@settings(max_examples=200, deadline=None)
@given(trees, trees)
def test_treedef_equality_agrees_with_structure(a: Any, b: Any) -> None:
    da, db = tree_structure(a), tree_structure(b)
    same_shape = reshape_leaves(a, lambda x: 0) == reshape_leaves(b, lambda x: 0) and repr(
        da
    ) == repr(db)
    assert (da == db) == same_shape
    if da == db:
        assert hash(da) == hash(db)
    # Wrapping in a node always changes the structure.
    assert tree_structure((a,)) != da
    assert tree_structure([a]) != tree_structure((a,))


# --- treedef basics -------------------------------------------------------------------


REPR_GOLDEN = [
    (1, "PyTreeDef(*)"),
    (np.zeros(3), "PyTreeDef(*)"),
    (None, "PyTreeDef(None)"),
    ((), "PyTreeDef(())"),
    ((None,), "PyTreeDef((None,))"),
    ((1,), "PyTreeDef((*,))"),
    ([()], "PyTreeDef([()])"),
    ((1, 2), "PyTreeDef((*, *))"),
    ((1, {"b": None, "a": 2}), "PyTreeDef((*, {'a': *, 'b': None}))"),
    (((1, 2), [3, (4, None, 5)]), "PyTreeDef(((*, *), [*, (*, None, *)]))"),
    ({}, "PyTreeDef({})"),
    (Point(1, (2, 3)), "PyTreeDef(CustomNode(namedtuple[Point], [*, (*, *)]))"),
    (OrderedDict([("w", 1), ("b", 2)]), "PyTreeDef(CustomNode(OrderedDict[('w', 'b')], [*, *]))"),
    (
        defaultdict(int, {"z": 1, "y": 2}),
        "PyTreeDef(CustomNode(defaultdict[(<class 'int'>, ('y', 'z'))], [*, *]))",
    ),
]


@pytest.mark.parametrize(("tree", "expected"), REPR_GOLDEN, ids=[r for _, r in REPR_GOLDEN])
def test_repr_golden(tree: Any, expected: str) -> None:
    assert repr(tree_structure(tree)) == expected
    assert str(tree_structure(tree)) == expected


DISTINCT_TREES: list[Any] = [
    1,
    None,
    (),
    [],
    {},
    (None,),
    (1,),
    [1],
    (1, 2),
    [1, 2],
    {"a": 1},
    {"b": 1},
    {"a": 1, "b": 2},
    {"a": None},
    Point(1, 2),
    Pair(1, 2),
    OrderedDict(a=1),
    OrderedDict([("a", 1), ("b", 2)]),
    OrderedDict([("b", 2), ("a", 1)]),
    defaultdict(int, a=1),
    defaultdict(list, a=1),
    ((1, 2), 3),
    (1, (2, 3)),
]


def test_distinct_structures_are_unequal_and_equal_to_themselves() -> None:
    defs = [tree_structure(t) for t in DISTINCT_TREES]
    for i, di in enumerate(defs):
        assert di == tree_structure(copy.deepcopy(DISTINCT_TREES[i]))
        for j, dj in enumerate(defs):
            assert (di == dj) == (i == j), (DISTINCT_TREES[i], DISTINCT_TREES[j])
    # Equal treedefs key dicts together; the set has one entry per distinct structure.
    assert len(set(defs + [tree_structure(t) for t in DISTINCT_TREES])) == len(DISTINCT_TREES)


def test_treedef_is_not_equal_to_other_types() -> None:
    assert tree_structure((1, 2)) != (1, 2)
    assert tree_structure(1) != "*"


def test_leaf_values_do_not_affect_structure() -> None:
    a = tree_structure({"w": np.zeros((3, 2)), "b": 1.0})
    b = tree_structure({"b": "anything", "w": object()})
    assert a == b
    assert hash(a) == hash(b)


def test_treedef_counts_and_children() -> None:
    td = tree_structure((1, {"a": 2, "b": None}, [3, 4]))
    assert td.num_leaves == 4
    assert td.num_nodes == 8  # tuple, dict, None, list and the 4 leaves
    assert [repr(c) for c in td.children()] == [
        "PyTreeDef(*)",
        "PyTreeDef({'a': *, 'b': None})",
        "PyTreeDef([*, *])",
    ]
    assert tree_structure(1).children() == []
    assert tree_structure(None).num_leaves == 0
    assert tree_structure(None).num_nodes == 1
    assert tree_structure(5).num_nodes == 1


def test_treedef_is_immutable() -> None:
    td = tree_structure((1, 2))
    with pytest.raises(AttributeError):
        td.num_leaves = 3  # type: ignore[misc]
    with pytest.raises(AttributeError):
        td.extra = 1  # type: ignore[attr-defined]
    kids = td.children()
    kids.append(td)
    assert len(td.children()) == 2


def test_treedef_copy_and_pickle() -> None:
    td = tree_structure({"a": [1, Point(2, None)], "b": OrderedDict(z=3)})
    assert copy.copy(td) is td
    assert copy.deepcopy(td) is td
    loaded = pickle.loads(pickle.dumps(td))
    assert loaded == td
    assert hash(loaded) == hash(td)
    assert loaded.unflatten([1, 2, 3]) == {"a": [1, Point(2, None)], "b": OrderedDict(z=3)}


def test_compose_and_flatten_up_to() -> None:
    outer = tree_structure([0, 0, 0])
    inner = tree_structure({"a": 0, "b": (0, None)})
    composed = outer.compose(inner)
    assert composed.num_leaves == 6
    assert composed == tree_structure([{"a": 1, "b": (2, None)}] * 3)
    assert outer.flatten_up_to([(1, 2), None, {"q": 3}]) == [(1, 2), None, {"q": 3}]
    with pytest.raises(ValueError, match="expected a list of length 3, got a list of length 2"):
        outer.flatten_up_to([1, 2])


def test_flatten_with_arrays_and_is_leaf() -> None:
    x, y = np.arange(3.0), np.ones((2, 2))
    leaves, td = tree_flatten({"p": (x, y), "q": None})
    assert leaves[0] is x and leaves[1] is y
    assert repr(td) == "PyTreeDef({'p': (*, *), 'q': None})"

    leaves, td = tree_flatten({"p": (x, y), "q": None}, is_leaf=lambda t: isinstance(t, tuple))
    assert leaves[0] == (x, y)
    assert repr(td) == "PyTreeDef({'p': *, 'q': None})"

    leaves, td = tree_flatten([None, 1], is_leaf=lambda t: t is None)
    assert leaves == [None, 1]
    assert td.unflatten(["a", "b"]) == ["a", "b"]


def test_mixed_type_dict_keys_have_deterministic_order() -> None:
    d1 = {1: "one", "a": "A", 2: "two"}
    d2 = {"a": "A", 2: "two", 1: "one"}
    assert tree_flatten(d1) == tree_flatten(d2)
    assert tree_leaves(d1) == ["one", "two", "A"]


def test_unflatten_wrong_leaf_count() -> None:
    td = tree_structure((1, [2, 3]))
    with pytest.raises(ValueError, match=r"expected 3 leaves, got 2"):
        tree_unflatten(td, [1, 2])
    with pytest.raises(ValueError, match=r"expected 3 leaves, got 4"):
        td.unflatten(iter([1, 2, 3, 4]))
    assert tree_unflatten(td, iter("abc")) == ("a", ["b", "c"])
    assert tree_unflatten(tree_structure(7), ["only"]) == "only"


# --- containers with special rules ----------------------------------------------------


def test_namedtuples_rebuild_as_their_class() -> None:
    tree = [Point(1, Pair(2, 3)), Pair(None, Point(4, 5))]
    out = tree_map(lambda v: v * 10, tree)
    assert type(out[0]) is Point and type(out[0].y) is Pair
    assert out == [Point(10, Pair(20, 30)), Pair(None, Point(40, 50))]
    assert tree_structure(Point(1, 2)) != tree_structure(Pair(1, 2))
    assert tree_structure(Point(1, 2)) != tree_structure((1, 2))


def test_ordered_dict_keeps_insertion_order() -> None:
    od = OrderedDict([("z", 1), ("a", 2)])
    leaves, td = tree_flatten(od)
    assert leaves == [1, 2]
    out = td.unflatten(["first", "second"])
    assert type(out) is OrderedDict
    assert list(out.items()) == [("z", "first"), ("a", "second")]


def test_defaultdict_keeps_default_factory() -> None:
    dd: defaultdict[str, Any] = defaultdict(list, {"b": 1, "a": 2})
    leaves, td = tree_flatten(dd)
    assert leaves == [2, 1]
    out = td.unflatten([20, 10])
    assert type(out) is collections.defaultdict
    assert out.default_factory is list
    assert dict(out) == {"a": 20, "b": 10}
    assert out["missing"] == []


def test_non_node_objects_are_leaves() -> None:
    class Thing:
        pass

    class MyTuple(tuple):  # a tuple subclass without _fields is a leaf, as in JAX
        __slots__ = ()

    thing, mt = Thing(), MyTuple((1, 2))
    assert tree_leaves([thing, mt, "str", 3.5, np.float64(2)]) == [thing, mt, "str", 3.5, 2.0]


# --- tree_map -------------------------------------------------------------------------


def test_tree_map_multi_tree() -> None:
    a = {"w": np.array([1.0, 2.0]), "b": (3.0, None)}
    b = {"w": np.array([10.0, 20.0]), "b": (30.0, None)}
    out = tree_map(lambda x, y: x * y, a, b)
    np.testing.assert_array_equal(out["w"], [10.0, 40.0])
    assert out["b"] == (90.0, None)


def test_tree_map_first_tree_may_be_a_prefix() -> None:
    # As in JAX: the subtree of a later tree at a leaf of the first is passed whole.
    assert tree_map(lambda x, y: (x, y), (1, 2), ((3, 4), [5])) == ((1, (3, 4)), (2, [5]))


@pytest.mark.parametrize(
    ("first", "other", "detail"),
    [
        (
            (1, 2),
            (1, 2, 3),
            "mismatch at the root: expected a tuple of length 2, got a tuple of length 3",
        ),
        ((1, 2), [1, 2], "expected a tuple of length 2, got a list of length 2"),
        ({"a": 1}, {"b": 1}, "expected a dict with keys ['a'], got a dict with keys ['b']"),
        ((1, None), (1, 2), "mismatch at tree[1]: expected None, got a leaf of type int"),
        (
            {"a": [1, (2, 3)]},
            {"a": [1, 5]},
            "tree['a'][1]: expected a tuple of length 2, got a leaf of type int",
        ),
        (Point(1, (2,)), Point(1, [2]), "tree.y: expected a tuple of length 1, got a list"),
        (Point(1, 2), Pair(1, 2), "expected a namedtuple Point with 2 fields"),
    ],
)
def test_tree_map_mismatch_names_both_structures(first: Any, other: Any, detail: str) -> None:
    with pytest.raises(ValueError) as info:
        tree_map(lambda x, y: x, first, other)
    msg = str(info.value)
    assert "tree argument 1 does not have the structure of the first tree" in msg
    assert f"first tree: {tree_structure(first)!r}" in msg
    assert f"argument 1: {tree_structure(other)!r}" in msg
    assert detail in msg


def test_tree_map_mismatch_reports_which_argument() -> None:
    with pytest.raises(ValueError, match="tree argument 2 does not"):
        tree_map(lambda x, y, z: x, (1, 2), (3, 4), (5,))


# --- broadcast_prefix -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("prefix", "full", "expected"),
    [
        (0, (1, 2, 3), [0, 0, 0]),
        (None, (1, [2, 3]), [None, None, None]),
        ((0, None), (1, 2), [0, None]),
        ((0, None), ([1, 2], {"a": 3, "b": 4}), [0, 0, None, None]),
        ((None, (0, 1)), (1, (2, 3)), [None, 0, 1]),
        ({"a": 0, "b": None}, {"a": (1, 2), "b": 3}, [0, 0, None]),
        ((0, 1), (5, None), [0]),  # a prefix leaf over an empty subtree covers nothing
        ((0, None), (None, 7), [None]),
        ([1, 2], [(3, 4), 5], [1, 1, 2]),
        (Point(0, None), Point([1, 2], 3), [0, 0, None]),
        (1, None, []),
        ((), (), []),
    ],
)
def test_broadcast_prefix(prefix: Any, full: Any, expected: list[Any]) -> None:
    assert broadcast_prefix(prefix, full) == expected


def test_broadcast_prefix_is_leaf_applies_to_both_trees() -> None:
    full = ({"k": 1, "v": 2}, {"k": 3, "v": 4})

    def is_dict(t: Any) -> bool:
        return isinstance(t, dict)

    assert broadcast_prefix((0, None), full, is_leaf=is_dict) == [0, None]
    assert broadcast_prefix((0, None), full) == [0, 0, None, None]
    # A dict in the prefix is a leaf too, so it covers the whole dict it sits over.
    assert broadcast_prefix(({"k": 0}, 1), full, is_leaf=is_dict) == [{"k": 0}, 1]


@pytest.mark.parametrize(
    ("prefix", "full", "detail"),
    [
        ((0, 0), (1, 2, 3), "mismatch at the root: expected a tuple of length 2, got a tuple"),
        ((0, (0, 1)), (1, None), "mismatch at tree[1]: expected a tuple of length 2, got None"),
        ((0, (0, 1)), (1, 2), "tree[1]: expected a tuple of length 2, got a leaf of type int"),
        ({"a": 0}, {"a": 1, "b": 2}, "expected a dict with keys ['a'], got a dict with keys"),
        ([0, None], (1, 2), "expected a list of length 2, got a tuple of length 2"),
    ],
)
def test_broadcast_prefix_errors(prefix: Any, full: Any, detail: str) -> None:
    with pytest.raises(ValueError) as info:
        broadcast_prefix(prefix, full)
    msg = str(info.value)
    assert "is not a tree prefix of the full tree" in msg
    assert f"prefix:    {tree_structure(prefix, is_leaf=lambda t: t is None)!r}" in msg
    assert f"full tree: {tree_structure(full)!r}" in msg
    assert detail in msg


# --- registration ---------------------------------------------------------------------


class Linear:
    def __init__(self, w: Any, b: Any, name: str) -> None:
        self.w, self.b, self.name = w, b, name


register_pytree_node(
    Linear,
    lambda m: ((m.w, m.b), m.name),
    lambda name, children: Linear(children[0], children[1], name),
)


def test_registered_class_roundtrip() -> None:
    m = Linear(np.ones(2), (3.0, None), "dense")
    leaves, td = tree_flatten([m, 5])
    assert len(leaves) == 3 and leaves[1] == 3.0 and leaves[2] == 5
    assert repr(td) == "PyTreeDef([CustomNode(Linear[dense], [*, (*, None)]), *])"
    out = td.unflatten(["W", "B", "x"])
    assert type(out[0]) is Linear
    assert (out[0].w, out[0].b, out[0].name, out[1]) == ("W", ("B", None), "dense", "x")
    # aux data is part of the structure
    assert tree_structure(Linear(1, 2, "a")) != tree_structure(Linear(1, 2, "b"))
    assert tree_structure(Linear(1, 2, "a")) == tree_structure(Linear(7, 8, "a"))
    scaled = tree_map(lambda x: 2 * x, Linear(1.0, 2.0, "s"))
    assert (scaled.w, scaled.b, scaled.name) == (2.0, 4.0, "s")


def test_registered_unflatten_receives_aux_and_children_tuple() -> None:
    seen: list[Any] = []

    class Box:
        def __init__(self, v: Any) -> None:
            self.v = v

    def unflatten(aux: Any, children: Any) -> Box:
        seen.append((aux, children))
        return Box(children[0])

    register_pytree_node(Box, lambda b: (iter([b.v]), ("meta", 1)), unflatten)
    tree_map(lambda x: x + 1, Box(1))
    assert seen == [(("meta", 1), (2,))]


def test_duplicate_registration_raises() -> None:
    with pytest.raises(ValueError, match="already a pytree node type"):
        register_pytree_node(Linear, lambda m: ((), None), lambda a, c: None)
    with pytest.raises(ValueError, match="already a pytree node type"):
        register_pytree_node(dict, lambda m: ((), None), lambda a, c: None)


def test_register_pytree_node_class() -> None:
    @register_pytree_node_class
    class Scaled:
        def __init__(self, value: Any, scale: float) -> None:
            self.value, self.scale = value, scale

        def tree_flatten(self) -> tuple[tuple[Any], float]:
            return (self.value,), self.scale

        @classmethod
        def tree_unflatten(cls, aux: float, children: tuple[Any]) -> Scaled:
            return cls(children[0], aux)

    out = tree_map(lambda x: x + 1, Scaled([1, 2], 0.5))
    assert isinstance(out, Scaled) and out.value == [2, 3] and out.scale == 0.5


@register_dataclass
@dataclasses.dataclass
class Params:
    w: Any
    b: Any


@register_dataclass
@dataclasses.dataclass(frozen=True)
class Layer:
    kernel: Any
    activation: str = dataclasses.field(default="relu", metadata={"static": True})


@dataclasses.dataclass
class Explicit:
    x: Any
    size: int
    y: Any


register_dataclass(Explicit, data_fields=["x", "y"], meta_fields=["size"])


def test_dataclass_roundtrip() -> None:
    p = Params(w=np.arange(2.0), b=(1.0, None))
    leaves, td = tree_flatten(p)
    assert len(leaves) == 2 and leaves[1] == 1.0
    assert repr(td) == "PyTreeDef(CustomNode(Params[()], [*, (*, None)]))"
    out = td.unflatten([10, 20])
    assert out == Params(w=10, b=(20, None))
    assert tree_map(lambda x: x + 1, Params(1, 2)) == Params(2, 3)


def test_dataclass_static_metadata_goes_into_aux() -> None:
    layer = Layer(kernel=[1, 2], activation="tanh")
    leaves, td = tree_flatten(layer)
    assert leaves == [1, 2]
    assert repr(td) == "PyTreeDef(CustomNode(Layer[('tanh',)], [[*, *]]))"
    assert td.unflatten([3, 4]) == Layer(kernel=[3, 4], activation="tanh")
    assert tree_structure(Layer(1, "tanh")) != tree_structure(Layer(1, "relu"))


def test_dataclass_explicit_fields() -> None:
    e = Explicit(x=1, size=3, y=(2, 4))
    leaves, td = tree_flatten(e)
    assert leaves == [1, 2, 4]
    assert td.unflatten([5, 6, 7]) == Explicit(x=5, size=3, y=(6, 7))
    assert tree_structure(Explicit(1, 3, 2)) != tree_structure(Explicit(1, 4, 2))


def test_dataclass_mismatch_names_field_path() -> None:
    with pytest.raises(ValueError, match=r"mismatch at tree\.b: expected a tuple of length 2"):
        tree_map(lambda x, y: x, Params(1, (2, 3)), Params(1, (2, 3, 4)))


def test_dataclass_registration_errors() -> None:
    @dataclasses.dataclass
    class A:
        x: Any
        y: Any

    with pytest.raises(ValueError, match="must together name exactly the init fields"):
        register_dataclass(A, data_fields=["x"], meta_fields=[])
    with pytest.raises(ValueError, match="in both data_fields and meta_fields"):
        register_dataclass(A, data_fields=["x", "y"], meta_fields=["y"])

    class NotADataclass:
        pass

    with pytest.raises(TypeError, match="is not a dataclass"):
        register_dataclass(NotADataclass)


def test_dataclass_decorator_factory_form() -> None:
    @register_dataclass(data_fields=["a"], meta_fields=["tag"])
    @dataclasses.dataclass
    class Tagged:
        a: Any
        tag: str

    assert tree_leaves(Tagged(a=(1, 2), tag="t")) == [1, 2]
    assert tree_map(lambda x: -x, Tagged(a=3, tag="t")) == Tagged(a=-3, tag="t")


# --- tree_transpose -------------------------------------------------------------------


def test_tree_transpose_list_of_dicts() -> None:
    outer = tree_structure([0, 0, 0])
    inner = tree_structure({"a": 0, "b": 0})
    tree = [{"a": 1, "b": 2}, {"a": 3, "b": 4}, {"a": 5, "b": 6}]
    assert tree_transpose(outer, inner, tree) == {"a": [1, 3, 5], "b": [2, 4, 6]}
    assert tree_transpose(outer, None, tree) == {"a": [1, 3, 5], "b": [2, 4, 6]}


def test_tree_transpose_is_an_involution() -> None:
    outer = tree_structure((0, {"x": 0}))
    inner = tree_structure([0, (0, 0)])
    tree = ([1, (2, 3)], {"x": [4, (5, 6)]})
    flipped = tree_transpose(outer, inner, tree)
    assert flipped == [(1, {"x": 4}), ((2, {"x": 5}), (3, {"x": 6}))]
    assert tree_transpose(inner, outer, flipped) == tree


def test_tree_transpose_with_empty_inner() -> None:
    outer = tree_structure((0, 0))
    inner = tree_structure(())
    assert tree_transpose(outer, inner, ((), ())) == ()


def test_tree_transpose_mismatch() -> None:
    outer = tree_structure([0, 0])
    inner = tree_structure((0, 0))
    with pytest.raises(TypeError, match="not the outer treedef composed with the inner") as info:
        tree_transpose(outer, inner, [(1, 2), [3, 4]])
    assert "expected: PyTreeDef([(*, *), (*, *)])" in str(info.value)
    assert "got:      PyTreeDef([(*, *), [*, *]])" in str(info.value)


# --- docs -----------------------------------------------------------------------------


def test_docstring_examples_run() -> None:
    result = doctest.testmod(tree_util, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 10
    assert result.failed == 0


def test_public_functions_are_documented() -> None:
    type_aliases = {"KeyEntry", "KeyPath"}  # typing aliases carry no docstring of their own
    for name in tree_util.__all__:
        obj = getattr(tree_util, name)
        if name in type_aliases:
            continue
        assert obj.__doc__ and ">>>" in obj.__doc__, name
    assert isinstance(tree_structure(1), PyTreeDef)


def test_tree_reduce_and_tree_all() -> None:
    add = lambda a, b: a + b  # noqa: E731
    assert tree_util.tree_reduce(add, {"a": 1, "b": (2, [3])}) == 6
    assert tree_util.tree_reduce(add, [], 10) == 10
    assert tree_util.tree_reduce(lambda a, b: a + len(b), [(1, 2), (3,)], 0,
                                 is_leaf=lambda x: isinstance(x, tuple)) == 3
    with pytest.raises(TypeError):
        tree_util.tree_reduce(add, [])
    assert tree_util.tree_all({"a": True, "b": [1, None]}) and tree_util.tree_all([])
    assert not tree_util.tree_all([True, (0,)])


def test_ravel_pytree_dtypes_shapes_and_tracing() -> None:
    ravel = ft.flatten_util.ravel_pytree
    # several dtypes: the common one, and each leaf's back
    flat, unravel = ravel({"i": np.arange(2), "f": np.ones(2, np.float32), "s": 2.0})
    assert flat.dtype == np.float64 and flat.shape == (5,)
    back = unravel(flat)
    assert [back[k].dtype for k in ("f", "i", "s")] == [np.float32, np.int64, np.float64]
    with pytest.raises(TypeError, match="dtype float64"):
        unravel(flat.astype(np.float32))
    with pytest.raises(ValueError, match=r"shape \(5,\)"):
        unravel(np.ones(4))
    # one dtype (a Python float is weakly typed): unravel keeps its vector's dtype
    flat, unravel = ravel((np.ones(2, np.float32), 2.0))
    assert flat.dtype == np.float32
    assert [x.dtype for x in unravel(flat.astype(np.float64))] == [np.float64] * 2
    # empty trees, and tracing: jit, vmap
    assert ravel(((), []))[0].shape == (0,) and ravel(((), []))[1](np.zeros(0)) == ((), [])
    tree = {"w": np.ones((2, 2)), "b": np.arange(2.0)}
    np.testing.assert_array_equal(ft.jit(lambda t: ravel(t)[0])(tree), [0, 1, 1, 1, 1, 1])
    flat, unravel = ravel(tree)
    assert ft.vmap(lambda v: unravel(v)["w"])(np.ones((3, 6))).shape == (3, 2, 2)
