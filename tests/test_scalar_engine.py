"""Tests of the scalar engine's fast paths: `_op_result` (ops build nodes without `__init__`) and
`backward_order` (backward's own depth-first walk, marking nodes in place), each checked
against the plain way of doing the same thing."""

import copy
import pickle

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinygrad_edu import Value
from tinygrad_edu.graph import topological_order
from tinygrad_edu.scalar import backward_order, dot


def custom_square(a: Value) -> Value:
    """A learner's own op, made with the public constructor: d(a^2)/da = 2a."""
    return Value(a.data**2, "", "square", (a,), (2 * a.data,))


# every op stays finite on any inputs the graph below can produce
BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / (b * b + 1.0),
    "dot": lambda a, b: dot([a, b, 0.5], [b, 2.0, a], a),
}
UNARY = {
    "tanh": lambda a: a.tanh(),
    "sigmoid": lambda a: a.sigmoid(),
    "relu": lambda a: a.relu(),
    "neg": lambda a: -a,
    "pow": lambda a: a**2,
    "log": lambda a: (a * a + 1.0).log(),
    "exp": lambda a: a.tanh().exp(),
    "number_first": lambda a: 2.0 - 3.0 * a + 1 / (a * a + 2.0),
    "custom": custom_square,
}


@st.composite
def expressions(draw):
    """A random graph over 1 to 4 leaves, later nodes reusing earlier ones (some twice), one root."""
    leaves = [Value(draw(st.floats(-2.0, 2.0)), label=f"x{i}") for i in range(draw(st.integers(1, 4)))]
    nodes = list(leaves)
    for _ in range(draw(st.integers(1, 15))):
        pick = st.integers(0, len(nodes) - 1)
        if draw(st.booleans()):
            op = BINARY[draw(st.sampled_from(sorted(BINARY)))]
            nodes.append(op(nodes[draw(pick)], nodes[draw(pick)]))
        else:
            nodes.append(UNARY[draw(st.sampled_from(sorted(UNARY)))](nodes[draw(pick)]))
    root = nodes[-1]
    for node in nodes[draw(st.integers(0, len(nodes) - 1)) : -1]:
        root = root + node * 0.5  # some inner nodes reach the root along several paths
    return root, leaves


def reference_gradients(root: Value) -> dict[int, float]:
    """d(root)/d(node) for every node, by the general graph walk and the textbook chain rule."""
    order = topological_order(root, lambda node: node._parents)  # inputs first, root last
    grads = {id(node): 0.0 for node in order}
    grads[id(root)] = 1.0
    for node in reversed(order):
        for parent, local in zip(node._parents, node._local):
            grads[id(parent)] += local * grads[id(node)]
    return grads


@settings(max_examples=60, deadline=None)
@given(expressions())
def test_backward_equals_the_reference_chain_rule(graph):
    root, _ = graph
    expected = reference_gradients(root)
    root.backward()
    for node in topological_order(root, lambda node: node._parents):
        # the order of the additions into one .grad may differ, so the last bits may too
        assert node.grad == pytest.approx(expected[id(node)], rel=1e-12, abs=1e-12)


@settings(max_examples=60, deadline=None)
@given(expressions())
def test_backward_order_visits_every_node_after_all_its_users(graph):
    root, _ = graph
    order = backward_order(root)
    assert order[0] is root
    assert {id(node) for node in order} == {
        id(node) for node in topological_order(root, lambda n: n._parents)
    }
    assert len(order) == len({id(node) for node in order})  # each node once
    position = {id(node): i for i, node in enumerate(order)}
    for node in order:
        for parent in node._parents:
            assert position[id(parent)] > position[id(node)]


def test_op_results_are_the_nodes_the_constructor_builds():
    a, b = Value(1.5, label="a"), Value(-0.5, label="b")
    results = [a + b, a + 2, 2 + a, a - b, 2 - a, a * b, 3 * a, a / b, a / 4, 4 / a, a**3, -a]
    results += [a.exp(), a.log(), a.tanh(), a.relu(), b.relu(), a.sigmoid(), dot([a, 2.0], [b, a], 1.0)]
    for result in results:
        made = Value(result.data, "", result._op_name, result._parents, result._local)
        assert type(result.data) is float and result.grad == 0.0 and result.label == ""
        assert (made.data, made._op_name, made._parents, made._local) == (
            result.data,
            result._op_name,
            result._parents,
            result._local,
        )
        assert result._visit is None and made._visit is None
    assert [r._op_name for r in results[:3]] == ["+"] * 3 and len(results[0]._parents) == 2


def test_a_long_dot_and_a_custom_op_in_one_graph():
    weights = [Value(0.1 * i) for i in range(50)]
    inputs = [Value(1.0 - 0.02 * i) for i in range(50)]
    out = custom_square(dot(weights, inputs, 0.25))
    out.backward()
    total = 0.25 + sum(w.data * x.data for w, x in zip(weights, inputs))
    for w, x in zip(weights, inputs):
        assert w.grad == pytest.approx(2 * total * x.data) and x.grad == pytest.approx(2 * total * w.data)


def test_copies_of_a_walked_graph_backpropagate_like_the_original():
    a = Value(2.0, label="a")
    out = (a * a + a).tanh() * a
    out.backward()  # leaves marks from this walk in every node
    for copied in (copy.deepcopy(out), pickle.loads(pickle.dumps(out))):
        nodes = backward_order(copied)
        assert len(nodes) == len(backward_order(out)) == 5  # out, tanh, +, a * a and a
        for node in nodes:
            node.grad = 0.0
        copied.backward()
        (leaf,) = [node for node in nodes if node.label == "a"]
        assert leaf is not a and leaf.grad == a.grad


def test_each_search_finds_every_node_again_also_in_an_overlapping_graph():
    a, b = Value(1.5), Value(-2.0)
    shared = a * b
    first = shared.tanh() + a
    second = shared * 3.0
    assert [id(n) for n in backward_order(first)] == [id(n) for n in backward_order(first)]
    assert (
        len(backward_order(first)) == 5
    )  # first, tanh, shared, b, a: marks left by a search do not hide nodes
    assert [n._op_name for n in backward_order(second)] == ["*", "*", "", ""]  # second, shared, b, a
    second.backward()  # after first's searches marked shared, a and b
    assert (a.grad, b.grad) == (3.0 * b.data, 3.0 * a.data)
