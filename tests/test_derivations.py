"""docs/derivations.md, checked: each hand-derived gradient, written here in numpy from the page's
formula, equals the engine's gradient, and gradcheck (finite differences) passes on the same op; every
section is linked from a docstring of the code it explains, and every link points at a section."""

import math
import re
from pathlib import Path

import numpy as np
import pytest

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
from tinygrad_edu.testing import gradcheck

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "derivations.md"
RNG_SEED = 11


def tensors(*arrays):
    return [tg.tensor(np.asarray(a, dtype=np.float64), requires_grad=True) for a in arrays]


def engine_grads(fn, arrays, upstream):
    """The engine's gradients of sum(fn(*inputs) * upstream) with respect to every input."""
    inputs = tensors(*arrays)
    (fn(*inputs) * tg.tensor(upstream)).sum().backward()
    return [t.grad.numpy() for t in inputs]


def check(fn, arrays, hand, rtol=1e-9, atol=1e-10):
    """Hand formula == engine gradient for a random upstream G, and gradcheck passes on fn."""
    rng = np.random.default_rng(RNG_SEED)
    with tg.no_grad():
        out_shape = fn(*tensors(*arrays)).shape
    upstream = rng.standard_normal(out_shape)
    for ours, theirs in zip(engine_grads(fn, arrays, upstream), hand(upstream, *arrays)):
        np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=atol)
    assert gradcheck(fn, tensors(*arrays))


def randn(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def sections():
    return re.findall(r"^## (.+)$", DOC.read_text(encoding="utf-8"), flags=re.M)


def slug(heading):
    return re.sub(r"[^a-z0-9 -]", "", heading.lower()).replace(" ", "-")


def test_every_section_is_linked_from_the_code_and_every_link_resolves():
    anchors = {slug(h) for h in sections()}
    code = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "tinygrad_edu").rglob("*.py"))
    links = set(re.findall(r"docs/derivations\.md#([a-z0-9-]+)", code))
    assert links <= anchors, f"links to missing sections: {sorted(links - anchors)}"
    assert anchors - {"notation"} <= links, (
        f"sections no docstring links: {sorted(anchors - links - {'notation'})}"
    )


@pytest.mark.parametrize(
    "fn, hand",
    [
        (lambda a, b: a * b, lambda G, a, b: (G * b, G * a)),
        (lambda a, b: a / b, lambda G, a, b: (G / b, -G * a / b**2)),
        (lambda a, b: a**b, lambda G, a, b: (G * b * a ** (b - 1), G * a**b * np.log(a))),
        (
            lambda a, b: a.tanh() + b.sigmoid(),
            lambda G, a, b: (G * (1 - np.tanh(a) ** 2), G * _sig(b) * (1 - _sig(b))),
        ),
        (
            lambda a, b: a.sqrt() * b.exp(),
            lambda G, a, b: (G * np.exp(b) / (2 * np.sqrt(a)), G * np.sqrt(a) * np.exp(b)),
        ),
    ],
    ids=["mul", "div", "pow", "tanh-sigmoid", "sqrt-exp"],
)
def test_elementwise(fn, hand):
    a = np.abs(randn(3, 4, seed=1)) + 0.5
    b = randn(3, 4, seed=2)
    check(fn, [a, b], hand)


def _sig(x):
    return 1 / (1 + np.exp(-x))


def test_broadcasting_sums_over_added_and_size_one_axes():
    a, b = randn(3, 1, seed=3), randn(2, 3, 4, seed=4)
    check(lambda a, b: a * b, [a, b], lambda G, a, b: ((G * b).sum(axis=(0, 2)).reshape(3, 1), G * a))
    bias = randn(5, seed=5)
    check(lambda x, c: x + c, [randn(4, 5), bias], lambda G, x, c: (G, G.sum(axis=0)))


def test_reductions():
    x = randn(3, 5, seed=6)
    check(lambda x: x.sum(1), [x], lambda G, x: (np.repeat(G[:, None], 5, axis=1),))
    check(lambda x: x.mean(), [x], lambda G, x: (np.full_like(x, G / x.size),))
    winners = np.argmax(x, axis=1)
    check(lambda x: x.max(1)[0], [x], lambda G, x: (np.eye(5)[winners] * G[:, None],))

    def softmax_rows(x):
        e = np.exp(x - x.max(1, keepdims=True))
        return e / e.sum(1, keepdims=True)

    check(lambda x: x.logsumexp(1), [x], lambda G, x: (G[:, None] * softmax_rows(x),))


def test_shape_ops_and_repeated_indices_add_up():
    x = randn(2, 3, 4, seed=7)
    check(lambda x: x.permute(2, 0, 1), [x], lambda G, x: (G.transpose(1, 2, 0),))
    check(lambda x: x.reshape(6, 4), [x], lambda G, x: (G.reshape(2, 3, 4),))
    ids = np.array([2, 0, 2, 2])

    def scatter(G, x):
        out = np.zeros_like(x)
        np.add.at(out, ids, G)
        return (out,)

    check(lambda x: x[ids], [randn(3, 4)], scatter)


def test_matmul_and_linear():
    a, b = randn(4, 3, seed=8), randn(3, 5, seed=9)
    check(lambda a, b: a @ b, [a, b], lambda G, a, b: (G @ b.T, a.T @ G))
    batched, shared = randn(2, 4, 3, seed=10), randn(3, 5, seed=11)
    check(lambda a, b: a @ b, [batched, shared], lambda G, a, b: (G @ b.T, np.einsum("nip,nij->pj", a, G)))
    x, w, c = randn(6, 3, seed=12), randn(4, 3, seed=13), randn(4, seed=14)
    check(lambda x, w, c: F.linear(x, w, c), [x, w, c], lambda G, x, w, c: (G @ w, G.T @ x, G.sum(0)))


def softmax(z):
    e = np.exp(z - z.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def test_softmax_log_softmax_and_cross_entropy():
    z = randn(4, 6, seed=15)
    check(
        lambda z: F.softmax(z, -1),
        [z],
        lambda G, z: (softmax(z) * (G - (G * softmax(z)).sum(-1, keepdims=True)),),
    )
    check(lambda z: F.log_softmax(z, -1), [z], lambda G, z: (G - softmax(z) * G.sum(-1, keepdims=True),))
    targets = np.array([1, -100, 5, 0])
    kept = targets != -100
    onehot = np.eye(6)[np.where(kept, targets, 0)]

    def ce_hand(G, z):
        grad = (softmax(z) - onehot) / kept.sum()
        return (G * np.where(kept[:, None], grad, 0.0),)

    check(lambda z: F.cross_entropy(z, tg.tensor(targets)), [z], ce_hand)
    eps = 0.2
    q = (1 - eps) * np.eye(6)[[1, 3, 5, 0]] + eps / 6
    check(
        lambda z: F.cross_entropy(z, tg.tensor([1, 3, 5, 0]), label_smoothing=eps),
        [z],
        lambda G, z: (G * (softmax(z) - q) / 4,),
    )


def norm_grad(G, x, gamma, axes):
    """The LayerNorm/BatchNorm input gradient of the page: s (g - mean g - x_hat mean(g x_hat))."""
    mu = x.mean(axes, keepdims=True)
    s = 1 / np.sqrt(((x - mu) ** 2).mean(axes, keepdims=True) + 1e-5)
    x_hat = (x - mu) * s
    g = G * gamma
    return s * (g - g.mean(axes, keepdims=True) - x_hat * (g * x_hat).mean(axes, keepdims=True)), x_hat


def test_layer_norm_and_group_norm():
    x, gamma, beta = randn(3, 2, 5, seed=16), randn(5, seed=17), randn(5, seed=18)

    def ln_hand(G, x, gamma, beta):
        dx, x_hat = norm_grad(G, x, gamma, -1)
        return dx, (G * x_hat).sum((0, 1)), G.sum((0, 1))

    check(lambda x, w, b: F.layer_norm(x, (5,), w, b), [x, gamma, beta], ln_hand)
    x, gamma, beta = randn(2, 6, 3, seed=19), randn(6, seed=20), randn(6, seed=21)

    def gn_hand(G, x, gamma, beta):
        grouped = lambda a: a.reshape(2, 3, 6)  # 3 groups of 2 channels x 3 positions  # noqa: E731
        dx, x_hat = norm_grad(grouped(G * gamma[:, None]), grouped(x), 1.0, -1)
        x_hat = x_hat.reshape(2, 6, 3)
        return dx.reshape(2, 6, 3), (G * x_hat).sum((0, 2)), G.sum((0, 2))

    check(lambda x, w, b: F.group_norm(x, 3, w, b), [x, gamma, beta], gn_hand)


def test_batch_norm_training_and_eval():
    x, gamma, beta = randn(8, 3, seed=22), randn(3, seed=23), randn(3, seed=24)

    def bn_hand(G, x, gamma, beta):
        dx, x_hat = norm_grad(G, x, gamma, 0)
        return dx, (G * x_hat).sum(0), G.sum(0)

    check(lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True), [x, gamma, beta], bn_hand)
    mean, var = randn(3, seed=25), np.abs(randn(3, seed=26)) + 0.5
    running = tg.tensor(mean), tg.tensor(var)
    check(
        lambda x, w, b: F.batch_norm(x, *running, w, b, training=False),
        [x, gamma, beta],
        lambda G, x, gamma, beta: (
            G * gamma / np.sqrt(var + 1e-5),
            (G * (x - mean) / np.sqrt(var + 1e-5)).sum(0),
            G.sum(0),
        ),
    )


def test_gelu_exact_and_tanh():
    x = randn(20, seed=27) * 2
    phi = np.exp(-(x**2) / 2) / math.sqrt(2 * math.pi)
    cdf = 0.5 * (1 + np.vectorize(math.erf)(x / math.sqrt(2)))
    check(lambda x: F.gelu(x), [x], lambda G, x: (G * (cdf + x * phi),))
    u = math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)
    d = 0.5 * (1 + np.tanh(u)) + 0.5 * x * (1 - np.tanh(u) ** 2) * math.sqrt(2 / math.pi) * (
        1 + 3 * 0.044715 * x**2
    )
    check(lambda x: F.gelu(x, approximate="tanh"), [x], lambda G, x: (G * d,))


def test_attention_with_a_causal_mask():
    q, k, v = randn(5, 4, seed=28), randn(5, 4, seed=29), randn(5, 4, seed=30)
    mask = np.triu(np.ones((5, 5), dtype=bool), 1)

    def attention(q, k, v):
        scores = (q @ k.transpose(0, 1)) * (1 / math.sqrt(4))
        scores = scores.masked_fill(tg.tensor(mask), float("-inf"))
        return F.softmax(scores, -1) @ v

    def hand(G, q, k, v):
        S = np.where(mask, -np.inf, q @ k.T / 2.0)
        P = softmax(S)
        dP = G @ v.T
        dS = P * (dP - (dP * P).sum(-1, keepdims=True))
        return dS @ k / 2.0, dS.T @ q / 2.0, P.T @ G

    check(attention, [q, k, v], hand)


def test_embedding_is_a_scatter_add():
    weight = randn(6, 3, seed=31)
    ids = np.array([[1, 4, 1], [1, 0, 4]])

    def hand(G, w):
        out = np.zeros_like(w)
        for n, row in np.ndenumerate(ids):
            out[row] += G[n]
        return (out,)

    check(lambda w: F.embedding(tg.tensor(ids), w), [weight], hand)


def test_adamw_update_follows_the_derivation():
    theta0, grads = randn(4, seed=32), [randn(4, seed=33 + t) for t in range(3)]
    lr, (b1, b2), eps, wd = 0.01, (0.9, 0.999), 1e-8, 0.1
    param = tg.nn.Parameter(tg.tensor(theta0.copy()))
    optimizer = tg.optim.AdamW([param], lr=lr, betas=(b1, b2), eps=eps, weight_decay=wd)
    theta, m, v = theta0.copy(), np.zeros(4), np.zeros(4)
    for t, g in enumerate(grads, start=1):
        param.grad = tg.tensor(g)
        optimizer.step()
        m, v = b1 * m + (1 - b1) * g, b2 * v + (1 - b2) * g**2
        theta = theta * (1 - lr * wd)
        theta = theta - lr * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps)
        np.testing.assert_allclose(param.numpy(), theta, rtol=1e-12, atol=1e-14)
        if t == 1:  # the first step moves every weight by about lr, whatever its gradient's size
            np.testing.assert_allclose(np.abs(theta - theta0 * (1 - lr * wd)), lr, rtol=1e-5)


def test_backward_ops_second_derivatives_follow_the_page():
    """Each backward op's own backward: <V, D(G, .)> differentiated by the engine equals the page's
    formula in G and in the op's other input (y, or x for the normalisation)."""
    from tinygrad_edu.ops import activation, normalization

    G, V, z = randn(4, 5, seed=40), randn(4, 5, seed=41), randn(4, 5, seed=42)
    tanh_y = np.tanh(z)
    p, log_p = softmax(z), z - np.log(np.exp(z).sum(-1, keepdims=True))
    row = lambda a: a.sum(-1, keepdims=True)  # noqa: E731
    cases = [
        (
            lambda g, y: activation.TanhBackward.apply(g, y),
            tanh_y,
            [V * (1 - tanh_y**2), -2 * V * G * tanh_y],
        ),
        (
            lambda g, y: activation.SoftmaxBackward.apply(g, y, 1),
            p,
            [p * (V - row(V * p)), V * G - G * row(V * p) - V * row(G * p)],
        ),
        (
            lambda g, y: activation.LogSoftmaxBackward.apply(g, y, 1),
            log_p,
            [V - row(V * p), -V * p * row(G)],
        ),
    ]
    for op, y, hand in cases:
        g_t, y_t = tensors(G, y)
        (op(g_t, y_t) * tg.tensor(V)).sum().backward()
        np.testing.assert_allclose(g_t.grad.numpy(), hand[0], rtol=1e-9, atol=1e-10)
        np.testing.assert_allclose(y_t.grad.numpy(), hand[1], rtol=1e-9, atol=1e-10)

    x = randn(4, 5, seed=43)
    mean = lambda a: a.mean(-1, keepdims=True)  # noqa: E731
    s = 1 / np.sqrt(x.var(-1, keepdims=True) + 1e-5)
    x_hat = (x - mean(x)) * s
    a, c = mean(G * x_hat), mean(V * x_hat)
    hand_x = -(s**2) * (
        x_hat * (mean(V * G) - mean(V) * mean(G) - 3 * a * c) + c * (G - mean(G)) + a * (V - mean(V))
    )
    g_t, x_t = tensors(G, x)
    (normalization.NormalizeBackward.apply(g_t, x_t, None, (1,), 1e-5) * tg.tensor(V)).sum().backward()
    np.testing.assert_allclose(x_t.grad.numpy(), hand_x, rtol=1e-9, atol=1e-10)
    hand_g = s * (V - mean(V) - x_hat * mean(V * x_hat))  # the op again: A is symmetric
    np.testing.assert_allclose(g_t.grad.numpy(), hand_g, rtol=1e-9, atol=1e-10)
