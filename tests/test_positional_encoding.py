"""The sinusoidal positional encoding: its formula entry by entry, the rotation a fixed offset makes, and
its use as a model's position table (nothing trained, nothing saved)."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_edu as tg
from models.gpt import GPT, GPTConfig
from tinygrad_edu import nn
from tinygrad_edu.nn.positional import sinusoidal_encoding


@settings(max_examples=20, deadline=None)
@given(positions=st.integers(1, 40), half=st.integers(1, 8), base=st.sampled_from([100.0, 10000.0]))
def test_every_entry_follows_the_formula(positions, half, base):
    dim = 2 * half
    table = sinusoidal_encoding(positions, dim, base)
    assert table.shape == (positions, dim)
    for p in range(positions):
        for i in range(half):
            angle = p / base ** (2 * i / dim)
            assert table[p, 2 * i] == pytest.approx(math.sin(angle), abs=1e-12)
            assert table[p, 2 * i + 1] == pytest.approx(math.cos(angle), abs=1e-12)


def test_a_fixed_offset_is_a_rotation_and_dot_products_depend_on_distance_only():
    dim, table = 16, sinusoidal_encoding(64, 16)
    frequencies = 10000.0 ** (-np.arange(0, dim, 2) / dim)
    for offset in (1, 5, 17):
        rotation = np.zeros((dim, dim))  # one 2x2 rotation by offset * w_i per (sin, cos) pair
        for i, w in enumerate(frequencies):
            c, s = math.cos(offset * w), math.sin(offset * w)
            rotation[2 * i : 2 * i + 2, 2 * i : 2 * i + 2] = [[c, s], [-s, c]]
        for p in (0, 3, 40):
            np.testing.assert_allclose(rotation @ table[p], table[p + offset], atol=1e-10)
        dots = [table[p] @ table[p + offset] for p in range(64 - offset)]
        np.testing.assert_allclose(dots, np.cos(offset * frequencies).sum(), atol=1e-10)


def test_the_module_looks_positions_up_and_learns_nothing():
    module = nn.SinusoidalPositionalEncoding(12, 8)
    out = module(tg.tensor([[0, 3], [11, 3]]))
    assert out.shape == (2, 2, 8) and out.dtype == np.float32
    np.testing.assert_allclose(out.numpy()[1, 0], sinusoidal_encoding(12, 8)[11], rtol=1e-6)
    assert list(module.parameters()) == [] and module.state_dict() == {}
    assert repr(module) == "SinusoidalPositionalEncoding(12, 8, base=10000)"
    with pytest.raises(ValueError, match="embedding_dim must be even"):
        nn.SinusoidalPositionalEncoding(4, 5)


def test_gpt_with_sinusoidal_positions_trains_and_saves_no_position_table():
    config = GPTConfig(block_size=8, vocab_size=11, n_layer=1, n_head=2, n_embd=8, positional="sinusoidal")
    model = GPT(config, generator=tg.Generator(0))
    learned = GPT(GPTConfig(**{**config.__dict__, "positional": "learned"}), generator=tg.Generator(0))
    assert "wpe.weight" not in model.state_dict() and "wpe.weight" in learned.state_dict()
    assert sum(p.numel() for p in learned.parameters()) - sum(p.numel() for p in model.parameters()) == 8 * 8
    ids = tg.tensor(np.random.default_rng(0).integers(0, 11, (4, 8)))
    optimizer = tg.optim.AdamW(model.parameters(), lr=1e-2)
    losses = []
    for _ in range(20):
        _, loss = model(ids, ids)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0] - 0.5
    with pytest.raises(ValueError, match="positional must be 'learned' or 'sinusoidal'"):
        GPTConfig(positional="rotary")
