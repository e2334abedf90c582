"""models/bow_classifier.py: the mean of token embeddings into an MLP, checked against the same
computation written in torch, and its folder format."""

from __future__ import annotations

import json

import numpy as np
import pytest

import tinygrad_edu as tg
from models.bow_classifier import BagOfWordsClassifier, BagOfWordsConfig

torch = pytest.importorskip("torch")

CONFIG = dict(vocab_size=30, num_labels=3, embedding_dim=8, hidden_size=12, dropout=0.0)


def make_model(seed=0, **changes):
    tg.manual_seed(seed)
    return BagOfWordsClassifier(BagOfWordsConfig(**{**CONFIG, **changes}))


def batch(seed=0):
    rng = np.random.default_rng(seed)
    ids = rng.integers(1, CONFIG["vocab_size"], (4, 7))
    mask = np.ones_like(ids)
    for row, length in enumerate([7, 5, 2, 1]):
        ids[row, length:] = 0
        mask[row, length:] = 0
    return ids, mask, rng.integers(0, 3, 4)


def torch_reference(model, ids, mask, labels):
    """The same model in torch: mean of the real tokens' embeddings, Linear, ReLU, Linear, CE."""
    params = {
        name: torch.tensor(p.numpy(), dtype=torch.float64, requires_grad=True)
        for name, p in model.named_parameters()
    }
    vectors = params["embeddings.weight"][torch.from_numpy(ids)]
    weights = torch.from_numpy(mask).double()
    pooled = (vectors * weights[..., None]).sum(1) / weights.sum(1, keepdim=True)
    hidden = torch.relu(pooled @ params["hidden.weight"].T + params["hidden.bias"])
    logits = hidden @ params["classifier.weight"].T + params["classifier.bias"]
    loss = torch.nn.functional.cross_entropy(logits, torch.from_numpy(labels))
    loss.backward()
    return logits, loss, params


def test_logits_loss_and_every_gradient_match_torch():
    model = make_model().double()
    ids, mask, labels = batch()
    out = model(ids, attention_mask=mask, labels=labels)
    out.loss.backward()
    logits, loss, params = torch_reference(model, ids, mask, labels)
    np.testing.assert_allclose(out.logits.numpy(), logits.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(out.loss.item(), loss.item(), rtol=1e-10)
    for name, param in model.named_parameters():
        np.testing.assert_allclose(param.grad.numpy(), params[name].grad.numpy(), atol=1e-12, err_msg=name)
    assert not model.embeddings.weight.grad.numpy()[0].any()  # [PAD] never contributes


def test_word_order_and_padding_do_not_change_the_prediction():
    model = make_model()
    model.eval()
    ids = np.array([[5, 9, 2, 7]])
    shuffled = np.array([[7, 2, 5, 9]])
    padded = np.array([[5, 9, 2, 7, 0, 0]])
    base = model(ids).logits.numpy()
    np.testing.assert_allclose(model(shuffled).logits.numpy(), base, rtol=1e-6)
    np.testing.assert_allclose(model(padded).logits.numpy(), base, rtol=1e-6)


def test_save_and_load_give_the_same_model(tmp_path):
    model = make_model(id2label={0: "comedy", 1: "history", 2: "tragedy"})
    model.eval()
    model.save_pretrained(tmp_path)
    assert json.loads((tmp_path / "config.json").read_text())["model_type"] == "bow_classifier"
    loaded = BagOfWordsClassifier.from_pretrained(tmp_path)
    loaded.eval()
    assert loaded.config == model.config and loaded.config.label_names() == ["comedy", "history", "tragedy"]
    ids, mask, _ = batch(1)
    np.testing.assert_array_equal(loaded(ids, mask).logits.numpy(), model(ids, mask).logits.numpy())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.json", "model.safetensors"]


def test_bad_input_gets_one_clear_error(tmp_path):
    model = make_model()
    with pytest.raises(ValueError, match="no tokens"):
        model(np.array([[0, 0]]))
    with pytest.raises(IndexError, match="vocab_size=30"):
        model(np.array([[31]]))
    with pytest.raises(ValueError, match="labels have shape"):
        model(np.array([[3, 4]]), labels=np.array([0, 1]))
    with pytest.raises(ValueError, match="dropout"):
        BagOfWordsConfig(vocab_size=3, num_labels=2, dropout=1.0)
    (tmp_path / "config.json").write_text('{"model_type": "bert"}')
    (tmp_path / "model.safetensors").write_bytes(b"")
    with pytest.raises(ValueError, match="not a bow_classifier config"):
        BagOfWordsClassifier.from_pretrained(tmp_path)
    with pytest.raises(FileNotFoundError, match="has no config.json"):
        BagOfWordsClassifier.from_pretrained(tmp_path / "nope")


def test_a_few_adam_steps_learn_a_word_that_marks_the_class():
    rng = np.random.default_rng(0)
    ids = rng.integers(4, 30, (64, 6))
    labels = rng.integers(0, 3, 64)
    ids[:, 0] = labels + 1  # token 1, 2 or 3 gives the class away
    model = make_model(seed=1)
    optimizer = tg.optim.Adam(model.parameters(), lr=0.03)
    losses = []
    for _ in range(40):
        loss = model(ids, labels=labels).loss
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.25 * losses[0]
