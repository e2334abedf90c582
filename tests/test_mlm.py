"""The MLM data (`tinygrad_edu/data/mlm.py`): packing speeches into rows, BERT's masking collator, and
the unigram baseline. Property tests over random batches, vocabularies and seeds."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tinygrad_edu.data.mlm import IGNORE_INDEX, MLMCollator, pack_sequences, unigram_log_probs

PAD, UNK, CLS, SEP, MASK = 0, 1, 2, 3, 4
SPECIALS = (PAD, UNK, CLS, SEP, MASK)


def make_collator(vocab_size: int, seed: int = 0, **kwargs) -> MLMCollator:
    return MLMCollator(vocab_size, MASK, SPECIALS, pad_token_id=PAD, seed=seed, **kwargs)


@st.composite
def batches(draw, max_rows: int = 6, max_len: int = 20):
    """(vocab_size, list of id lists of different lengths): specials may sit anywhere in a row."""
    vocab_size = draw(st.integers(6, 60))
    rows = draw(
        st.lists(
            st.lists(st.integers(1, vocab_size - 1), min_size=1, max_size=max_len),
            min_size=1,
            max_size=max_rows,
        )
    )
    return vocab_size, rows


@given(batches(), st.integers(0, 2**32 - 1))
def test_collator_only_chooses_ordinary_tokens_and_labels_the_rest_ignore(batch, seed):
    vocab_size, rows = batch
    out = make_collator(vocab_size, seed, mlm_probability=0.5)(rows)
    original = make_collator(vocab_size).pad(rows)
    labels, input_ids = out["labels"], out["input_ids"]
    assert labels.shape == input_ids.shape == out["attention_mask"].shape == (len(rows), max(map(len, rows)))
    special = np.isin(original, SPECIALS)
    chosen = labels != IGNORE_INDEX
    assert not (chosen & special).any(), "a special token or [PAD] was chosen for prediction"
    assert (labels[chosen] == original[chosen]).all(), "labels must hold the original tokens"
    assert (input_ids[~chosen] == original[~chosen]).all(), "unchosen tokens must stay as they were"
    assert (out["attention_mask"] == (original != PAD)).all()
    # a replacement is [MASK] or an ordinary token, never another special token
    replaced = input_ids[chosen]
    assert ((replaced == MASK) | ~np.isin(replaced, SPECIALS)).all()


@given(st.integers(0, 2**32 - 1), st.sampled_from([10, 100, 8000]), st.sampled_from([0.15, 0.3]))
def test_collator_proportions_within_statistical_bounds(seed, vocab_size, probability):
    rng = np.random.default_rng(seed)
    rows = rng.integers(5, vocab_size, size=(64, 128))
    rows[:, 0], rows[:, -1] = CLS, SEP
    rows[::3, 100:] = PAD  # padded tails: never chosen
    ordinary = np.isin(rows, SPECIALS, invert=True)
    out = make_collator(vocab_size, seed, mlm_probability=probability)(rows)
    chosen = out["labels"] != IGNORE_INDEX
    n = int(ordinary.sum())

    def within(count: int, trials: int, p: float) -> bool:
        # 6 standard deviations of a binomial: a false alarm about once in 500 million runs
        return abs(count - trials * p) <= 6 * math.sqrt(trials * p * (1 - p)) + 1

    assert within(int(chosen.sum()), n, probability)
    k = int(chosen.sum())
    as_mask = out["input_ids"][chosen] == MASK
    kept = out["input_ids"][chosen] == rows[chosen]
    # a random replacement lands on the original token with probability 1 / (ordinary vocabulary)
    same_by_chance = 0.1 / (vocab_size - len(SPECIALS))
    assert within(int(as_mask.sum()), k, 0.8)
    assert within(int(kept.sum()), k, 0.1 + same_by_chance)
    assert within(int((~as_mask & ~kept).sum()), k, 0.1 - same_by_chance)


def test_collator_pads_to_max_length_and_rejects_longer_rows():
    collator = make_collator(50)
    out = collator([[CLS, 7, 8, SEP], [CLS, 9, SEP]], max_length=6)
    assert out["input_ids"].shape == (2, 6)
    assert out["attention_mask"].tolist() == [[1, 1, 1, 1, 0, 0], [1, 1, 1, 0, 0, 0]]
    assert (out["token_type_ids"] == 0).all()
    with pytest.raises(ValueError, match="longer than max_length=3"):
        collator([[CLS, 7, 8, SEP]], max_length=3)
    with pytest.raises(ValueError, match=r"token ids must lie in \[0, 50\)"):
        collator([[CLS, 70, SEP]])
    with pytest.raises(ValueError, match="empty"):
        collator([])


def test_collator_is_reproducible_and_its_state_restores():
    rows = np.random.default_rng(0).integers(5, 100, size=(8, 32))
    first, second = make_collator(100, seed=7), make_collator(100, seed=7)
    assert all((first(rows)[k] == second(rows)[k]).all() for k in ("input_ids", "labels"))
    state = first.get_state()
    a = first(rows)
    first.set_state(state)
    b = first(rows)
    assert (a["input_ids"] == b["input_ids"]).all() and (a["labels"] == b["labels"]).all()
    assert not (make_collator(100, seed=8)(rows)["labels"] == a["labels"]).all()


def test_collator_rejects_bad_fractions():
    with pytest.raises(ValueError, match="mlm_probability"):
        make_collator(50, mlm_probability=0.0)
    with pytest.raises(ValueError, match="sum to at most 1"):
        make_collator(50, mask_fraction=0.9, random_fraction=0.2)


@given(st.lists(st.lists(st.integers(5, 40), max_size=12), max_size=12), st.integers(3, 10), st.booleans())
def test_pack_sequences_keeps_every_token_in_order(speeches, seq_len, keep_last):
    packed = pack_sequences(speeches, seq_len, CLS, SEP, PAD, keep_last=keep_last)
    assert packed.dtype == np.int64 and packed.shape[1:] == (seq_len,)
    stream = []
    for ids in (s for s in speeches if s):
        stream += ([SEP] if stream else []) + ids
    body = seq_len - 2
    assert len(packed) == len(stream) // body + (keep_last and len(stream) % body > 0)
    assert (packed[:, 0] == CLS).all()
    recovered = []
    for row in packed:
        real = row[row != PAD]
        assert real[-1] == SEP
        recovered += real[1:-1].tolist()
    assert recovered == stream[: len(recovered)]
    assert len(recovered) == (len(stream) if keep_last else len(stream) // body * body)


def test_pack_sequences_rejects_too_short_rows():
    with pytest.raises(ValueError, match="seq_len must be an int >= 3"):
        pack_sequences([[5, 6]], 2, CLS, SEP)


def test_unigram_log_probs_are_frequencies_with_add_one_smoothing():
    rows = np.array([[CLS, 5, 5, 6, SEP, PAD]])
    log_probs = unigram_log_probs(rows, 8, SPECIALS)
    probs = np.exp(log_probs)
    assert probs[list(SPECIALS)].sum() == 0
    assert probs.sum() == pytest.approx(1.0)
    # counts 5:2, 6:1, 7:0 -> plus one: 3, 2, 1 over 6
    assert probs[5:].tolist() == pytest.approx([3 / 6, 2 / 6, 1 / 6])
