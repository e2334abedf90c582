"""Every differentiable op's backward against finite differences (float64), over generated inputs.

Each op is checked with `gradcheck` on hypothesis-generated shapes and values from its valid domain
(away from kinks such as relu at 0 and ties in max), binary ops on broadcastable shape pairs, some on
non-contiguous inputs; second derivatives with `gradgradcheck`. Algebraic laws close the file.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
from tinygrad_edu.testing import (
    assert_close,
    broadcastable_shapes,
    gradcheck,
    gradgradcheck,
    noncontiguous_tensors,
    shapes,
    tensors,
)

SMALL = shapes(max_dims=3, max_side=4)  # gradcheck costs one forward pair per input element
TINY = shapes(max_dims=2, max_side=3)
# values bounded away from 0 (kinks of abs/relu, poles of 1/x)
AWAY_FROM_ZERO = st.one_of(st.floats(-3, -0.1), st.floats(0.1, 3))
POSITIVE = st.floats(0.2, 3)
# a grid offset by a quarter: never 0, never within 0.25 of a multiple of 0.5 (see TIE_FREE_OTHER)
OFF_GRID = st.integers(-6, 5).map(lambda k: 0.5 * k + 0.25)
ON_GRID = st.integers(-6, 6).map(lambda k: 0.5 * k)

few = settings(max_examples=15)
fewer = settings(max_examples=8)


def distinct_tensor(shape, requires_grad=True):
    """A strategy for float64 tensors whose elements are all distinct and 0.1 apart (no ties for max)."""
    size = int(np.prod(shape))
    return st.permutations(range(size)).map(
        lambda order: tg.tensor(
            (np.array(order, dtype=np.float64) * 0.1 - 0.05 * size).reshape(shape),
            requires_grad=requires_grad,
        )
    )


# --------------------------------------------------------------------------------------------------
# pointwise, one input

UNARY = {
    "neg": (lambda x: -x, None),
    "exp": (lambda x: x.exp(), None),
    "log": (lambda x: x.log(), POSITIVE),
    "sqrt": (lambda x: x.sqrt(), POSITIVE),
    "abs": (lambda x: x.abs(), AWAY_FROM_ZERO),
    "tanh": (lambda x: x.tanh(), None),
    "sigmoid": (lambda x: x.sigmoid(), None),
    "relu": (lambda x: x.relu(), AWAY_FROM_ZERO),
    "gelu": (lambda x: x.gelu(), None),
    "gelu_tanh": (lambda x: x.gelu(approximate="tanh"), None),
    "clamp": (lambda x: x.clamp(-1.0, 1.0), st.floats(-3, 3).filter(lambda v: abs(abs(v) - 1) > 0.01)),
    "clamp_min": (lambda x: x.clamp(min=0.5), st.floats(-3, 3).filter(lambda v: abs(v - 0.5) > 0.01)),
    "square": (lambda x: x.square(), None),
    "pow_int": (lambda x: x**3, None),
    "pow_fraction": (lambda x: x**2.5, POSITIVE),
    "pow_negative": (lambda x: x**-2, AWAY_FROM_ZERO),
    "add_number": (lambda x: x + 2.5, None),
    "radd_number": (lambda x: 2.5 + x, None),
    "sub_number": (lambda x: x - 1.5, None),
    "rsub_number": (lambda x: 1.5 - x, None),
    "mul_number": (lambda x: x * -1.5, None),
    "rmul_number": (lambda x: 0.5 * x, None),
    "div_number": (lambda x: x / 4.0, None),
    "rdiv_number": (lambda x: 3.0 / x, AWAY_FROM_ZERO),
    "rpow_number": (lambda x: 2.0**x, None),
    "softmax_last": (lambda x: x.softmax(-1), None),
    "softmax_first": (lambda x: x.softmax(0), None),
    "log_softmax_last": (lambda x: x.log_softmax(-1), None),
    "log_softmax_first": (lambda x: x.log_softmax(0), None),
    "masked_fill": (
        lambda x: x.masked_fill(x.detach() > 0.5, -2.0),
        st.floats(-3, 3).filter(lambda v: abs(v - 0.5) > 0.01),
    ),
    "where_number": (lambda x: tg.where(x.detach() > 0, x, 0.0), AWAY_FROM_ZERO),
    "tril": (lambda x: x.tril(), None),
    "triu_diagonal": (lambda x: x.triu(1), None),
    "clone": (lambda x: x.clone(), None),
}
NEEDS_DIMS = {"softmax_last", "softmax_first", "log_softmax_last", "log_softmax_first"}
NEEDS_MATRIX = {"tril", "triu_diagonal"}


def _unary_shape(name):
    if name in NEEDS_MATRIX:
        return shapes(min_dims=2, max_dims=3, max_side=4)
    return shapes(min_dims=1 if name in NEEDS_DIMS else 0, max_dims=3, max_side=4)


@pytest.mark.parametrize("name", sorted(UNARY))
@few
@given(data=st.data())
def test_unary_gradcheck(name, data):
    fn, elements = UNARY[name]
    x = data.draw(tensors(_unary_shape(name), elements=elements, requires_grad=True))
    assert gradcheck(fn, (x,))


@pytest.mark.parametrize("name", sorted(UNARY))
@fewer
@given(data=st.data())
def test_unary_gradgradcheck(name, data):
    fn, elements = UNARY[name]
    shape = data.draw(
        shapes(min_dims=2, max_dims=2, max_side=3)
        if name in NEEDS_MATRIX
        else shapes(min_dims=1, max_dims=2, max_side=3)
    )
    x = data.draw(tensors(shape, elements=elements, requires_grad=True))
    assert gradgradcheck(fn, (x,))


@pytest.mark.parametrize("name", ["exp", "tanh", "gelu", "softmax_first", "log_softmax_last", "tril"])
@fewer
@given(data=st.data())
def test_unary_gradcheck_noncontiguous(name, data):
    fn, elements = UNARY[name]
    x = data.draw(
        noncontiguous_tensors(
            shapes(min_dims=2, max_dims=3, max_side=3), elements=elements, requires_grad=True
        )
    )
    assert gradcheck(fn, (x,))


# --------------------------------------------------------------------------------------------------
# pointwise, two inputs that broadcast

BINARY = {
    "add": (lambda a, b: a + b, None, None),
    "sub": (lambda a, b: a - b, None, None),
    "mul": (lambda a, b: a * b, None, None),
    "div": (lambda a, b: a / b, None, AWAY_FROM_ZERO),
    "pow": (lambda a, b: a**b, POSITIVE, None),
    "maximum": (lambda a, b: a.maximum(b), OFF_GRID, ON_GRID),
    "minimum": (lambda a, b: a.minimum(b), OFF_GRID, ON_GRID),
    "where": (lambda a, b: tg.where(a.detach() > b.detach(), a, b), OFF_GRID, ON_GRID),
    "max_tensor": (lambda a, b: a.max(b), OFF_GRID, ON_GRID),
}


def _broadcast_pair(data, name, max_side=4):
    _, a_elements, b_elements = BINARY[name]
    a_shape = data.draw(shapes(max_dims=3, max_side=max_side))
    b_shape = data.draw(broadcastable_shapes(a_shape, max_dims=3, max_side=max_side))
    if data.draw(st.booleans()):  # the broadcasting goes both ways
        a_shape, b_shape = b_shape, a_shape
    a = data.draw(tensors(a_shape, elements=a_elements, requires_grad=True))
    b = data.draw(tensors(b_shape, elements=b_elements, requires_grad=True))
    return a, b


@pytest.mark.parametrize("name", sorted(BINARY))
@few
@given(data=st.data())
def test_binary_gradcheck(name, data):
    a, b = _broadcast_pair(data, name)
    assert gradcheck(BINARY[name][0], (a, b))


@pytest.mark.parametrize("name", sorted(BINARY))
@fewer
@given(data=st.data())
def test_binary_gradgradcheck(name, data):
    a, b = _broadcast_pair(data, name, max_side=3)
    assert gradgradcheck(BINARY[name][0], (a, b))


@pytest.mark.parametrize("name", ["add", "mul", "div", "maximum"])
@fewer
@given(data=st.data())
def test_binary_gradcheck_noncontiguous(name, data):
    fn, a_elements, b_elements = BINARY[name]
    shape = data.draw(shapes(min_dims=2, max_dims=3, max_side=3))
    a = data.draw(noncontiguous_tensors(shape, elements=a_elements, requires_grad=True))
    b = data.draw(noncontiguous_tensors(shape, elements=b_elements, requires_grad=True))
    assert gradcheck(fn, (a, b))


def test_only_one_side_requires_grad():
    a = tg.randn(3, 4, dtype=tg.float64, requires_grad=True)
    b = tg.randn(4, dtype=tg.float64)
    assert gradcheck(lambda x: x * b / (b * b + 1), (a,))
    assert gradcheck(lambda y: a.detach() * y, (b.requires_grad_(),))


# --------------------------------------------------------------------------------------------------
# reductions


def _dims(data, ndim):
    """None, one dimension (maybe negative) or a tuple of dimensions."""
    if ndim == 0:
        return data.draw(st.sampled_from([None, 0, -1]))
    kind = data.draw(st.sampled_from(["none", "one", "several"]))
    if kind == "none":
        return None
    if kind == "one":
        return data.draw(st.integers(-ndim, ndim - 1))
    return tuple(data.draw(st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True)))


REDUCTIONS = {
    "sum": lambda x, dims, keepdim: x.sum(dims, keepdim=keepdim),
    "mean": lambda x, dims, keepdim: x.mean(dims, keepdim=keepdim),
    "logsumexp": lambda x, dims, keepdim: x.logsumexp(
        dims if dims is not None else tuple(range(x.ndim)), keepdim=keepdim
    ),
    "var0": lambda x, dims, keepdim: x.var(dims, keepdim=keepdim, correction=0),
}


@pytest.mark.parametrize("name", sorted(REDUCTIONS))
@few
@given(data=st.data())
def test_reduction_gradcheck(name, data):
    x = data.draw(tensors(SMALL, requires_grad=True))
    dims, keepdim = _dims(data, x.ndim), data.draw(st.booleans())
    assert gradcheck(lambda t: REDUCTIONS[name](t, dims, keepdim), (x,))


@pytest.mark.parametrize("name", sorted(REDUCTIONS))
@fewer
@given(data=st.data())
def test_reduction_gradgradcheck(name, data):
    x = data.draw(tensors(TINY, requires_grad=True))
    dims, keepdim = _dims(data, x.ndim), data.draw(st.booleans())
    assert gradgradcheck(lambda t: REDUCTIONS[name](t, dims, keepdim), (x,))


@pytest.mark.parametrize("op", ["max", "min"])
@pytest.mark.parametrize("second_order", [False, True])
@few
@given(data=st.data())
def test_max_min_gradcheck(op, second_order, data):
    shape = data.draw(shapes(min_dims=1, max_dims=3, max_side=3 if second_order else 4))
    x = data.draw(distinct_tensor(shape))
    dim, keepdim = data.draw(st.integers(-x.ndim, x.ndim - 1)), data.draw(st.booleans())
    check = gradgradcheck if second_order else gradcheck
    assert check(lambda t: getattr(t, op)(dim, keepdim=keepdim).values, (x,))
    assert check(lambda t: getattr(t, op)(), (x,))  # over all elements


@pytest.mark.parametrize("op", ["var", "std"])
@pytest.mark.parametrize("correction", [0, 1, 2])
@few
@given(data=st.data())
def test_var_std_gradcheck(op, correction, data):
    shape = data.draw(shapes(min_dims=1, max_dims=3, max_side=4))
    x = data.draw(distinct_tensor(shape))
    dims, keepdim = _dims(data, x.ndim), data.draw(st.booleans())
    axes = range(x.ndim) if dims is None else ([dims] if isinstance(dims, int) else dims)
    count = int(np.prod([shape[d] for d in axes]))
    if count <= max(correction, 1):  # no spread to measure (torch gives nan or inf gradients here)
        dims, keepdim = None, False
        if x.numel() <= max(correction, 1):
            return
    assert gradcheck(lambda t: getattr(t, op)(dims, keepdim=keepdim, correction=correction), (x,))


@fewer
@given(x=tensors(shapes(min_dims=1, max_dims=2, max_side=3), requires_grad=True))
def test_std_gradgradcheck(x):
    if x.numel() < 2:
        x = tg.tensor([0.3, -1.2], dtype=tg.float64, requires_grad=True)
    assert gradgradcheck(lambda t: t.std(), (x,))


# --------------------------------------------------------------------------------------------------
# matrix products

MATMUL_SHAPES = [
    ((3, 4), (4, 2)),
    ((4,), (4,)),
    ((4,), (4, 3)),
    ((2, 4), (4,)),
    ((2, 3, 4), (4, 2)),  # a batch against a shared weight
    ((3, 4), (2, 4, 5)),
    ((2, 1, 3, 4), (3, 4, 2)),  # batch dimensions broadcast
    ((4,), (2, 4, 3)),
    ((2, 3, 4), (4,)),
]


@pytest.mark.parametrize("a_shape,b_shape", MATMUL_SHAPES)
@fewer
@given(data=st.data())
def test_matmul_gradcheck(a_shape, b_shape, data):
    a = data.draw(tensors(a_shape, requires_grad=True))
    b = data.draw(tensors(b_shape, requires_grad=True))
    assert gradcheck(lambda x, y: x @ y, (a, b))


@pytest.mark.parametrize(
    "a_shape,b_shape", [((2, 3), (3, 2)), ((3,), (3, 2)), ((2, 2, 3), (3, 2)), ((2, 1, 3), (2, 3, 2))]
)
def test_matmul_gradgradcheck(a_shape, b_shape):
    rng = np.random.default_rng(0)
    a = tg.tensor(rng.standard_normal(a_shape), requires_grad=True)
    b = tg.tensor(rng.standard_normal(b_shape), requires_grad=True)
    assert gradgradcheck(lambda x, y: x @ y, (a, b))
    assert gradgradcheck(lambda x, y: (x @ y).tanh(), (a, b))  # curvature that does not vanish


@fewer
@given(data=st.data())
def test_matmul_noncontiguous(data):
    a = data.draw(noncontiguous_tensors((3, 4), requires_grad=True))
    b = data.draw(noncontiguous_tensors((4, 2), requires_grad=True))
    assert not a.data.flags.c_contiguous
    assert gradcheck(lambda x, y: x @ y, (a, b))


# --------------------------------------------------------------------------------------------------
# shape ops

SHAPE_OPS = {
    "reshape_flat": lambda x: x.reshape(-1),
    "view_reversed": lambda x: x.view(*reversed(x.shape)),
    "reshape_split": lambda x: x.reshape(x.shape[0], -1, 1),
    "permute": lambda x: x.permute(2, 0, 1),
    "transpose": lambda x: x.transpose(0, -1),
    "T": lambda x: x.T,
    "flatten": lambda x: x.flatten(1),
    "unsqueeze": lambda x: x.unsqueeze(1),
    "unsqueeze_last": lambda x: x.unsqueeze(-1),
    "squeeze": lambda x: x.unsqueeze(0).unsqueeze(2).squeeze(),
    "squeeze_dim": lambda x: x.unsqueeze(1).squeeze(1),
    "expand": lambda x: x[:, :1].expand(2, x.shape[0], 3, x.shape[2]),
    "int": lambda x: x[1],
    "negative_int": lambda x: x[-1, 0],
    "slice": lambda x: x[1:3],
    "step_slice": lambda x: x[::2, 1:],
    "none": lambda x: x[None, :, None],
    "ellipsis": lambda x: x[..., 1],
    "bool_mask": lambda x: x[x.detach() > 0],
    "bool_rows": lambda x: x[tg.tensor([True, False, True])],
    "int_array_repeated": lambda x: x[tg.tensor([0, 2, 0, 0, 1])],
    "int_list_repeated_dim1": lambda x: x[:, [1, 1, 0]],
    "two_int_arrays": lambda x: x[tg.tensor([0, 0, 2]), tg.tensor([1, 1, 0])],
    "int_matrix_index": lambda x: x[tg.tensor([[0, 1], [1, 0]])],  # C[X] as in makemore
    "split": lambda x: x.split(2, dim=1),
    "split_sections": lambda x: x.split([1, 2], dim=0),
    "chunk": lambda x: x.chunk(2, dim=-1),
    "cat": lambda x: tg.cat([x, x * 2.0, x[:, :1]], dim=1),
    "stack": lambda x: tg.stack([x, x.exp()], dim=1),
}


@pytest.mark.parametrize("name", sorted(SHAPE_OPS))
@fewer
@given(data=st.data())
def test_shape_op_gradcheck(name, data):
    x = data.draw(tensors((3, 3, 2), elements=AWAY_FROM_ZERO, requires_grad=True))
    assert gradcheck(SHAPE_OPS[name], (x,))


@pytest.mark.parametrize("name", sorted(SHAPE_OPS))
def test_shape_op_gradgradcheck(name):
    x = tg.tensor(np.random.default_rng(1).standard_normal((3, 3, 2)), requires_grad=True)
    assert gradgradcheck(lambda t: _squared(SHAPE_OPS[name](t)), (x,))


def _squared(result):
    """A shape op is linear; squaring its outputs gives gradgradcheck a second derivative to test."""
    if isinstance(result, tuple):
        return tuple(part * part for part in result)
    return result * result


@pytest.mark.parametrize("name", ["permute", "int_array_repeated", "step_slice", "cat", "reshape_flat"])
@fewer
@given(data=st.data())
def test_shape_op_noncontiguous(name, data):
    x = data.draw(noncontiguous_tensors((3, 3, 2), elements=AWAY_FROM_ZERO, requires_grad=True))
    assert gradcheck(SHAPE_OPS[name], (x,))


def test_cat_and_stack_of_several_inputs():
    rng = np.random.default_rng(2)
    a, b = (tg.tensor(rng.standard_normal((2, 3)), requires_grad=True) for _ in range(2))
    c = tg.tensor(rng.standard_normal((1, 3)), requires_grad=True)
    assert gradcheck(lambda p, q, r: tg.cat([p, q, r], dim=0), (a, b, c))
    assert gradcheck(lambda p, q: tg.stack([p, q], dim=-1), (a, b))
    assert gradgradcheck(lambda p, q, r: tg.cat([p, q * q, r], dim=0), (a, b, c))


# --------------------------------------------------------------------------------------------------
# nn.functional


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("label_smoothing", [0.0, 0.2])
@fewer
@given(data=st.data())
def test_cross_entropy_gradcheck(reduction, label_smoothing, data):
    batch, classes = data.draw(st.integers(1, 4)), data.draw(st.integers(2, 4))
    logits = data.draw(tensors((batch, classes), requires_grad=True))
    targets = data.draw(st.lists(st.integers(0, classes - 1), min_size=batch, max_size=batch))
    targets[0] = targets[0] if batch == 1 else -100  # one ignored row when there are others
    targets = tg.tensor(targets)

    def loss(x):
        return F.cross_entropy(x, targets, reduction=reduction, label_smoothing=label_smoothing)

    assert gradcheck(loss, (logits,))


def test_cross_entropy_class_dim_one_and_second_order():
    rng = np.random.default_rng(3)
    logits = tg.tensor(rng.standard_normal((2, 3, 4)), requires_grad=True)  # (N, C, L)
    targets = tg.tensor([[0, 2, 1, -100], [1, 1, 0, 2]])
    assert gradcheck(lambda x: F.cross_entropy(x, targets), (logits,))
    assert gradcheck(lambda x: F.cross_entropy(x, targets, label_smoothing=0.1, reduction="none"), (logits,))
    flat = tg.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    assert gradgradcheck(lambda x: F.cross_entropy(x, tg.tensor([3, 0, 0])), (flat,))


def test_cross_entropy_probability_targets_and_weights():
    rng = np.random.default_rng(4)
    logits = tg.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    probs = tg.tensor(rng.dirichlet(np.ones(4), size=3), requires_grad=True)
    weight = tg.tensor([1.0, 2.0, 0.5, 1.5], dtype=tg.float64)
    assert gradcheck(lambda x, p: F.cross_entropy(x, p), (logits, probs))
    assert gradcheck(lambda x: F.cross_entropy(x, tg.tensor([0, 3, 3]), weight=weight), (logits,))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_nll_loss_and_mse_loss_gradcheck(reduction):
    rng = np.random.default_rng(5)
    log_probs = tg.tensor(rng.standard_normal((4, 3)), requires_grad=True)
    targets = tg.tensor([2, -100, 0, 2])
    assert gradcheck(lambda x: F.nll_loss(x, targets, reduction=reduction), (log_probs,))
    prediction = tg.tensor(rng.standard_normal((2, 3)), requires_grad=True)
    target = tg.tensor(rng.standard_normal((2, 3)), requires_grad=True)
    assert gradcheck(lambda p, t: F.mse_loss(p, t, reduction=reduction), (prediction, target))
    assert gradgradcheck(lambda p, t: F.mse_loss(p, t, reduction=reduction), (prediction, target))


def test_embedding_gradcheck_with_repeated_indices():
    weight = tg.tensor(np.random.default_rng(6).standard_normal((5, 3)), requires_grad=True)
    ids = tg.tensor([[0, 4, 0], [4, 4, 1]])
    assert gradcheck(lambda w: F.embedding(ids, w), (weight,))
    assert gradgradcheck(lambda w: F.embedding(ids, w).tanh(), (weight,))


@fewer
@given(data=st.data())
def test_layer_norm_gradcheck(data):
    shape = data.draw(shapes(min_dims=1, max_dims=3, min_side=2, max_side=4))
    x = data.draw(distinct_tensor(shape))
    features = shape[-1:]
    weight = data.draw(tensors(features, requires_grad=True))
    bias = data.draw(tensors(features, requires_grad=True))
    assert gradcheck(lambda t, w, b: F.layer_norm(t, features, w, b), (x, weight, bias))


def test_layer_norm_gradgradcheck():
    rng = np.random.default_rng(7)
    x = tg.tensor(rng.standard_normal((2, 4)), requires_grad=True)
    weight, bias = (
        tg.tensor(rng.standard_normal(4), requires_grad=True),
        tg.tensor(rng.standard_normal(4), requires_grad=True),
    )
    assert gradgradcheck(lambda t, w, b: F.layer_norm(t, (4,), w, b), (x, weight, bias))


@pytest.mark.parametrize("shape", [(4, 3), (3, 2, 4)])
@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_gradcheck(shape, training):
    rng = np.random.default_rng(8)
    x = tg.tensor(rng.standard_normal(shape), requires_grad=True)
    weight = tg.tensor(rng.standard_normal(shape[1]), requires_grad=True)
    bias = tg.tensor(rng.standard_normal(shape[1]), requires_grad=True)
    running_mean, running_var = (
        tg.tensor(rng.standard_normal(shape[1])),
        tg.tensor(rng.uniform(0.5, 2, shape[1])),
    )

    def normalise(t, w, b):  # momentum 0: the running statistics stay put while gradcheck probes
        return F.batch_norm(t, running_mean, running_var, w, b, training=training, momentum=0.0)

    assert gradcheck(normalise, (x, weight, bias))
    if training:
        assert gradgradcheck(normalise, (x, weight, bias))


def test_dropout_gradcheck():
    x = tg.tensor(np.random.default_rng(9).standard_normal((3, 4)), requires_grad=True)
    assert gradcheck(lambda t: F.dropout(t, p=0.0), (x,))
    assert gradcheck(
        lambda t: F.dropout(t, p=0.4, generator=tg.Generator(3)), (x,)
    )  # the same mask each call
    assert gradcheck(lambda t: F.dropout(t, p=0.4, training=False), (x,))


# --------------------------------------------------------------------------------------------------
# algebraic laws


@given(x=tensors(shapes(min_dims=1), elements=st.floats(-50, 50)), data=st.data())
def test_softmax_rows_sum_to_one(x, data):
    dim = data.draw(st.integers(-x.ndim, x.ndim - 1))
    probs = x.softmax(dim)
    assert (probs.data >= 0).all()
    assert_close(probs.sum(dim), np.ones(probs.sum(dim).shape))


@given(x=tensors(shapes(min_dims=1), elements=st.floats(-20, 20)), data=st.data())
def test_log_softmax_is_log_of_softmax(x, data):
    dim = data.draw(st.integers(-x.ndim, x.ndim - 1))
    assert_close(x.log_softmax(dim), x.softmax(dim).log(), rtol=1e-9, atol=1e-9)


def test_softmax_is_stable_for_large_logits():
    x = tg.tensor([[1000.0, 1001.0, 999.0]], dtype=tg.float64)
    assert np.isfinite(x.softmax(-1).data).all()
    assert np.isfinite(x.log_softmax(-1).data).all()
    assert_close(x.logsumexp(-1), [np.log(np.exp([0.0, 1.0, -1.0]).sum()) + 1000.0])


@given(data=st.data())
def test_cross_entropy_with_ignore_index_is_mean_over_kept_rows(data):
    batch, classes = data.draw(st.integers(2, 6)), data.draw(st.integers(2, 5))
    logits = data.draw(tensors((batch, classes)))
    targets = np.array(data.draw(st.lists(st.integers(0, classes - 1), min_size=batch, max_size=batch)))
    ignored = np.array(data.draw(st.lists(st.booleans(), min_size=batch, max_size=batch)))
    ignored[0] = False  # at least one row is kept
    loss = F.cross_entropy(logits, tg.tensor(np.where(ignored, -100, targets)))
    kept = ~ignored
    per_row = -logits.log_softmax(-1).data[np.arange(batch), targets]
    assert_close(loss, per_row[kept].mean())


@given(a=tensors(SMALL), data=st.data())
def test_sum_of_broadcast_gradient_counts_the_copies(a, data):
    """Broadcasting a into a bigger shape and summing gives each element of a the number of copies."""
    big = data.draw(broadcastable_shapes(a.shape, max_dims=4))
    target = np.broadcast_shapes(a.shape, big)
    leaf = a.detach().requires_grad_()
    (leaf + tg.zeros(*big, dtype=tg.float64)).sum().backward()
    copies = int(np.prod(target)) // max(a.numel(), 1)
    assert_close(leaf.grad, np.full(a.shape, float(copies)))
