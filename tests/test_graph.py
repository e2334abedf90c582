"""Tests of tinygrad_edu/graph.py: the one topological walk."""

from tinygrad_edu import Value
from tinygrad_edu.graph import topological_order


def _inputs(node):
    return node._parents


def test_every_node_comes_after_its_inputs_and_root_last():
    a, b = Value(1.0), Value(2.0)
    c = a * b
    d = c + a
    out = d * c
    order = topological_order(out, _inputs)
    position = {id(n): i for i, n in enumerate(order)}
    assert order[-1] is out
    assert len(order) == 5  # a, b, c, d, out: each once, though a and c are used twice
    for node in order:
        for parent in node._parents:
            assert position[id(parent)] < position[id(node)]


def test_leaf_alone():
    a = Value(1.0)
    assert topological_order(a, _inputs) == [a]


def test_deep_chain_is_iterative():
    x = Value(0.0)
    out = x
    for _ in range(50_000):
        out = out * 1.0
    order = topological_order(out, _inputs)
    assert len(order) == 50_001 and order[0] is x and order[-1] is out


def test_works_on_any_node_type():
    graph = {"out": ["h1", "h2"], "h1": ["x"], "h2": ["x", "y"], "x": [], "y": []}
    order = topological_order("out", graph.__getitem__)
    assert order[-1] == "out" and set(order) == set(graph)
    assert order.index("x") < order.index("h1") and order.index("y") < order.index("h2")
