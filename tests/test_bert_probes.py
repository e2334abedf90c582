"""The pieces of the Mini-BERT recipe and of its evaluation, against their definitions: the training
loss computed only at the masked positions equals the full MLM loss, the held-out rows are masked with
[MASK] only, the cloze file parses (and bad lines are refused), and the context probe hides exactly the
tokens beyond its radius."""

import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_edu as tg
from models.bert import BertConfig, BertForMaskedLM
from tinygrad_edu.data import IGNORE_INDEX, MLMCollator, WordPieceTokenizer, load_corpus, split_corpus

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "examples"))
from bert_common import heldout_batches, tokenize_speeches  # noqa: E402
from bert_probes import CLOZE_FILE, hide_beyond, read_cloze  # noqa: E402
from train_bert import masked_lm_loss  # noqa: E402


@pytest.fixture(scope="module")
def tokenizer() -> WordPieceTokenizer:
    speeches, _ = split_corpus(load_corpus(ROOT / "data" / "shakespeare.txt"))
    return WordPieceTokenizer.train(speeches[:800], vocab_size=300)


def test_sparse_prediction_equals_the_full_mlm_loss_and_its_gradients(tokenizer):
    tg.manual_seed(0)
    config = BertConfig(
        vocab_size=tokenizer.vocab_size,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=32,
        hidden_dropout_prob=0.0,
        attention_probs_dropout_prob=0.0,
    )
    model = BertForMaskedLM(config)
    rows = np.random.default_rng(0).integers(5, tokenizer.vocab_size, (4, 16))
    batch = MLMCollator.from_tokenizer(tokenizer, seed=3)(rows)
    assert (batch["labels"] != IGNORE_INDEX).any()

    sparse = masked_lm_loss(model, batch)
    sparse.backward()
    sparse_grads = {name: p.grad.numpy().copy() for name, p in model.named_parameters()}
    model.zero_grad()
    full = model(
        tg.Tensor(batch["input_ids"]),
        tg.Tensor(batch["attention_mask"]),
        tg.Tensor(batch["token_type_ids"]),
        labels=tg.Tensor(batch["labels"]),
    ).loss
    full.backward()
    np.testing.assert_allclose(sparse.item(), full.item(), rtol=1e-5)
    for name, p in model.named_parameters():
        np.testing.assert_allclose(sparse_grads[name], p.grad.numpy(), rtol=1e-4, atol=1e-6, err_msg=name)


def test_heldout_tokens_are_all_replaced_by_mask_and_do_not_depend_on_batch_size(tokenizer):
    _, heldout = split_corpus(load_corpus(ROOT / "data" / "shakespeare.txt"))
    batches = heldout_batches(tokenizer, heldout[:300], 32, 8)
    again = heldout_batches(tokenizer, heldout[:300], 32, 5)
    labels = np.concatenate([b["labels"] for b in batches])
    inputs = np.concatenate([b["input_ids"] for b in batches])
    chosen = labels != IGNORE_INDEX
    assert chosen.any()
    assert (inputs[chosen] == tokenizer.mask_token_id).all()  # no random or kept tokens
    assert not (inputs[~chosen] == tokenizer.mask_token_id).any()
    ordinary = ~np.isin(np.where(chosen, labels, inputs), list(tokenizer.special_token_ids))
    assert 0.10 < chosen.sum() / ordinary.sum() < 0.20  # 15% of the ordinary tokens
    np.testing.assert_array_equal(labels, np.concatenate([b["labels"] for b in again]))
    tokens = sum(len(ids) for ids in tokenize_speeches(tokenizer, heldout[:300]))
    assert ordinary.sum() == tokens  # every held-out token is in a row (none dropped)


def test_the_cloze_file_parses_and_every_answer_is_a_single_token_of_the_shipped_vocabulary():
    items = read_cloze(CLOZE_FILE)
    assert len(items) >= 30
    assert all(sentence.count("[MASK]") == 1 and answers for sentence, answers in items)
    vocab = ROOT / "checkpoints" / "mini-bert" / "vocab.txt"
    if vocab.is_file():
        known = set(vocab.read_text(encoding="utf-8").split("\n"))
        for sentence, answers in items:
            assert any(answer in known for answer in answers), sentence


@pytest.mark.parametrize(
    "line",
    ["no tab here [MASK]", "two [MASK] blanks [MASK]\tx", "no blank\tx", "a [MASK] with no answers\t  "],
)
def test_a_bad_cloze_line_is_refused_with_its_file_and_line(tmp_path, line):
    path = tmp_path / "cloze.tsv"
    path.write_text("# comment\n" + line + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"cloze.tsv:2:"):
        read_cloze(path)


@settings(max_examples=40, deadline=None)
@given(
    length=st.integers(4, 20),
    radius=st.integers(0, 25),
    data=st.data(),
)
def test_the_context_probe_hides_exactly_the_tokens_beyond_its_radius(length, radius, data):
    mask_id, specials = 4, {0, 1, 2, 3, 4}
    row = np.array(data.draw(st.lists(st.integers(5, 50), min_size=length, max_size=length)))
    row[0], row[-1] = 2, 3  # [CLS] ... [SEP]
    target = data.draw(st.integers(1, length - 2))
    ids = hide_beyond(row[None, :], np.array([target]), radius, mask_id, specials)[0]
    for position in range(length):
        if position in (0, length - 1):
            assert ids[position] == row[position]  # specials stay
        elif position == target or abs(position - target) > radius:
            assert ids[position] == mask_id
        else:
            assert ids[position] == row[position]
