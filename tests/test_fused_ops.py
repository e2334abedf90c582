"""The fused ops (written for Mini-BERT's speed): each checked against finite differences (first and
second order, float64) and against torch, as STYLE.md asks of an op that is not a composite."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu.gradcheck import gradcheck, gradgradcheck
from tinygrad_edu.nn import functional as F
from tinygrad_edu.ops.loss import CrossEntropyRows


def _logits_and_targets(rows=5, classes=7, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    logits = tg.tensor(rng.standard_normal((rows, classes)).astype(dtype) * 3, requires_grad=True)
    targets = rng.integers(0, classes, rows)
    targets[1] = targets[3] = -100
    return logits, tg.tensor(targets)


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_cross_entropy_rows_gradcheck(reduction):
    logits, targets = _logits_and_targets()
    loss = F.fused_cross_entropy(logits, targets, reduction=reduction)
    assert isinstance(loss.grad_fn, CrossEntropyRows)  # the fused op is the one being checked
    assert gradcheck(lambda x: F.fused_cross_entropy(x, targets, reduction=reduction), (logits,))
    assert gradgradcheck(lambda x: F.fused_cross_entropy(x, targets, reduction=reduction), (logits,))


def test_cross_entropy_rows_second_backward_with_retained_graph():
    """backward turns the saved softmax into the gradient in place; a second one must recompute it."""
    logits, targets = _logits_and_targets()
    loss = F.fused_cross_entropy(logits, targets)
    loss.backward(retain_graph=True)
    first = logits.grad.numpy().copy()
    loss.backward()
    np.testing.assert_allclose(logits.grad.numpy(), 2 * first, rtol=1e-12)
    assert not first[[1, 3]].any()  # ignored rows get no gradient


@pytest.mark.parametrize("dtype, tol", [(np.float32, 1e-5), (np.float64, 1e-12)])
def test_cross_entropy_rows_matches_torch(dtype, tol):
    torch = pytest.importorskip("torch")
    logits, targets = _logits_and_targets(rows=64, classes=300, seed=1, dtype=dtype)
    for reduction in ("mean", "sum"):
        logits.grad = None
        ours = F.fused_cross_entropy(logits, targets, reduction=reduction)
        ours.backward()
        composite = F.cross_entropy(logits, targets, reduction=reduction)  # the unfused path agrees
        np.testing.assert_allclose(ours.item(), composite.item(), rtol=tol)
        x = torch.tensor(logits.numpy(), requires_grad=True)
        theirs = torch.nn.functional.cross_entropy(x, torch.tensor(targets.numpy()), reduction=reduction)
        theirs.backward()
        assert ours.dtype == dtype
        np.testing.assert_allclose(ours.item(), theirs.item(), rtol=tol)
        np.testing.assert_allclose(logits.grad.numpy(), x.grad.numpy(), atol=tol, rtol=tol)


def test_cross_entropy_rows_all_ignored_is_nan_as_torch():
    logits = tg.tensor(np.zeros((2, 3)), requires_grad=True)
    assert np.isnan(F.fused_cross_entropy(logits, tg.tensor([-100, -100])).item())
    assert F.fused_cross_entropy(logits, tg.tensor([-100, -100]), reduction="sum").item() == 0.0


def test_cross_entropy_rows_errors():
    logits = tg.tensor(np.zeros((2, 3)))
    with pytest.raises(IndexError, match="target 3 is out of range for 3 classes"):
        F.fused_cross_entropy(logits, tg.tensor([0, 3]))
    with pytest.raises(ValueError, match="needs a target of shape"):
        F.fused_cross_entropy(logits, tg.tensor([0, 1, 2]))


@pytest.mark.parametrize("shape, normalized", [((3, 5), (5,)), ((2, 3, 4), (4,)), ((2, 3, 4), (3, 4))])
@pytest.mark.parametrize("affine", [True, False])
def test_layer_norm_gradcheck(shape, normalized, affine):
    rng = np.random.default_rng(0)
    x = tg.tensor(rng.standard_normal(shape), requires_grad=True)
    weight = tg.tensor(rng.standard_normal(normalized), requires_grad=True) if affine else None
    bias = tg.tensor(rng.standard_normal(normalized), requires_grad=True) if affine else None
    inputs = (x, weight, bias) if affine else (x,)

    def fn(x, weight=None, bias=None):
        return F.layer_norm(x, normalized, weight, bias, eps=1e-5)

    assert type(fn(*inputs).grad_fn).__name__ == "LayerNorm"
    assert gradcheck(fn, inputs)
    assert gradgradcheck(fn, inputs)


@pytest.mark.parametrize("dtype, tol", [(np.float32, 1e-5), (np.float64, 1e-12)])
def test_layer_norm_and_linear_match_torch(dtype, tol):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    arrays = [rng.standard_normal(s).astype(dtype) for s in [(4, 6, 8), (8,), (8,), (5, 8), (5,)]]
    ours = [tg.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    out = F.linear(F.layer_norm(ours[0], (8,), ours[1], ours[2], eps=1e-12), ours[3], ours[4])
    ref = torch.nn.functional.linear(
        torch.nn.functional.layer_norm(theirs[0], (8,), theirs[1], theirs[2], eps=1e-12), theirs[3], theirs[4]
    )
    (out * out).sum().backward()
    (ref * ref).sum().backward()
    np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), atol=tol, rtol=tol)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), atol=10 * tol, rtol=10 * tol)


@pytest.mark.parametrize("shape", [(7,), (3, 7), (2, 3, 7)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_gradcheck(shape, bias):
    rng = np.random.default_rng(2)
    x = tg.tensor(rng.standard_normal(shape), requires_grad=True)
    weight = tg.tensor(rng.standard_normal((4, 7)), requires_grad=True)
    inputs = (x, weight, tg.tensor(rng.standard_normal(4), requires_grad=True)) if bias else (x, weight)
    assert F.linear(*inputs).shape == shape[:-1] + (4,)
    assert gradcheck(F.linear, inputs)
    assert gradgradcheck(F.linear, inputs)
