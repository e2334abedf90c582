"""models/bert.py and models/bert_pretrained.py against Hugging Face transformers' BertForMaskedLM.

No downloads: every reference model is built from a small random `transformers.BertConfig` with eager
attention (the default sdpa returns no attention probabilities), and weights are copied across.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

import tinygrad_edu as tg
from models.bert import BertConfig, BertForMaskedLM, capture_intermediates

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


def make_models(dtype=np.float32, dropout=0.0, seed=0):
    """Our model with random weights, and HF's with the same weights."""
    tg.manual_seed(seed)
    config = BertConfig(**SIZES, hidden_dropout_prob=dropout, attention_probs_dropout_prob=dropout)
    ours = BertForMaskedLM(config)
    if dtype == np.float64:
        ours.double()
    with tg.no_grad():  # make the biases and LayerNorms non-trivial so that they are tested too
        rng = np.random.default_rng(seed + 1)
        for name, param in ours.named_parameters():
            if name.endswith("bias") or "LayerNorm" in name:
                param.data[...] += rng.normal(0, 0.1, param.shape).astype(param.dtype)
    hf_config = transformers.BertConfig(
        **SIZES,
        hidden_dropout_prob=dropout,
        attention_probs_dropout_prob=dropout,
        attn_implementation="eager",
    )
    theirs = transformers.BertForMaskedLM(hf_config)
    if dtype == np.float64:
        theirs.double()
    state = {key: torch.from_numpy(value.data.copy()) for key, value in ours.state_dict().items()}
    theirs.load_state_dict(state, strict=True)
    return ours, theirs


def make_batch(seed=0, batch=3, time=9, padded=True):
    rng = np.random.default_rng(seed)
    ids = rng.integers(1, SIZES["vocab_size"], (batch, time))
    mask = np.ones((batch, time), dtype=np.int64)
    if padded:  # rows of different lengths, padded with [PAD] = 0
        for row, length in enumerate([time, time - 3, 4][:batch]):
            mask[row, length:] = 0
            ids[row, length:] = 0
    types = np.zeros((batch, time), dtype=np.int64)
    types[:, time // 2 :] = 1
    labels = np.where(rng.random((batch, time)) < 0.4, ids, -100)
    labels[0, 1] = ids[0, 1]  # at least one labelled position
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


def close(ours: tg.Tensor, theirs, tol: float) -> None:
    np.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), rtol=tol, atol=tol)


def test_state_dict_keys_are_hugging_faces():
    ours, theirs = make_models()
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for key, value in theirs.state_dict().items():
        assert tuple(ours.state_dict()[key].shape) == tuple(value.shape), key
    assert ours.cls.predictions.decoder.weight is ours.bert.embeddings.word_embeddings.weight
    assert ours.cls.predictions.decoder.bias is ours.cls.predictions.bias
    assert len(list(ours.parameters())) == len(list(theirs.parameters()))


def test_init_as_hugging_face():
    tg.manual_seed(0)
    model = BertForMaskedLM(BertConfig(**SIZES, initializer_range=0.05))
    query = model.bert.encoder.layer[0].attention.self.query
    assert abs(float(query.weight.data.std()) - 0.05) < 0.01
    assert not query.bias.data.any() and not model.cls.predictions.bias.data.any()
    assert (model.bert.embeddings.LayerNorm.weight.data == 1).all()
    assert not model.bert.embeddings.word_embeddings.weight.data[0].any()  # the [PAD] row
    assert model.bert.embeddings.word_embeddings.weight.data[1:].std() > 0.04


@pytest.mark.parametrize("dtype, tol", [(np.float32, 1e-4), (np.float64, 1e-8)])
def test_forward_matches_hugging_face(dtype, tol):
    ours, theirs = make_models(dtype)
    theirs.eval()
    ours.eval()
    mine, reference = run_both(ours, theirs, make_batch(), output_attentions=True, output_hidden_states=True)
    close(mine.logits, reference.logits, tol)
    close(mine.loss, reference.loss, tol)
    assert len(mine.hidden_states) == len(reference.hidden_states) == SIZES["num_hidden_layers"] + 1
    for a, b in zip(mine.hidden_states, reference.hidden_states):
        close(a, b, tol)
    assert len(mine.attentions) == len(reference.attentions) == SIZES["num_hidden_layers"]
    for a, b in zip(mine.attentions, reference.attentions):
        assert a.shape == (3, SIZES["num_attention_heads"], 9, 9)
        close(a, b, tol)
    assert mine.logits.dtype == dtype


def test_gradients_match_torch():
    ours, theirs = make_models(np.float64)
    mine, reference = run_both(ours, theirs, make_batch(seed=3))
    mine.loss.backward()
    reference.loss.backward()
    their_params = dict(theirs.named_parameters())
    checked = 0
    for name, param in ours.named_parameters():
        assert param.grad is not None, name
        close(param.grad, their_params[name].grad, 1e-8)
        checked += 1
    assert checked == len(their_params)


def test_adamw_training_matches_torch():
    ours, theirs = make_models(np.float32)
    ours.train()
    theirs.train()  # dropout is 0: training mode changes nothing else
    opt_ours = tg.optim.AdamW(ours.parameters(), lr=3e-3, weight_decay=0.01)
    opt_theirs = torch.optim.AdamW(theirs.parameters(), lr=3e-3, weight_decay=0.01)
    batches = [make_batch(seed=s) for s in range(3)]
    losses_ours, losses_theirs = [], []
    for step in range(30):
        batch = batches[step % len(batches)]
        mine, reference = run_both(ours, theirs, batch)
        opt_ours.zero_grad()
        opt_theirs.zero_grad()
        mine.loss.backward()
        reference.loss.backward()
        opt_ours.step()
        opt_theirs.step()
        losses_ours.append(mine.loss.item())
        losses_theirs.append(reference.loss.item())
    np.testing.assert_allclose(losses_ours, losses_theirs, atol=1e-4, rtol=1e-4)
    assert losses_ours[-1] < losses_ours[0] - 0.5  # it learned something


def test_save_loads_in_hugging_face(tmp_path):
    ours, _ = make_models()
    ours.eval()
    ours.save_pretrained(tmp_path)
    config = json.loads((tmp_path / "config.json").read_text())
    assert config["architectures"] == ["BertForMaskedLM"] and config["model_type"] == "bert"
    assert config["tie_word_embeddings"] is True and config["dtype"] == "float32"
    assert config["hidden_act"] == "gelu" and config["layer_norm_eps"] == 1e-12
    assert not list(tmp_path.glob("*.tmp"))
    theirs, info = transformers.BertForMaskedLM.from_pretrained(
        tmp_path, output_loading_info=True, attn_implementation="eager"
    )
    assert info["missing_keys"] == set() or not info["missing_keys"]
    assert not info["unexpected_keys"] and not info["mismatched_keys"]
    theirs.eval()
    mine, reference = run_both(ours, theirs, make_batch())
    close(mine.logits, reference.logits, 1e-4)
    # and back into ours
    again = BertForMaskedLM.from_pretrained(tmp_path)
    again.eval()
    np.testing.assert_array_equal(again(make_batch()[0]).logits.numpy(), ours(make_batch()[0]).logits.numpy())
    assert again.cls.predictions.decoder.weight is again.bert.embeddings.word_embeddings.weight


def test_load_what_hugging_face_saved(tmp_path):
    _, theirs = make_models()
    theirs.eval()
    theirs.save_pretrained(tmp_path)
    from safetensors.numpy import load_file

    assert "cls.predictions.decoder.weight" not in load_file(str(tmp_path / "model.safetensors"))
    ours = BertForMaskedLM.from_pretrained(tmp_path)
    ours.eval()
    assert ours.cls.predictions.decoder.weight is ours.bert.embeddings.word_embeddings.weight
    assert ours.config.num_attention_heads == SIZES["num_attention_heads"]
    mine, reference = run_both(ours, theirs, make_batch(seed=5))
    close(mine.logits, reference.logits, 1e-4)
    close(mine.loss, reference.loss, 1e-4)


def test_save_writes_the_tokenizer_vocabulary(tmp_path):
    from tinygrad_edu.data import WordPieceTokenizer

    tokenizer = WordPieceTokenizer.train(["to be or not to be that is the question"] * 3, vocab_size=40)
    tg.manual_seed(0)
    model = BertForMaskedLM(BertConfig(**{**SIZES, "vocab_size": tokenizer.vocab_size}))
    model.save_pretrained(tmp_path, tokenizer=tokenizer)
    assert (tmp_path / "vocab.txt").read_text().split("\n")[0] == "[PAD]"
    assert WordPieceTokenizer.from_file(tmp_path / "vocab.txt").vocab_size == tokenizer.vocab_size


def test_head_mask_removes_a_head():
    """HF 5.23 dropped head_mask, so the semantics are checked directly: masking head h of a layer is
    the same as zeroing the value projection of that head (its context becomes zero)."""
    ours, _ = make_models(np.float64)
    ours.eval()
    ids, mask, types, _ = make_batch()
    layers, heads = SIZES["num_hidden_layers"], SIZES["num_attention_heads"]
    head_mask = np.ones((layers, heads))
    head_mask[1, 2] = 0.0
    masked = ours(ids, mask, types, head_mask=head_mask).logits.numpy()
    assert np.abs(masked - ours(ids, mask, types).logits.numpy()).max() > 1e-6
    np.testing.assert_array_equal(  # a head_mask of ones changes nothing
        ours(ids, mask, types, head_mask=np.ones(heads)).logits.numpy(), ours(ids, mask, types).logits.numpy()
    )
    value = ours.bert.encoder.layer[1].attention.self.value
    size = SIZES["hidden_size"] // heads
    with tg.no_grad():
        value.weight.data[2 * size : 3 * size] = 0.0
        value.bias.data[2 * size : 3 * size] = 0.0
    np.testing.assert_allclose(masked, ours(ids, mask, types).logits.numpy(), atol=1e-10)
    with pytest.raises(ValueError, match="head_mask must have shape"):
        ours(ids, head_mask=np.ones(heads + 1))


def test_capture_intermediates():
    ours, theirs = make_models()
    ours.eval()
    ids, mask, types, _ = make_batch()
    with capture_intermediates(ours) as acts:
        out = ours(ids, mask, types, output_attentions=True, output_hidden_states=True)
    assert list(acts)[0] == "embeddings.word" and list(acts)[-1] == "head.logits"
    for i in range(SIZES["num_hidden_layers"]):
        for part in ("query", "key", "value", "scores", "probs", "context", "layer_norm_input"):
            assert f"layer.{i}.attention.{part}" in acts
        np.testing.assert_array_equal(acts[f"layer.{i}.attention.probs"].numpy(), out.attentions[i].numpy())
        np.testing.assert_array_equal(acts[f"layer.{i}.output"].numpy(), out.hidden_states[i + 1].numpy())
        gelu = acts[f"layer.{i}.ffn.gelu"].numpy()
        assert gelu.shape == (3, 9, SIZES["intermediate_size"]) and gelu.min() > -0.2
        normed = acts[f"layer.{i}.output.layer_norm_output"].numpy()
        assert normed.shape == (3, 9, SIZES["hidden_size"])
    assert not acts["head.logits"].requires_grad
    np.testing.assert_array_equal(acts["head.logits"].numpy(), out.logits.numpy())
    # Q from the hook equals the query projection of the layer's input
    query = ours.bert.encoder.layer[0].attention.self.query
    np.testing.assert_allclose(
        acts["layer.0.attention.query"].numpy(), query(acts["layer.0.input"]).numpy(), atol=1e-6
    )
    # closed: nothing more is recorded, and the hooks are gone
    count = len(acts)
    ours(ids)
    assert len(acts) == count
    assert not query._forward_hooks


def test_bad_inputs(tmp_path):
    with pytest.raises(ValueError, match="not divisible by num_attention_heads"):
        BertConfig(**{**SIZES, "num_attention_heads": 3})
    with pytest.raises(ValueError, match="hidden_act"):
        BertConfig(**SIZES, hidden_act="swish")
    tg.manual_seed(0)
    model = BertForMaskedLM(BertConfig(**SIZES))
    with pytest.raises(ValueError, match="longer than max_position_embeddings=12"):
        model(np.ones((1, 13), dtype=np.int64))
    with pytest.raises(IndexError, match="outside the vocabulary"):
        model(np.full((1, 4), 40))
    with pytest.raises(ValueError, match="input_ids must be"):
        model(np.ones(4, dtype=np.int64))
    with pytest.raises(TypeError, match="must hold integers"):
        model(np.ones((1, 4)))
    with pytest.raises(ValueError, match="token_type_ids has shape"):
        model(np.ones((1, 4), dtype=np.int64), token_type_ids=np.zeros((1, 3), dtype=np.int64))
    with pytest.raises(FileNotFoundError, match="no checkpoint folder"):
        BertForMaskedLM.from_pretrained(tmp_path / "nowhere")
    with pytest.raises(FileNotFoundError, match="config.json"):
        BertForMaskedLM.from_pretrained(tmp_path)
    model.save_pretrained(tmp_path)
    config = json.loads((tmp_path / "config.json").read_text())
    config["num_hidden_layers"] = 3  # the file's weights are for 2
    (tmp_path / "config.json").write_text(json.dumps(config))
    with pytest.raises(RuntimeError, match="missing"):
        BertForMaskedLM.from_pretrained(tmp_path)
