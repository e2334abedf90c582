"""Drawing a tensor graph: the makemore MLP's loss, through the same viz code as Value graphs."""

import shutil

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu.nn import functional as F


def makemore_loss():
    g = tg.Generator(0)
    C = tg.randn(27, 10, generator=g, requires_grad=True)
    W1 = tg.randn(30, 200, generator=g, requires_grad=True)
    b1 = tg.zeros(200, requires_grad=True)
    W2 = tg.randn(200, 27, generator=g, requires_grad=True)
    b2 = tg.zeros(27, requires_grad=True)
    X = tg.randint(0, 27, (32, 3), generator=g)
    Y = tg.randint(0, 27, (32,), generator=g)
    emb = C[X]
    h = (emb.view(32, -1) @ W1 + b1).tanh()
    return F.cross_entropy(h @ W2 + b2, Y), (C, W1, b1, W2, b2)


def test_tensor_graph_dot_text_names_ops_shapes_and_dtypes():
    loss, params = makemore_loss()
    dot = tg.to_dot(loss)
    for op in ("GetItem", "Reshape", "MatMul", "Add", "Tanh", "LogSoftmax", "NllLoss"):
        assert op in dot, f"op {op} missing from the drawing"
    assert "(27, 10) float32" in dot  # the embedding table C
    assert "(32, 200) float32" in dot  # the hidden layer
    # every parameter is a leaf box; after backward the boxes say they hold a gradient
    loss.backward()
    assert tg.to_dot(loss).count("grad") >= len(params)


def test_tensor_graph_has_one_box_per_tensor_and_one_ellipse_per_op():
    x = tg.randn(3, 4, requires_grad=True)
    y = (x * 2).sum()
    dot = tg.to_dot(y)
    assert dot.count('shape="record"') == 3  # x, x * 2, the sum (the constant 2 needs no grad)
    assert dot.count("Mul") == 1 and dot.count("Sum") == 1


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot program is not installed")
def test_tensor_graph_renders_to_svg(tmp_path):
    loss, _ = makemore_loss()
    path = tg.draw_dot(loss).render(str(tmp_path / "mlp_loss"), format="svg", cleanup=True)
    svg = open(path).read()
    assert svg.lstrip().startswith("<?xml") and "MatMul" in svg
    assert np.isfinite(loss.item())
