"""The ops that are other ops' backward (TanhBackward, SoftmaxBackward, LogSoftmaxBackward,
NormalizeBackward, NormalizeWeightBackward, LinearWeightGrad, NllLoss and NllLossBackward,
GeluDerivative) and the fused AttentionScores: each is called directly and checked with gradcheck
and gradgradcheck over generated shapes (float64), so the second derivatives of tanh, softmax, the
normalisations, Linear and the losses rest on checked formulas; then Hessian-vector products against
torch (float32 and float64); then the fast paths of the sums and of IndexAdd against numpy.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
from tinygrad_edu.ops import activation, attention, linalg, loss, normalization, shape
from tinygrad_edu.ops.common import max_last, sum_last, sum_over
from tinygrad_edu.testing import assert_close, gradcheck, gradgradcheck, shapes, tensors

few = settings(max_examples=10)
SMALL = shapes(min_dims=1, max_dims=3, min_side=2, max_side=4)
PROBS = st.floats(0.05, 0.95)  # softmax outputs: strictly between 0 and 1
LOG_PROBS = st.floats(-3, -0.05)


def _checks(fn, inputs):
    assert gradcheck(fn, inputs)
    assert gradgradcheck(fn, inputs)


@few
@given(data=st.data())
def test_tanh_backward(data):
    shape = data.draw(SMALL)
    grad = data.draw(tensors(shape, requires_grad=True))
    out = data.draw(tensors(shape, elements=st.floats(-0.95, 0.95), requires_grad=True))
    _checks(activation.TanhBackward.apply, (grad, out))


@few
@given(data=st.data())
def test_softmax_and_log_softmax_backward(data):
    shape = data.draw(SMALL)
    dim = data.draw(st.integers(0, len(shape) - 1))
    grad = data.draw(tensors(shape, requires_grad=True))
    probs = data.draw(tensors(shape, elements=PROBS, requires_grad=True))
    log_probs = data.draw(tensors(shape, elements=LOG_PROBS, requires_grad=True))
    _checks(lambda g, y: activation.SoftmaxBackward.apply(g, y, dim), (grad, probs))
    _checks(lambda g, y: activation.LogSoftmaxBackward.apply(g, y, dim), (grad, log_probs))


def _distinct(data, shape):
    """Values far enough apart that the variance never nears 0 (finite differences stay smooth)."""
    size = int(np.prod(shape))
    order = data.draw(st.permutations(range(size)))
    return tg.tensor(
        (np.array(order, dtype=np.float64) * 0.37 - 0.2 * size).reshape(shape), requires_grad=True
    )


@few
@given(data=st.data(), kind=st.sampled_from(["layer", "batch"]), weighted=st.booleans())
def test_normalize_backward(data, kind, weighted):
    shape = data.draw(shapes(min_dims=2, max_dims=3, min_side=2, max_side=4))
    dims = (len(shape) - 1,) if kind == "layer" else (0,) + tuple(range(2, len(shape)))
    weight_shape = shape[-1:] if kind == "layer" else (1, shape[1]) + (1,) * (len(shape) - 2)
    x = _distinct(data, shape)
    dy = data.draw(tensors(shape, requires_grad=True))
    if weighted:
        weight = data.draw(tensors((int(np.prod(weight_shape)),), requires_grad=True))
        inputs = (dy, x, weight)

        def fn(dy, x, weight):
            return normalization.NormalizeBackward.apply(dy, x, weight, dims, 1e-5, None, None, weight_shape)
    else:
        inputs = (dy, x)

        def fn(dy, x):
            return normalization.NormalizeBackward.apply(dy, x, None, dims, 1e-5)

    _checks(fn, inputs)


@few
@given(data=st.data(), kind=st.sampled_from(["layer", "batch"]))
def test_normalize_weight_backward(data, kind):
    shape = data.draw(shapes(min_dims=2, max_dims=3, min_side=2, max_side=4))
    if kind == "layer":
        dims, reduce_dims, weight_shape = (len(shape) - 1,), tuple(range(len(shape) - 1)), shape[-1:]
    else:
        dims = reduce_dims = (0,) + tuple(range(2, len(shape)))
        weight_shape = (1, shape[1]) + (1,) * (len(shape) - 2)
    x = _distinct(data, shape)
    dy = data.draw(tensors(shape, requires_grad=True))

    def fn(dy, x):
        normalized, inv_std = normalization._normalize(x.data, dims, 1e-5)
        return normalization.NormalizeWeightBackward.apply(
            dy, x, reduce_dims, weight_shape, dims, 1e-5, normalized, inv_std
        )

    _checks(fn, (dy, x))


@few
@given(data=st.data(), reduction=st.sampled_from([1.0, 0.25]))
def test_nll_loss_and_its_backward(data, reduction):
    rows, classes = data.draw(st.integers(1, 4)), data.draw(st.integers(2, 5))
    log_probs = data.draw(tensors((rows, classes), elements=LOG_PROBS, requires_grad=True))
    kept = np.array(sorted(data.draw(st.sets(st.integers(0, rows - 1), min_size=1))))
    targets = np.array([data.draw(st.integers(0, classes - 1)) for _ in kept])
    _checks(lambda x: loss.NllLoss.apply(x, kept, targets, reduction), (log_probs,))
    grad = data.draw(tensors((), requires_grad=True))
    _checks(lambda g: loss.NllLossBackward.apply(g, (rows, classes), kept, targets, reduction), (grad,))


@few
@given(data=st.data())
def test_linear_weight_grad(data):
    rows = data.draw(shapes(min_dims=0, max_dims=2, max_side=3))
    grad = data.draw(tensors(rows + (data.draw(st.integers(1, 3)),), requires_grad=True))
    x = data.draw(tensors(rows + (data.draw(st.integers(1, 3)),), requires_grad=True))
    _checks(linalg.LinearWeightGrad.apply, (grad, x))
    flat = lambda a: a.numpy().reshape(-1, a.shape[-1])  # noqa: E731
    assert_close(linalg.LinearWeightGrad.apply(grad, x), flat(grad).T @ flat(x), rtol=1e-12, atol=1e-12)


@few
@given(x=tensors(SMALL, requires_grad=True))
def test_gelu_derivative(x):
    _checks(lambda t: activation.GeluDerivative.apply(t), (x,))


@few
@given(data=st.data(), causal=st.booleans())
def test_attention_scores(data, causal):
    batch = data.draw(shapes(min_dims=0, max_dims=2, max_side=2))
    time, head = data.draw(st.integers(1, 4)), data.draw(st.integers(1, 3))
    query = data.draw(tensors(batch + (time, head), requires_grad=True))
    key = data.draw(tensors(batch[1:] + (time, head), requires_grad=True))  # batch dims broadcast
    fn = lambda q, k: attention.AttentionScores.apply(q, k, 0.7, causal).softmax(-1)  # noqa: E731
    _checks(fn, (query, key))
    expected = query.numpy() @ np.swapaxes(key.numpy(), -1, -2) * 0.7
    if causal:
        expected = np.where(np.triu(np.ones((time, time), bool), 1), -np.inf, expected)
    scores = attention.AttentionScores.apply(query, key, 0.7, causal)
    assert_close(scores, expected, rtol=1e-12, atol=1e-12)
    # a masked score is a constant: the gradient through it is 0 even where the caller sends one
    (grad_query,) = tg.autograd.grad(scores, query, tg.ones(*scores.shape, dtype=tg.float64))
    allowed = np.isfinite(expected).astype(np.float64)
    expected_grad = (np.broadcast_to(allowed, scores.shape) * 0.7) @ np.broadcast_to(
        key.numpy(), batch + key.shape[-2:]
    )
    assert_close(grad_query, expected_grad, rtol=1e-12, atol=1e-12)


def test_nll_loss_is_torchs_graph_and_skips_ignored_rows():
    logits = tg.tensor(np.random.default_rng(0).standard_normal((4, 3)), requires_grad=True)
    targets = tg.tensor([2, -100, 0, 1])
    out = F.cross_entropy(logits, targets)
    assert type(out.grad_fn).__name__ == "NllLoss"
    assert type(out.grad_fn.parents[0]).__name__ == "LogSoftmax"
    out.backward()
    assert np.all(logits.grad.numpy()[1] == 0)  # the ignored row gets no gradient
    _checks(lambda x: F.cross_entropy(x, targets), (logits,))


# --------------------------------------------------------------------------------------------------
# second derivatives against torch: H v for a loss built on each op


def _hessian_vector(fn, x, v, module):
    """d/dx <d fn(x) / dx, v>, in tg or torch."""
    if module is tg:
        (grad,) = tg.autograd.grad(fn(x), x, create_graph=True)
        return tg.autograd.grad((grad * v).sum(), x)[0].numpy()
    import torch

    (grad,) = torch.autograd.grad(fn(x), x, create_graph=True)
    return torch.autograd.grad((grad * v).sum(), x)[0].numpy()


def _losses(torch, dtype):
    TF = torch.nn.functional
    rng = np.random.default_rng(3)
    weight, bias = rng.standard_normal(6).astype(dtype), rng.standard_normal(6).astype(dtype)
    targets = rng.integers(0, 6, 5)

    def tg_or_torch(module, array):
        return tg.tensor(array) if module is tg else torch.tensor(array)

    return {
        "tanh": lambda x, m: (x.tanh() ** 3).sum(),
        "softmax": lambda x, m: (x.softmax(-1) ** 2).sum() if m is tg else (torch.softmax(x, -1) ** 2).sum(),
        "log_softmax": lambda x, m: (
            (x.log_softmax(0) ** 2).sum() if m is tg else (torch.log_softmax(x, 0) ** 2).sum()
        ),
        "gelu": lambda x, m: (F.gelu(x) ** 2).sum() if m is tg else (TF.gelu(x) ** 2).sum(),
        "layer_norm": lambda x, m: (
            (F if m is tg else TF).layer_norm(x, (6,), tg_or_torch(m, weight), tg_or_torch(m, bias)) ** 3
        ).sum(),
        "batch_norm": lambda x, m: (
            (F if m is tg else TF).batch_norm(
                x, None, None, tg_or_torch(m, weight), tg_or_torch(m, bias), True
            )
            ** 3
        ).sum(),
        "cross_entropy": lambda x, m: (F if m is tg else TF).cross_entropy(x, tg_or_torch(m, targets)),
    }


@pytest.mark.parametrize("dtype, tol", [(np.float32, 1e-5), (np.float64, 1e-10)])
@pytest.mark.parametrize(
    "name", ["tanh", "softmax", "log_softmax", "gelu", "layer_norm", "batch_norm", "cross_entropy"]
)
def test_second_derivatives_match_torch(torch, name, dtype, tol):
    rng = np.random.default_rng(4)
    x, v = (rng.standard_normal((5, 6)).astype(dtype) for _ in range(2))
    losses = _losses(torch, dtype)
    fn = losses[name]
    ours = _hessian_vector(lambda t: fn(t, tg), tg.tensor(x, requires_grad=True), tg.tensor(v), tg)
    theirs = _hessian_vector(
        lambda t: fn(t, torch), torch.tensor(x, requires_grad=True), torch.tensor(v), torch
    )
    scale = max(1.0, float(np.abs(theirs).max()))
    assert_close(ours, theirs, rtol=tol, atol=tol * scale)


# --------------------------------------------------------------------------------------------------
# the fast paths: BLAS sums and the one-hot IndexAdd give numpy's answers


@given(
    x=tensors(shapes(min_dims=1, max_dims=4, max_side=5), elements=st.floats(-100, 100)),
    data=st.data(),
    keepdims=st.booleans(),
)
def test_sums_match_numpy(x, data, keepdims):
    array = x.numpy()
    count = data.draw(st.integers(1, array.ndim))
    dims = tuple(range(count)) if data.draw(st.booleans()) else (array.ndim - 1,)
    assert_close(
        sum_over(array, dims, keepdims), array.sum(axis=dims, keepdims=keepdims), rtol=1e-12, atol=1e-12
    )
    assert_close(sum_last(array, keepdims), array.sum(axis=-1, keepdims=keepdims), rtol=1e-12, atol=1e-12)
    for dtype in (np.float32, np.int64):  # float32 through BLAS, integers through numpy
        small = array.astype(dtype)
        assert_close(
            sum_over(small, dims, keepdims), small.sum(axis=dims, keepdims=keepdims), rtol=1e-5, atol=1e-3
        )


@given(
    x=tensors(shapes(min_dims=2, max_dims=4, max_side=7), elements=st.floats(-100, 100) | st.just(-np.inf))
)
def test_max_last_matches_numpy_on_key_major_layouts(x):
    key_major = np.swapaxes(x.numpy().copy(), -1, -2)  # the last axis strided, as attention scores
    assert_close(max_last(key_major), key_major.max(axis=-1, keepdims=True), rtol=0, atol=0)
    assert_close(max_last(x.numpy()), x.numpy().max(axis=-1, keepdims=True), rtol=0, atol=0)


@given(
    ids=st.lists(st.integers(-4, 3), min_size=1, max_size=12).map(np.array),
    width=st.integers(1, 3),
)
def test_index_add_sums_repeated_rows_like_add_at(ids, width):
    values = np.arange(ids.size * width, dtype=np.float64).reshape(ids.size, width) - 3.5
    expected = np.zeros((4, width))
    np.add.at(expected, ids, values)
    with tg.no_grad():
        out = shape.IndexAdd.apply(tg.tensor(values), (4, width), ids)  # negative ids: the np.add.at path
    assert_close(out, expected, rtol=0, atol=1e-12)
