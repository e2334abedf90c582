"""Tests of tinygrad_edu/viz.py: DOT text and graphviz.Digraph from the graph node protocol."""

import shutil

import pytest

from tinygrad_edu import Value, draw_dot, to_dot


def _expression():
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    out = (a * b + a).tanh()
    out.label = "out"
    out.backward()
    return out


def test_dot_text_has_one_record_per_value_and_one_node_per_op():
    text = to_dot(_expression())
    assert text.startswith("digraph {") and "rankdir=LR" in text
    assert text.count('shape="record"') == 5  # a, b, a*b, a*b+a, out
    assert text.count('shape="ellipse"') == 3  # *, +, tanh
    assert "{ a | data 2.0000 | grad " in text
    assert text.count("->") == 3 + 5  # op -> output, plus one edge per input of each op


def test_dot_text_is_deterministic_and_honours_rankdir():
    assert to_dot(_expression()) == to_dot(_expression())
    assert "rankdir=TB" in to_dot(_expression(), rankdir="TB")
    with pytest.raises(ValueError, match="rankdir"):
        to_dot(_expression(), rankdir="XY")


def test_record_special_characters_are_escaped():
    a = Value(1.0, label='a<b|{c}"')
    text = to_dot(a * 2)
    assert 'a\\<b\\|\\{c\\}\\"' in text


def test_uses_only_the_protocol():
    class Node:
        def __init__(self, name, parents=(), op=""):
            self._parents, self._op_name, self.name = parents, op, name

        def _describe(self):
            return f"{self.name} | (3, 4) float32"

    x = Node("x")
    y = Node("y", (x, x), "matmul")
    text = to_dot(y)
    assert "{ y | (3, 4) float32 }" in text and '"matmul"' in text


def test_draw_dot_returns_a_digraph_with_the_same_source():
    graphviz = pytest.importorskip("graphviz")
    graph = draw_dot(_expression())
    assert isinstance(graph, graphviz.Digraph)
    assert graph.source.count("record") == 5 and graph.source.count("ellipse") == 3


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's `dot` program is not installed")
def test_draw_dot_renders_svg():
    svg = draw_dot(_expression()).pipe(format="svg").decode()
    assert "<svg" in svg and "tanh" in svg
