"""models/bert_classification.py against Hugging Face transformers' BertForSequenceClassification:
keys, logits, loss, every gradient, folders both ways, and the start from a masked-LM folder."""

from __future__ import annotations

import json

import numpy as np
import pytest

import tinygrad_edu as tg
from models.bert import BertConfig, BertForMaskedLM
from models.bert_classification import BertForSequenceClassification, has_classifier_head

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

SIZES = dict(
    vocab_size=40,
    hidden_size=16,
    num_hidden_layers=2,
    num_attention_heads=4,
    intermediate_size=32,
    max_position_embeddings=12,
    type_vocab_size=2,
)
NAMES = {0: "comedy", 1: "history", 2: "tragedy"}


def make_models(dtype=np.float32, num_labels=3, seed=0):
    """Ours with random weights (biases and LayerNorms made non-trivial), and HF's with the same."""
    tg.manual_seed(seed)
    config = BertConfig(**SIZES, hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
    names = {i: NAMES.get(i, f"c{i}") for i in range(num_labels)}
    ours = BertForSequenceClassification(config, id2label=names)
    if dtype == np.float64:
        ours.double()
    with tg.no_grad():
        rng = np.random.default_rng(seed + 1)
        for name, param in ours.named_parameters():
            if name.endswith("bias") or "LayerNorm" in name:
                param.data[...] += rng.normal(0, 0.1, param.shape).astype(param.dtype)
    hf_config = transformers.BertConfig(
        **SIZES,
        hidden_dropout_prob=0.0,
        attention_probs_dropout_prob=0.0,
        num_labels=num_labels,
        attn_implementation="eager",
    )
    theirs = transformers.BertForSequenceClassification(hf_config)
    if dtype == np.float64:
        theirs.double()
    state = {key: torch.from_numpy(value.data.copy()) for key, value in ours.state_dict().items()}
    theirs.load_state_dict(state, strict=True)
    return ours, theirs


def make_batch(seed=0, batch=3, time=9, num_labels=3):
    rng = np.random.default_rng(seed)
    ids = rng.integers(1, SIZES["vocab_size"], (batch, time))
    mask = np.ones((batch, time), dtype=np.int64)
    for row, length in enumerate([time, time - 3, 4][:batch]):  # padded rows of different lengths
        mask[row, length:] = 0
        ids[row, length:] = 0
    types = np.zeros((batch, time), dtype=np.int64)
    types[:, time // 2 :] = 1
    labels = rng.integers(0, num_labels, batch)
    return ids, mask, types, labels


def run_both(ours, theirs, batch, **kwargs):
    ids, mask, types, labels = batch
    mine = ours(ids, attention_mask=mask, token_type_ids=types, labels=labels, **kwargs)
    reference = theirs(
        input_ids=torch.from_numpy(ids),
        attention_mask=torch.from_numpy(mask),
        token_type_ids=torch.from_numpy(types),
        labels=torch.from_numpy(labels),
        **kwargs,
    )
    return mine, reference


def close(ours, theirs, tol):
    np.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), rtol=tol, atol=tol)


def test_state_dict_keys_and_shapes_are_hugging_faces():
    ours, theirs = make_models()
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for key, value in theirs.state_dict().items():
        assert tuple(ours.state_dict()[key].shape) == tuple(value.shape), key
    assert "bert.pooler.dense.weight" in ours.state_dict() and "classifier.bias" in ours.state_dict()


def test_new_head_is_initialised_as_hugging_face():
    tg.manual_seed(0)
    model = BertForSequenceClassification(BertConfig(**SIZES, initializer_range=0.05), num_labels=3)
    for layer in (model.classifier, model.bert.pooler.dense):
        assert abs(float(layer.weight.data.std()) - 0.05) < 0.015
        assert not layer.bias.data.any()
    assert model.id2label == {0: "LABEL_0", 1: "LABEL_1", 2: "LABEL_2"}
    assert BertForSequenceClassification(BertConfig(**SIZES)).num_labels == 2  # transformers' default


@pytest.mark.parametrize("dtype, tol", [(np.float32, 1e-4), (np.float64, 1e-8)])
def test_logits_and_loss_match_hugging_face(dtype, tol):
    ours, theirs = make_models(dtype)
    ours.eval()
    theirs.eval()
    mine, reference = run_both(ours, theirs, make_batch(), output_attentions=True, output_hidden_states=True)
    assert mine.logits.shape == (3, 3)
    close(mine.logits, reference.logits, tol)
    close(mine.loss, reference.loss, tol)
    for a, b in zip(mine.hidden_states, reference.hidden_states, strict=True):
        close(a, b, tol)
    for a, b in zip(mine.attentions, reference.attentions, strict=True):
        close(a, b, tol)


def test_regression_loss_with_one_label_matches_hugging_face():
    ours, theirs = make_models(np.float64, num_labels=1)
    ids, mask, types, _ = make_batch()
    targets = np.array([0.5, -1.0, 2.0])
    mine = ours(ids, attention_mask=mask, token_type_ids=types, labels=targets)
    reference = theirs(
        input_ids=torch.from_numpy(ids),
        attention_mask=torch.from_numpy(mask),
        token_type_ids=torch.from_numpy(types),
        labels=torch.from_numpy(targets),
    )
    close(mine.loss, reference.loss, 1e-8)


def test_every_gradient_matches_torch():
    ours, theirs = make_models(np.float64)
    mine, reference = run_both(ours, theirs, make_batch(seed=3))
    mine.loss.backward()
    reference.loss.backward()
    their_params = dict(theirs.named_parameters())
    names = [name for name, _ in ours.named_parameters()]
    assert sorted(names) == sorted(their_params)
    for name, param in ours.named_parameters():
        assert param.grad is not None, name
        close(param.grad, their_params[name].grad, 1e-8)


def test_our_folder_loads_in_transformers_with_no_missing_or_unexpected_keys(tmp_path):
    ours, _ = make_models()
    ours.eval()
    ours.save_pretrained(tmp_path)
    config = json.loads((tmp_path / "config.json").read_text())
    assert config["architectures"] == ["BertForSequenceClassification"]
    assert config["id2label"] == {"0": "comedy", "1": "history", "2": "tragedy"}
    loaded, info = transformers.BertForSequenceClassification.from_pretrained(
        tmp_path, output_loading_info=True, attn_implementation="eager"
    )
    assert not info["missing_keys"] and not info["unexpected_keys"] and not info["mismatched_keys"]
    assert loaded.config.id2label == NAMES and loaded.config.label2id["tragedy"] == 2
    loaded.eval()
    ids, mask, types, _ = make_batch(seed=5)
    reference = loaded(
        input_ids=torch.from_numpy(ids),
        attention_mask=torch.from_numpy(mask),
        token_type_ids=torch.from_numpy(types),
    )
    close(ours(ids, attention_mask=mask, token_type_ids=types).logits, reference.logits, 1e-5)
    assert has_classifier_head(tmp_path)


def test_transformers_folder_loads_in_ours_with_its_head_and_names(tmp_path):
    _, theirs = make_models(seed=2)
    theirs.config.id2label, theirs.config.label2id = NAMES, {v: k for k, v in NAMES.items()}
    theirs.eval()
    theirs.save_pretrained(tmp_path)
    ours, info = BertForSequenceClassification.from_pretrained(tmp_path, output_loading_info=True)
    assert info == {"missing_keys": [], "unexpected_keys": []}
    assert ours.id2label == NAMES and ours.num_labels == 3
    ours.eval()
    ids, mask, types, _ = make_batch(seed=6)
    reference = theirs(
        input_ids=torch.from_numpy(ids),
        attention_mask=torch.from_numpy(mask),
        token_type_ids=torch.from_numpy(types),
    )
    close(ours(ids, attention_mask=mask, token_type_ids=types).logits, reference.logits, 1e-5)


@pytest.mark.parametrize("writer", ["ours", "transformers"])
def test_start_from_a_masked_lm_folder_keeps_the_encoder_and_starts_the_head_new(tmp_path, writer):
    tg.manual_seed(1)
    mlm = BertForMaskedLM(BertConfig(**SIZES))
    if writer == "ours":
        mlm.save_pretrained(tmp_path)
    else:
        hf_mlm = transformers.BertForMaskedLM(transformers.BertConfig(**SIZES))
        hf_mlm.load_state_dict({k: torch.from_numpy(v.data.copy()) for k, v in mlm.state_dict().items()})
        hf_mlm.save_pretrained(tmp_path)
    assert not has_classifier_head(tmp_path)
    with pytest.raises(ValueError, match="no classifier head.*num_labels"):
        BertForSequenceClassification.from_pretrained(tmp_path)
    ours, info = BertForSequenceClassification.from_pretrained(
        tmp_path, num_labels=3, output_loading_info=True
    )
    _, their_info = transformers.BertForSequenceClassification.from_pretrained(
        tmp_path, num_labels=3, output_loading_info=True
    )
    # the same report as transformers: the pooler and classifier start new, the MLM head is unused
    assert set(info["missing_keys"]) == set(their_info["missing_keys"])
    assert set(info["unexpected_keys"]) == set(their_info["unexpected_keys"])
    assert set(info["missing_keys"]) == {
        "bert.pooler.dense.weight",
        "bert.pooler.dense.bias",
        "classifier.weight",
        "classifier.bias",
    }
    encoder = {k: v for k, v in mlm.state_dict().items() if k.startswith("bert.")}
    for key, value in encoder.items():
        np.testing.assert_array_equal(ours.state_dict()[key].numpy(), value.numpy(), err_msg=key)
    assert ours.classifier.weight.data.std() > 0  # the new head is drawn, not left at zero
    # and with the same encoder and head weights, HF gives the same logits from this start
    theirs = transformers.BertForSequenceClassification.from_pretrained(tmp_path, num_labels=3)
    theirs.load_state_dict({k: torch.from_numpy(v.data.copy()) for k, v in ours.state_dict().items()})
    ours.eval()
    theirs.eval()
    ids, mask, types, _ = make_batch(seed=7)
    reference = theirs(input_ids=torch.from_numpy(ids), attention_mask=torch.from_numpy(mask))
    close(ours(ids, attention_mask=mask).logits, reference.logits, 1e-5)


def test_bad_input_gets_one_clear_error(tmp_path):
    ours, _ = make_models()
    ids, mask, _, _ = make_batch()
    with pytest.raises(IndexError, match="label 3 is not a class"):
        ours(ids, attention_mask=mask, labels=np.array([0, 1, 3]))
    with pytest.raises(ValueError, match="2 labels for a batch of 3"):
        ours(ids, attention_mask=mask, labels=np.array([0, 1]))
    with pytest.raises(ValueError, match="longer than max_position_embeddings"):
        ours(np.ones((1, 13), dtype=np.int64))
    ours.save_pretrained(tmp_path)
    with pytest.raises(ValueError, match="has 3 classes, not num_labels=5"):
        BertForSequenceClassification.from_pretrained(tmp_path, num_labels=5)
    with pytest.raises(FileNotFoundError, match="no checkpoint folder"):
        BertForSequenceClassification.from_pretrained(tmp_path / "nope")


def test_a_few_adamw_steps_lower_the_loss():
    ours, _ = make_models(seed=4)
    ours.train()
    batch = make_batch(seed=8)
    optimizer = tg.optim.AdamW(ours.parameters(), lr=1e-2)
    losses = []
    for _ in range(30):
        loss = ours(batch[0], attention_mask=batch[1], labels=batch[3]).loss
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(float(loss.item()))
    assert losses[-1] < 0.2 * losses[0]  # three examples: it learns them by heart
