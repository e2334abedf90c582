"""models/gpt.py: parity with the same architecture in torch, causal masking, attention maps,
sampling, errors, checkpoints through the registry, and a short training whose loss falls."""

import dataclasses
import sys
from pathlib import Path

import numpy as np
import pytest

import tinygrad_edu as tg
from models import build_model
from models.gpt import GPT, IGNORE_INDEX, GPTConfig

SMALL = GPTConfig(block_size=8, vocab_size=11, n_layer=2, n_head=2, n_embd=16)


def small_model(seed: int = 0, **changes) -> GPT:
    return GPT(dataclasses.replace(SMALL, **changes), generator=tg.Generator(seed))


def random_ids(shape, vocab_size=SMALL.vocab_size, seed=1) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, vocab_size, size=shape)


# ------------------------------------------------------------------------------------------------
# parity with torch (the torch twin lives beside the benchmark that also uses it)

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))


@pytest.mark.parametrize("tie_weights", [False, True])
@pytest.mark.parametrize("bias", [True, False])
def test_same_logits_loss_and_gradients_as_torch(torch, tie_weights, bias):
    from gpt_torch import TorchGPT, torch_state_dict

    model = small_model(tie_weights=tie_weights, bias=bias)
    reference = TorchGPT(model.config)
    reference.load_state_dict(torch_state_dict(model))
    idx, targets = random_ids((3, 8)), random_ids((3, 8), seed=2)
    targets[0, 5:] = IGNORE_INDEX  # padding after a short sequence is skipped by both

    logits, loss = model(tg.Tensor(idx), tg.Tensor(targets))
    torch_logits, torch_loss = reference(torch.from_numpy(idx), torch.from_numpy(targets))
    np.testing.assert_allclose(logits.data, torch_logits.detach().numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(loss.item(), torch_loss.item(), rtol=1e-5, atol=1e-5)

    loss.backward()
    torch_loss.backward()
    torch_params = dict(reference.named_parameters())
    ours = dict(model.named_parameters())
    assert sorted(ours) == sorted(torch_params)
    for name, param in ours.items():
        np.testing.assert_allclose(
            param.grad.data, torch_params[name].grad.numpy(), rtol=1e-4, atol=1e-5, err_msg=name
        )


def test_shorter_sequences_match_torch_too(torch):
    from gpt_torch import TorchGPT, torch_state_dict

    model = small_model()
    reference = TorchGPT(model.config)
    reference.load_state_dict(torch_state_dict(model))
    idx = random_ids((2, 3))
    logits, _ = model(tg.Tensor(idx))
    np.testing.assert_allclose(
        logits.data, reference(torch.from_numpy(idx))[0].detach().numpy(), rtol=1e-5, atol=1e-5
    )


# ------------------------------------------------------------------------------------------------
# causality and attention maps


@pytest.mark.parametrize("position", [0, 3, 7])
def test_changing_a_future_token_leaves_earlier_logits_unchanged(position):
    model = small_model()
    idx = random_ids((2, 8))
    changed = idx.copy()
    changed[:, position] = (changed[:, position] + 1) % SMALL.vocab_size
    logits, _ = model(tg.Tensor(idx))
    changed_logits, _ = model(tg.Tensor(changed))
    np.testing.assert_array_equal(logits.data[:, :position], changed_logits.data[:, :position])
    assert not np.allclose(logits.data[:, position:], changed_logits.data[:, position:])


def test_attention_maps_are_causal_distributions():
    model = small_model()
    with pytest.raises(RuntimeError, match="run the model"):
        model.attention_maps()
    model(tg.Tensor(random_ids((2, 5))))  # outside capture_attention nothing is kept
    with pytest.raises(RuntimeError, match="run the model"):
        model.attention_maps()
    with model.capture_attention():
        model(tg.Tensor(random_ids((2, 5))))
    maps = model.attention_maps()
    assert len(maps) == SMALL.n_layer
    for probs in maps:
        assert probs.shape == (2, SMALL.n_head, 5, 5)
        np.testing.assert_allclose(probs.sum(-1), 1.0, rtol=1e-6)
        assert np.all(probs[..., np.triu_indices(5, k=1)[0], np.triu_indices(5, k=1)[1]] == 0)


def test_uses_the_shared_causal_attention():
    from tinygrad_edu.nn.attention import SelfAttention

    model = small_model()
    attentions = [m for m in model.modules() if isinstance(m, SelfAttention)]
    assert len(attentions) == SMALL.n_layer and all(a.causal for a in attentions)


# ------------------------------------------------------------------------------------------------
# sampling


def test_generate_is_deterministic_with_a_seeded_generator():
    model = small_model()
    start = tg.zeros(3, 1, dtype=tg.int64)
    first = model.generate(start, 12, generator=tg.Generator(5))  # longer than block_size: crops
    again = model.generate(start, 12, generator=tg.Generator(5))
    other = model.generate(start, 12, generator=tg.Generator(6))
    assert first.shape == (3, 13)
    np.testing.assert_array_equal(first.data, again.data)
    assert not np.array_equal(first.data, other.data)
    assert first.data.min() >= 0 and first.data.max() < SMALL.vocab_size
    assert model.training  # generate restores the mode


def test_generate_top_k_one_is_greedy():
    model = small_model()
    start = tg.tensor([[1, 2]], dtype=tg.int64)
    out = model.generate(start, 1, top_k=1, generator=tg.Generator(0))
    logits, _ = model(start)
    assert out.data[0, -1] == logits.data[0, -1].argmax()


def test_sample_words_stop_at_the_boundary():
    words = small_model().sample(5, generator=tg.Generator(1))
    assert len(words) == 5 and all(0 not in ids and len(ids) <= SMALL.block_size - 1 for ids in words)


# ------------------------------------------------------------------------------------------------
# errors


def test_errors_name_the_problem():
    model = small_model()
    with pytest.raises(ValueError, match="length 9: block_size is 8"):
        model(tg.Tensor(random_ids((1, 9))))
    with pytest.raises(ValueError, match="token id 11, outside the vocabulary 0..10"):
        model(tg.Tensor(np.array([[1, 11]])))
    with pytest.raises(ValueError, match="token id -1"):
        model(tg.Tensor(np.array([[1, -1]])))
    with pytest.raises(ValueError, match="targets contains token id 12"):
        model(tg.Tensor(np.array([[1, 2]])), tg.Tensor(np.array([[3, 12]])))
    with pytest.raises(ValueError, match="targets must have idx's shape"):
        model(tg.Tensor(np.array([[1, 2]])), tg.Tensor(np.array([3, 4])))
    with pytest.raises(ValueError, match=r"shape \(batch, time\)"):
        model(tg.Tensor(np.array([1, 2])))
    with pytest.raises(TypeError, match="integer token ids"):
        model(tg.Tensor(np.array([[1.0, 2.0]])))
    with pytest.raises(ValueError, match="temperature must be positive"):
        model.generate(tg.zeros(1, 1, dtype=tg.int64), 1, temperature=0)
    with pytest.raises(ValueError, match="not divisible by n_head"):
        GPTConfig(n_embd=10, n_head=3)


# ------------------------------------------------------------------------------------------------
# structure, checkpoints, training


def test_tied_weights_share_one_parameter():
    tied, untied = small_model(tie_weights=True), small_model()
    assert tied.lm_head.weight is tied.wte.weight
    count = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    assert count(untied) - count(tied) == SMALL.vocab_size * SMALL.n_embd


def test_registry_rebuilds_the_model_from_its_state_dict(tmp_path):
    model = small_model()
    tg.save(
        {"config": dataclasses.asdict(model.config), "state_dict": model.state_dict()}, tmp_path / "m.npz"
    )
    saved = tg.load(tmp_path / "m.npz")
    rebuilt = build_model("gpt", saved["config"])
    rebuilt.load_state_dict(saved["state_dict"])
    idx = tg.Tensor(random_ids((2, 6)))
    np.testing.assert_array_equal(model(idx)[0].data, rebuilt(idx)[0].data)


def test_a_short_training_lowers_the_loss():
    model = small_model(seed=3)
    optimizer = tg.optim.AdamW(model.parameters(), lr=1e-2)
    pattern = np.array([[1, 2, 3, 4, 5, 6, 7, 8, 9]] * 4)  # a fixed sequence: easy to memorise
    inputs, targets = tg.Tensor(pattern[:, :-1]), tg.Tensor(pattern[:, 1:])
    losses = []
    for _ in range(30):
        _, loss = model(inputs, targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[0] > 2.0 and losses[-1] < 0.5 * losses[0]


def test_dropout_only_in_training_mode():
    model = small_model(dropout=0.5)
    idx = tg.Tensor(random_ids((2, 8)))
    model.eval()
    np.testing.assert_array_equal(model(idx)[0].data, model(idx)[0].data)
    model.train()
    assert not np.array_equal(model(idx)[0].data, model(idx)[0].data)
