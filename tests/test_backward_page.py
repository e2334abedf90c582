"""The step-through backward page: its numbers are the engine's, and it is one offline file."""

import json
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_edu as tg
from tinygrad_edu.backward_page import page_data
from tinygrad_edu.backward_trace import op_name, trace_backward
from tinygrad_edu.nn import functional as F

# ------------------------------------------------------------------------------------------------
# random graphs


VALUE_OPS = {
    "+": lambda a, b: a + b,
    "*": lambda a, b: a * b,
    "-": lambda a, b: a - b,
    "tanh": lambda a, b: a.tanh(),
    "relu": lambda a, b: a.relu(),
    "pow": lambda a, b: a**2,
    "const*": lambda a, b: 0.5 * a,
}
TENSOR_OPS = {
    "tanh": lambda h: h.tanh(),
    "square": lambda h: h**2,
    "mul_self": lambda h: h * h,
    "relu": lambda h: h.relu(),
    "exp": lambda h: (h * 0.1).exp(),
    "sigmoid": lambda h: h.sigmoid(),
}


def random_value_graph(draw, leaves: int):
    """A random expression over `leaves` Values where later nodes reuse earlier ones (some twice)."""
    nodes = [tg.Value(float(x), label=f"x{i}") for i, x in enumerate(np.linspace(-1.2, 1.3, leaves))]
    for _ in range(draw(st.integers(2, 12))):
        op = draw(st.sampled_from(sorted(VALUE_OPS)))
        a = nodes[draw(st.integers(0, len(nodes) - 1))]
        b = nodes[draw(st.integers(0, len(nodes) - 1))]  # may be a itself: a node used twice
        nodes.append(VALUE_OPS[op](a, b))
    root = nodes[-1]
    for node in nodes[:-1]:
        root = root + node * 0.1  # make every node reach the root
    return root, nodes


@settings(max_examples=40, deadline=None)
@given(st.data(), st.integers(1, 4))
def test_value_page_steps_equal_the_engine_gradients(data, leaves):
    root, nodes = random_value_graph(data.draw, leaves)
    trace = trace_backward(root)
    root.backward()
    index = {id(node): i for i, node in enumerate(trace.nodes)}
    for node in trace.nodes:
        assert trace.grads[index[id(node)]] == node.grad  # exactly: the same operations in the same order
    for step in trace.steps:
        # a node's upstream gradient, when it is processed, is already its final gradient
        assert step.upstream == trace.nodes[step.node].grad
        for contribution in step.contributions:
            source = trace.nodes[step.node]
            slot = [i for i, p in enumerate(source._parents) if p is trace.nodes[contribution.input]]
            assert contribution.local in [source._local[i] for i in slot]
            assert contribution.contribution == contribution.local * step.upstream


def random_tensor_graph(draw, generator):
    """A random tensor expression with broadcasting, matmul, reuse and reductions, ending in a scalar."""
    rows, inner, cols = draw(st.integers(1, 4)), draw(st.integers(1, 4)), draw(st.integers(1, 4))
    x = tg.randn(rows, inner, generator=generator, requires_grad=True)
    w = tg.randn(inner, cols, generator=generator, requires_grad=True)
    b = tg.randn(cols, generator=generator, requires_grad=True)
    h = x @ w + b
    for op in draw(st.lists(st.sampled_from(sorted(TENSOR_OPS)), max_size=4)):
        h = TENSOR_OPS[op](h)
    loss = (h.sum(dim=0) * b).mean() + (x * x).sum()  # x and b used twice
    return loss, (x, w, b)


@settings(max_examples=30, deadline=None)
@given(st.data())
def test_tensor_page_steps_equal_the_engine_gradients(data):
    loss, leaves = random_tensor_graph(data.draw, tg.Generator(data.draw(st.integers(0, 10**6))))
    trace = trace_backward(loss)
    loss.backward()
    index = {id(node): i for i, node in enumerate(trace.nodes)}
    for leaf in leaves:
        assert np.array_equal(trace.grads[index[id(leaf)]].data, leaf.grad.data)


def test_makemore_loss_page_matches_backward_and_leaves_grads_alone():
    g = tg.Generator(0)
    C = tg.randn(27, 10, generator=g, requires_grad=True)
    W1 = tg.randn(30, 64, generator=g, requires_grad=True)
    W2 = tg.randn(64, 27, generator=g, requires_grad=True)
    X, Y = tg.randint(0, 27, (16, 3), generator=g), tg.randint(0, 27, (16,), generator=g)
    loss = F.cross_entropy((C[X].view(16, -1) @ W1).tanh() @ W2, Y)
    trace = trace_backward(loss)
    assert all(p.grad is None for p in (C, W1, W2))  # the replay does not touch .grad
    loss.backward()
    index = {id(node): i for i, node in enumerate(trace.nodes)}
    for p in (C, W1, W2):
        assert np.array_equal(trace.grads[index[id(p)]].data, p.grad.data)


def test_a_node_used_twice_gets_two_contributions():
    a = tg.Value(3.0, label="a")
    b = a * a  # d b / d a = 2a, sent as two contributions a.data each
    trace = trace_backward(b)
    (step,) = trace.steps
    assert [c.count for c in step.contributions] == [1, 2]
    assert [c.contribution for c in step.contributions] == [3.0, 3.0]
    assert [c.running_sum for c in step.contributions] == [3.0, 6.0]


def test_tensor_local_derivative_of_an_elementwise_op_is_its_derivative():
    x = tg.tensor([0.5, -1.0, 2.0], requires_grad=True)
    loss = x.tanh().sum()
    trace = trace_backward(loss)
    tanh_step = [s for s in trace.steps if op_name(trace.nodes[s.node]) == "Tanh"][0]
    local = tanh_step.contributions[0].local.data
    np.testing.assert_allclose(local, 1 - np.tanh(x.data) ** 2, rtol=1e-6)


def test_a_freed_graph_is_refused_with_a_clear_message():
    x = tg.randn(3, requires_grad=True)
    loss = x.tanh().sum()
    loss.backward()
    with pytest.raises(RuntimeError, match="freed by backward"):
        tg.viz.save_html(loss, "never_written.html")


def test_a_root_with_many_numbers_is_refused():
    x = tg.randn(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="one number"):
        trace_backward(x * 2)


# ------------------------------------------------------------------------------------------------
# the page itself

NETWORK = re.compile(
    r"https?:|wss?:|//[a-z0-9.-]+\.[a-z]{2,}|@import|<link|\bsrc\s*=|fetch\(|XMLHttpRequest|url\((?!#)", re.I
)


def embedded_data(html: str) -> dict:
    match = re.search(r"const DATA = (.*?);\n\(function", html, re.S)
    return json.loads(match.group(1).replace("<\\/", "</"))


def neuron():
    x1, w1, b = tg.Value(2.0, label="x1"), tg.Value(-3.0, label="w1"), tg.Value(6.88, label="b")
    n = x1 * w1 + b
    n.label = "n"
    out = n.tanh()
    out.label = "out"
    return out, (x1, w1, b)


def test_saved_page_is_self_contained_and_holds_the_trace(tmp_path):
    out, leaves = neuron()
    path = tmp_path / "neuron.html"
    tg.viz.save_html(out, path)
    text = path.read_text()
    assert not NETWORK.search(text), f"network reference in the page: {NETWORK.search(text).group(0)!r}"
    assert "<script>" in text and "<style>" in text
    data = embedded_data(text)
    out.backward()
    names = {n["id"]: n["name"] for n in data["nodes"]}
    last_sums = {}
    for step in data["steps"]:
        for sent in step["sent"]:
            last_sums[names[sent["input"]]] = sent["sum"]["n"]
    for leaf in leaves:
        assert last_sums[leaf.label] == leaf.grad
    assert data["folded"] == 0 and len(data["steps"]) == data["total_steps"] == 3
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left


def test_big_graph_is_folded_and_says_so():
    x = tg.Value(0.5, label="x")
    y = x
    for _ in range(300):
        y = (y * 0.9).tanh()
    page = tg.viz.backward_page(y, max_steps=20)
    data = page.data
    assert len(data["steps"]) == 20 and data["total_steps"] == 600
    assert data["folded"] == data["total_nodes"] - len(data["nodes"]) > 500
    assert "folded" in data["layout"]["positions"]
    assert "nodes folded" in page.html()


@pytest.mark.parametrize("use_graphviz", [False, True])
def test_layout_places_every_node_without_overlap(use_graphviz):
    out, _ = neuron()
    data = page_data(trace_backward(out), use_graphviz=use_graphviz)
    positions = data["layout"]["positions"]
    assert set(positions) == {n["id"] for n in data["nodes"]}
    width, height = data["box"]
    points = list(positions.values())
    for i, (x1, y1) in enumerate(points):
        for x2, y2 in points[i + 1 :]:
            assert abs(x1 - x2) >= width or abs(y1 - y2) >= height, "two boxes overlap"


def test_tensor_page_shows_small_matrices_in_full_and_names_params():
    w = tg.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    loss = (w * w).sum()
    data = tg.viz.backward_page(loss, params={"w": w}).data
    (leaf,) = [n for n in data["nodes"] if n["leaf"]]
    assert leaf["name"] == "w" and leaf["data"]["values"] == [[1.0, 2.0], [3.0, 4.0]]
    assert leaf["grad"]["values"] == [[2.0, 4.0], [6.0, 8.0]]


def test_notebook_display_is_an_iframe_holding_the_page():
    out, _ = neuron()
    shown = tg.viz.backward_page(out)._repr_html_()
    assert shown.startswith("<iframe srcdoc=") and "&lt;script&gt;" in shown


def test_draw_graph_html_writes_both_pages_with_the_engines_gradients(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    result = subprocess.run(
        [sys.executable, str(root / "examples" / "draw_graph.py"), "--html", "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=120, cwd=root, env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert "backward page:" in result.stdout, result.stderr[-1000:]
    sys.path.insert(0, str(root / "examples"))
    from draw_graph import makemore_loss

    loss, params = makemore_loss()
    data = embedded_data((tmp_path / "makemore_loss.html").read_text())
    loss.backward()
    by_name = {n["name"]: n for n in data["nodes"] if n["name"]}
    assert set(by_name) == set(params)
    for name, tensor in params.items():
        assert by_name[name]["grad"]["norm"] == pytest.approx(
            float(np.linalg.norm(tensor.grad.data)), rel=1e-6
        )
    assert not NETWORK.search((tmp_path / "neuron.html").read_text())


def test_an_intermediate_value_is_shown_when_its_op_kept_it_and_marked_otherwise():
    x = tg.tensor([0.5, -1.0], requires_grad=True)
    loss = (x * 2.0).tanh().sum()
    records = {n["op"]: n["data"] for n in page_data(trace_backward(loss), use_graphviz=False)["nodes"]}
    # tanh saves its output for backward, so the graph holds its value; x * 2 keeps only its inputs
    np.testing.assert_allclose(records["Tanh"]["values"], np.tanh([1.0, -2.0]), rtol=1e-6)
    assert records["Mul"] == {"shape": [2], "dtype": "float32", "kept": False}
    assert records[""]["values"] == [0.5, -1.0] and records["Sum"]["n"] == float(loss.item())
