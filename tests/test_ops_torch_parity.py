"""Forward values and gradients of every op against torch on the same inputs.

float64 must agree to 1e-10 relative, float32 to 1e-5. Skipped when torch is not installed.
"""

import numpy as np
import pytest

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
from tinygrad_edu.testing import assert_close

torch = pytest.importorskip("torch")
TF = torch.nn.functional

TOLERANCES = {np.float64: (1e-10, 1e-10), np.float32: (1e-5, 1e-5)}


def _inputs(shapes, dtype, seed, low=-2.0, high=2.0, positive=False, away_from_zero=False):
    rng = np.random.default_rng(seed)
    arrays = []
    for shape in shapes:
        values = rng.uniform(low, high, shape)
        if positive:
            values = np.abs(values) + 0.2
        if away_from_zero:
            values = np.where(np.abs(values) < 0.1, 0.5, values)
        arrays.append(values.astype(dtype))
    return arrays


def check_parity(ours_fn, torch_fn, arrays, dtype, extra_args=()):
    """Run both functions on copies of `arrays`, backward a random weighting of every output, compare."""
    rtol, atol = TOLERANCES[dtype]
    ours = [tg.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    ours_out, theirs_out = ours_fn(*ours), torch_fn(*theirs)
    ours_out = ours_out if isinstance(ours_out, tuple | list) else (ours_out,)
    theirs_out = theirs_out if isinstance(theirs_out, tuple | list) else (theirs_out,)
    assert len(ours_out) == len(theirs_out)
    rng = np.random.default_rng(99)
    ours_loss, theirs_loss = 0, 0
    for o, t in zip(ours_out, theirs_out):
        assert o.dtype == np.dtype(dtype), f"output dtype {o.dtype}, expected {np.dtype(dtype)}"
        assert_close(o, t, rtol=rtol, atol=atol)
        weights = rng.standard_normal(tuple(t.shape)).astype(dtype)
        ours_loss = ours_loss + (o * tg.tensor(weights)).sum()
        theirs_loss = theirs_loss + (t * torch.tensor(weights)).sum()
    ours_loss.backward()
    theirs_loss.backward()
    for index, (o, t) in enumerate(zip(ours, theirs)):
        expected = t.grad if t.grad is not None else torch.zeros_like(t)
        assert o.grad is not None or not expected.abs().sum(), f"input {index} got no gradient"
        assert o.grad.dtype == np.dtype(dtype), f"gradient of input {index} has dtype {o.grad.dtype}"
        assert_close(o.grad, expected, rtol=rtol, atol=atol)


DTYPES = [np.float64, np.float32]

# name: (ours, torch, input shapes, input options)
UNARY = {
    "neg": (lambda x: -x, lambda x: -x, {}),
    "exp": (lambda x: x.exp(), torch.exp, {}),
    "log": (lambda x: x.log(), torch.log, {"positive": True}),
    "sqrt": (lambda x: x.sqrt(), torch.sqrt, {"positive": True}),
    "abs": (lambda x: x.abs(), torch.abs, {"away_from_zero": True}),
    "tanh": (lambda x: x.tanh(), torch.tanh, {}),
    "sigmoid": (lambda x: x.sigmoid(), torch.sigmoid, {"low": -30, "high": 30}),
    "relu": (lambda x: x.relu(), torch.relu, {"away_from_zero": True}),
    "gelu": (lambda x: x.gelu(), TF.gelu, {"low": -4, "high": 4}),
    "gelu_tanh": (lambda x: x.gelu("tanh"), lambda x: TF.gelu(x, approximate="tanh"), {}),
    "clamp": (lambda x: x.clamp(-0.5, 1.0), lambda x: x.clamp(-0.5, 1.0), {}),
    "pow_scalar": (lambda x: x**3, lambda x: x**3, {}),
    "pow_fraction": (lambda x: x**0.5, lambda x: x**0.5, {"positive": True}),
    "rpow": (lambda x: 2.0**x, lambda x: 2.0**x, {}),
    "rsub": (lambda x: 1.0 - x, lambda x: 1.0 - x, {}),
    "rdiv": (lambda x: 3.0 / x, lambda x: 3.0 / x, {"away_from_zero": True}),
    "softmax": (lambda x: x.softmax(-1), lambda x: x.softmax(-1), {"low": -10, "high": 10}),
    "softmax_dim0": (lambda x: x.softmax(0), lambda x: x.softmax(0), {}),
    "log_softmax": (lambda x: x.log_softmax(1), lambda x: x.log_softmax(1), {"low": -10, "high": 10}),
    "sum_dims": (lambda x: x.sum((0, 2), keepdim=True), lambda x: x.sum((0, 2), keepdim=True), {}),
    "sum_all": (lambda x: x.sum(), lambda x: x.sum(), {}),
    "mean": (lambda x: x.mean(1), lambda x: x.mean(1), {}),
    "var": (lambda x: x.var(1), lambda x: x.var(1), {}),
    "var_correction0": (
        lambda x: x.var(-1, keepdim=True, correction=0),
        lambda x: x.var(-1, keepdim=True, correction=0),
        {},
    ),
    "std": (lambda x: x.std(0), lambda x: x.std(0), {}),
    "std_all": (lambda x: x.std(), lambda x: x.std(), {}),
    "logsumexp": (lambda x: x.logsumexp(-1), lambda x: x.logsumexp(-1), {}),
    "max_dim": (lambda x: x.max(1).values, lambda x: x.max(1).values, {}),
    "min_dim_keepdim": (
        lambda x: x.min(-1, keepdim=True).values,
        lambda x: x.min(-1, keepdim=True).values,
        {},
    ),
    "max_all": (lambda x: x.max(), lambda x: x.max(), {}),
    "reshape": (lambda x: x.reshape(4, -1), lambda x: x.reshape(4, -1), {}),
    "permute": (lambda x: x.permute(2, 0, 1), lambda x: x.permute(2, 0, 1), {}),
    "transpose": (lambda x: x.transpose(0, 2), lambda x: x.transpose(0, 2), {}),
    "flatten": (lambda x: x.flatten(1), lambda x: x.flatten(1), {}),
    "unsqueeze_squeeze": (lambda x: x.unsqueeze(1).squeeze(1), lambda x: x.unsqueeze(1).squeeze(1), {}),
    "expand": (lambda x: x[:, :1].expand(2, 3, 4), lambda x: x[:, :1].expand(2, 3, 4), {}),
    "getitem_basic": (lambda x: x[1:, None, ..., ::2], lambda x: x[1:, None, ..., ::2], {}),
    "getitem_repeated": (lambda x: x[tg.tensor([0, 1, 0, 0])], lambda x: x[torch.tensor([0, 1, 0, 0])], {}),
    "getitem_mask": (lambda x: x[x.detach() > 0], lambda x: x[x.detach() > 0], {}),
    "split": (lambda x: x.split(2, dim=2), lambda x: x.split(2, dim=2), {}),
    "chunk": (lambda x: x.chunk(3, dim=1), lambda x: x.chunk(3, dim=1), {}),
    "tril": (lambda x: x.tril(), lambda x: x.tril(), {}),
    "triu": (lambda x: x.triu(-1), lambda x: x.triu(-1), {}),
    "masked_fill": (
        lambda x: x.masked_fill(x.detach() < 0, -1e9),
        lambda x: x.masked_fill(x.detach() < 0, -1e9),
        {},
    ),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_parity(name, dtype):
    ours, theirs, options = UNARY[name]
    check_parity(ours, theirs, _inputs([(2, 3, 4)], dtype, seed=len(name), **options), dtype)


BINARY = {
    "add": (lambda a, b: a + b, lambda a, b: a + b, {}),
    "sub": (lambda a, b: a - b, lambda a, b: a - b, {}),
    "mul": (lambda a, b: a * b, lambda a, b: a * b, {}),
    "div": (lambda a, b: a / b, lambda a, b: a / b, {"away_from_zero": True}),
    "pow": (lambda a, b: a**b, lambda a, b: a**b, {"positive": True}),
    "maximum": (lambda a, b: a.maximum(b), torch.maximum, {}),
    "minimum": (lambda a, b: a.minimum(b), torch.minimum, {}),
    "where": (
        lambda a, b: tg.where(a.detach() > 0, a, b),
        lambda a, b: torch.where(a.detach() > 0, a, b),
        {},
    ),
}
BROADCAST_PAIRS = [((3, 4), (3, 4)), ((2, 3, 4), (4,)), ((3, 1), (1, 4)), ((2, 1, 4), (3, 1)), ((), (2, 3))]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shapes", BROADCAST_PAIRS)
@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_parity(name, shapes, dtype):
    ours, theirs, options = BINARY[name]
    check_parity(ours, theirs, _inputs(shapes, dtype, seed=len(name), **options), dtype)


def test_maximum_ties_split_the_gradient_like_torch():
    arrays = [np.array([1.0, 2.0, 3.0]), np.array([1.0, 0.0, 3.0])]
    check_parity(lambda a, b: a.maximum(b), torch.maximum, arrays, np.float64)
    check_parity(lambda a, b: a.minimum(b), torch.minimum, arrays, np.float64)


MATMUL_SHAPES = [
    ((3, 4), (4, 5)),
    ((4,), (4,)),
    ((4,), (4, 2)),
    ((3, 4), (4,)),
    ((2, 3, 4), (4, 5)),
    ((2, 1, 3, 4), (5, 4, 2)),
    ((4,), (2, 4, 3)),
    ((2, 3, 4), (2, 4, 5)),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shapes", MATMUL_SHAPES)
def test_matmul_parity(shapes, dtype):
    check_parity(lambda a, b: a @ b, lambda a, b: a @ b, _inputs(shapes, dtype, seed=3), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_cat_stack_parity(dtype):
    arrays = _inputs([(2, 3), (4, 3), (2, 3)], dtype, seed=4)
    check_parity(lambda a, b, c: tg.cat([a, b, c]), lambda a, b, c: torch.cat([a, b, c]), arrays, dtype)
    check_parity(
        lambda a, c: tg.stack([a, c], dim=1), lambda a, c: torch.stack([a, c], dim=1), arrays[::2], dtype
    )


# --------------------------------------------------------------------------------------------------
# nn.functional


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("label_smoothing", [0.0, 0.1])
def test_cross_entropy_parity(reduction, label_smoothing, dtype):
    targets = np.array([1, 0, -100, 3, 3])
    options = {"reduction": reduction, "label_smoothing": label_smoothing}
    check_parity(
        lambda x: F.cross_entropy(x, tg.tensor(targets), **options),
        lambda x: TF.cross_entropy(x, torch.tensor(targets), **options),
        _inputs([(5, 4)], dtype, seed=5),
        dtype,
    )


@pytest.mark.parametrize("dtype", DTYPES)
def test_cross_entropy_class_dim_one_weight_and_probabilities(dtype):
    targets = np.array([[0, 2, -100, 1], [1, 1, 0, 2]])
    weight = np.array([0.5, 2.0, 1.0], dtype=dtype)
    check_parity(
        lambda x: F.cross_entropy(x, tg.tensor(targets)),
        lambda x: TF.cross_entropy(x, torch.tensor(targets)),
        _inputs([(2, 3, 4)], dtype, seed=6),
        dtype,
    )
    for smoothing in (0.0, 0.2):
        check_parity(
            lambda x, s=smoothing: F.cross_entropy(
                x, tg.tensor(targets), weight=tg.tensor(weight), label_smoothing=s
            ),
            lambda x, s=smoothing: TF.cross_entropy(
                x, torch.tensor(targets), weight=torch.tensor(weight), label_smoothing=s
            ),
            _inputs([(2, 3, 4)], dtype, seed=7),
            dtype,
        )
    probabilities = np.random.default_rng(8).dirichlet(np.ones(3), size=4).astype(dtype)
    check_parity(
        lambda x, p: F.cross_entropy(x, p, label_smoothing=0.1),
        lambda x, p: TF.cross_entropy(x, p, label_smoothing=0.1),
        [*_inputs([(4, 3)], dtype, seed=9), probabilities],
        dtype,
    )


@pytest.mark.parametrize("dtype", DTYPES)
def test_losses_embedding_and_dropout_parity(dtype):
    targets = np.array([2, 0, -100, 2])
    for reduction in ("mean", "sum", "none"):
        check_parity(
            lambda x, r=reduction: F.nll_loss(x, tg.tensor(targets), reduction=r),
            lambda x, r=reduction: TF.nll_loss(x, torch.tensor(targets), reduction=r),
            _inputs([(4, 3)], dtype, seed=10),
            dtype,
        )
        check_parity(
            lambda x, y, r=reduction: F.mse_loss(x, y, reduction=r),
            lambda x, y, r=reduction: TF.mse_loss(x, y, reduction=r),
            _inputs([(3, 4), (3, 4)], dtype, seed=11),
            dtype,
        )
    ids = np.array([[0, 4, 0], [4, 4, 1]])
    check_parity(
        lambda w: F.embedding(tg.tensor(ids), w),
        lambda w: TF.embedding(torch.tensor(ids), w),
        _inputs([(5, 3)], dtype, seed=12),
        dtype,
    )
    check_parity(
        lambda x: F.dropout(x, 0.0), lambda x: TF.dropout(x, 0.0), _inputs([(3, 4)], dtype, seed=13), dtype
    )
    check_parity(
        lambda x: F.dropout(x, 0.5, training=False),
        lambda x: TF.dropout(x, 0.5, training=False),
        _inputs([(3, 4)], dtype, seed=13),
        dtype,
    )


@pytest.mark.parametrize("dtype", DTYPES)
def test_layer_norm_parity(dtype):
    check_parity(
        lambda x, w, b: F.layer_norm(x, (4,), w, b),
        lambda x, w, b: TF.layer_norm(x, (4,), w, b),
        _inputs([(2, 3, 4), (4,), (4,)], dtype, seed=14),
        dtype,
    )
    check_parity(
        lambda x: F.layer_norm(x, (3, 4)),
        lambda x: TF.layer_norm(x, (3, 4)),
        _inputs([(2, 3, 4)], dtype, seed=15),
        dtype,
    )


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(5, 3), (4, 3, 2)])
@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_parity(shape, training, dtype):
    channels = shape[1]
    rng = np.random.default_rng(16)
    stats = rng.standard_normal(channels).astype(dtype), rng.uniform(0.5, 2, channels).astype(dtype)
    ours_stats = [tg.tensor(s.copy()) for s in stats]
    torch_stats = [torch.tensor(s.copy()) for s in stats]
    check_parity(
        lambda x, w, b: F.batch_norm(x, *ours_stats, w, b, training=training, momentum=0.1),
        lambda x, w, b: TF.batch_norm(x, *torch_stats, w, b, training=training, momentum=0.1),
        _inputs([shape, (channels,), (channels,)], dtype, seed=17),
        dtype,
    )
    for ours, theirs in zip(ours_stats, torch_stats):  # the running statistics moved the same way
        assert_close(ours, theirs, rtol=TOLERANCES[dtype][0], atol=TOLERANCES[dtype][1])


def test_second_derivatives_match_torch():
    """Hessian-vector products through tanh, matmul and softmax agree with torch's double backward."""
    rng = np.random.default_rng(18)
    x_np, w_np, v_np = rng.standard_normal((3, 4)), rng.standard_normal((4, 2)), rng.standard_normal((4, 2))

    def ours():
        x, w = tg.tensor(x_np), tg.tensor(w_np, requires_grad=True)
        loss = (x @ w).tanh().softmax(-1)[:, 0].sum()
        (grad_w,) = tg.autograd.grad(loss, w, create_graph=True)
        return tg.autograd.grad((grad_w * tg.tensor(v_np)).sum(), w)[0]

    def theirs():
        x, w = torch.tensor(x_np), torch.tensor(w_np, requires_grad=True)
        loss = (x @ w).tanh().softmax(-1)[:, 0].sum()
        (grad_w,) = torch.autograd.grad(loss, w, create_graph=True)
        return torch.autograd.grad((grad_w * torch.tensor(v_np)).sum(), w)[0]

    assert_close(ours(), theirs(), rtol=1e-10, atol=1e-10)
