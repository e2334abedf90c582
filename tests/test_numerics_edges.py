"""Edge cases where torch's semantics are the reference: anomaly mode with -inf masks, losses and means
over nothing, and creation functions given a step or size they cannot use."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tinygrad_edu as tg
from models.gpt import GPT, GPTConfig
from tinygrad_edu.nn import functional as F


def test_anomaly_mode_accepts_a_minus_inf_mask_before_softmax():
    scores = tg.randn(2, 4, 4, requires_grad=True)
    mask = tg.tensor(np.triu(np.ones((4, 4), dtype=bool), k=1))
    with tg.autograd.detect_anomaly():
        probs = scores.masked_fill(mask, float("-inf")).softmax(-1)
        (probs * tg.randn(2, 4, 4)).sum().backward()
    assert np.isfinite(scores.grad.numpy()).all()
    assert np.allclose(probs.numpy().sum(-1), 1.0)


def test_anomaly_mode_accepts_a_gpt_forward_and_backward():
    config = GPTConfig(block_size=8, vocab_size=11, n_layer=1, n_head=2, n_embd=8, dropout=0.0)
    model = GPT(config, generator=tg.Generator(0))
    idx = tg.tensor(np.arange(16).reshape(2, 8) % 11, dtype=tg.int64)
    with tg.autograd.detect_anomaly():
        _, loss = model(idx, idx)
        loss.backward()
    assert math.isfinite(loss.item())


def test_anomaly_mode_still_catches_a_real_nan_after_a_mask():
    scores = tg.full((3,), float("-inf"), requires_grad=True)  # every entry masked: softmax is 0/0
    with pytest.raises(RuntimeError, match="returned nan"), tg.autograd.detect_anomaly():
        with np.errstate(invalid="ignore"):
            scores.softmax(-1)


@pytest.mark.parametrize(
    "make_loss",
    [
        lambda: F.cross_entropy(tg.randn(3, 5), tg.tensor([-100, -100, -100])),
        lambda: F.cross_entropy(tg.randn(0, 5), tg.tensor(np.zeros(0, dtype=np.int64))),
        lambda: F.cross_entropy(tg.randn(3, 5), tg.tensor([-1, -1, -1]), ignore_index=-1),
        lambda: F.cross_entropy(tg.randn(2, 5), tg.tensor([-100, -100]), weight=tg.ones(5)),
        lambda: tg.zeros(0).mean(),
        lambda: tg.zeros(3, 0).mean(),
    ],
    ids=[
        "all-ignored",
        "empty-batch",
        "custom-ignore",
        "weighted-all-ignored",
        "empty-mean",
        "empty-2d-mean",
    ],
)
def test_a_mean_over_nothing_is_nan_as_in_torch(make_loss):
    assert math.isnan(make_loss().item())


def test_cross_entropy_sum_over_nothing_is_zero():
    assert F.cross_entropy(tg.randn(2, 5), tg.tensor([-100, -100]), reduction="sum").item() == 0.0


def test_arange_with_step_zero_is_a_clear_error():
    with pytest.raises(ValueError, match="step must be nonzero"):
        tg.arange(0, 5, 0)


@pytest.mark.parametrize("make", [lambda: tg.zeros(2.5), lambda: tg.ones((2, 1.5)), lambda: tg.randn(2.0)])
def test_a_float_size_is_a_type_error_as_in_torch(make):
    with pytest.raises(TypeError, match="tuple of ints"):
        make()


def test_integer_sizes_of_any_integer_type_still_work():
    assert tg.zeros(np.int64(2), 3).shape == (2, 3)
    assert tg.ones((2,)).shape == (2,)
