"""GroupNorm: torch parity, gradcheck and gradgradcheck, and its two special cases (InstanceNorm with one
channel per group, a LayerNorm over (C, *) with one group); it never mixes the samples of a batch."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
from tinygrad_edu import nn
from tinygrad_edu.testing import assert_close, gradcheck, gradgradcheck


def _arrays(seed, *shapes):
    rng = np.random.default_rng(seed)
    return [rng.normal(0.5, 2.0, shape) for shape in shapes]


@settings(max_examples=10, deadline=None)
@given(
    groups=st.sampled_from([1, 2, 3, 6]),
    rest=st.lists(st.integers(1, 3), min_size=0, max_size=2),
    batch=st.integers(1, 3),
    seed=st.integers(0, 1000),
)
def test_group_norm_gradcheck(groups, rest, batch, seed):
    x, weight, bias = _arrays(seed, (batch, 6, *rest), (6,), (6,))
    if x[0, : 6 // groups].size < 2:  # a group of one number has no spread to normalise
        return
    inputs = [tg.tensor(a, requires_grad=True) for a in (x, weight, bias)]
    assert gradcheck(lambda t, w, b: F.group_norm(t, groups, w, b), inputs)


@pytest.mark.parametrize("groups", [1, 2, 4])
def test_group_norm_gradgradcheck(groups):
    inputs = [tg.tensor(a, requires_grad=True) for a in _arrays(3, (2, 4, 3), (4,), (4,))]
    assert gradgradcheck(lambda t, w, b: F.group_norm(t, groups, w, b), inputs)


def test_one_group_is_layer_norm_over_channels_and_one_channel_per_group_is_instance_norm():
    (x,) = _arrays(4, (3, 4, 5))
    ones = tg.Tensor(x)
    assert_close(F.group_norm(ones, 1), F.layer_norm(ones, (4, 5)), rtol=1e-10, atol=1e-10)
    centered = x - x.mean(axis=2, keepdims=True)
    instance = centered / np.sqrt((centered**2).mean(axis=2, keepdims=True) + 1e-5)
    assert_close(F.group_norm(ones, 4), instance, rtol=1e-10, atol=1e-10)


def test_group_norm_does_not_couple_the_samples_of_a_batch():
    layer = nn.GroupNorm(2, 4)
    (x,) = _arrays(5, (6, 4))
    alone = layer(tg.Tensor(x[:1]))
    in_batch = layer(tg.Tensor(x))[:1]
    layer.eval()
    assert_close(alone, in_batch, rtol=1e-12, atol=1e-12)
    assert_close(layer(tg.Tensor(x[:1])), alone, rtol=1e-12, atol=1e-12)


def test_group_norm_rejects_channels_not_divisible_by_groups():
    with pytest.raises(ValueError, match=r"group_norm: .*num_groups=3, got shape \(2, 4\)"):
        F.group_norm(tg.zeros(2, 4), 3)
    with pytest.raises(ValueError, match="GroupNorm: num_channels=4 is not divisible by num_groups=3"):
        nn.GroupNorm(3, 4)


torch = pytest.importorskip("torch")


@pytest.mark.parametrize("dtype, tol", [(np.float64, 1e-10), (np.float32, 1e-5)])
@pytest.mark.parametrize("shape, groups", [((3, 6), 3), ((2, 6, 5), 2), ((2, 4, 3, 3), 4), ((2, 4, 3), 1)])
def test_group_norm_module_parity_with_torch(shape, groups, dtype, tol):
    x, weight, bias = (a.astype(dtype) for a in _arrays(6, shape, (shape[1],), (shape[1],)))
    ours, theirs = nn.GroupNorm(groups, shape[1], dtype=dtype), torch.nn.GroupNorm(groups, shape[1])
    theirs = theirs.to(torch.float64 if dtype == np.float64 else torch.float32)
    with tg.no_grad():
        ours.weight.data[...], ours.bias.data[...] = weight, bias
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor(weight))
        theirs.bias.copy_(torch.tensor(bias))
    x_ours, x_theirs = tg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out_ours, out_theirs = ours(x_ours), theirs(x_theirs)
    assert out_ours.dtype == np.dtype(dtype)
    assert_close(out_ours, out_theirs.detach(), rtol=tol, atol=tol)
    upstream = np.random.default_rng(7).standard_normal(shape).astype(dtype)
    (out_ours * tg.tensor(upstream)).sum().backward()
    (out_theirs * torch.tensor(upstream)).sum().backward()
    assert_close(x_ours.grad, x_theirs.grad, rtol=tol, atol=tol)
    assert_close(ours.weight.grad, theirs.weight.grad, rtol=tol, atol=tol)
    assert_close(ours.bias.grad, theirs.bias.grad, rtol=tol, atol=tol)
    assert repr(ours) == "GroupNorm(" + f"{groups}, {shape[1]}, eps=1e-05, affine=True)"
