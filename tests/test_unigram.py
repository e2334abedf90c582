"""UnigramTokenizer: round trips, the lattice algorithms against brute force, EM, sampling, files."""

import itertools
import json
import math
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinygrad_edu.data import load_corpus
from tinygrad_edu.data.unigram import UNK_TEXT, UnigramTokenizer, split_words

CORPUS = Path(__file__).resolve().parents[1] / "data" / "shakespeare.txt"


@pytest.fixture(scope="module")
def texts():
    return load_corpus(CORPUS)[:200]


@pytest.fixture(scope="module")
def trained(texts):
    return UnigramTokenizer.train(texts, vocab_size=200)


def segmentations(word):
    """Every way of cutting `word` into non-empty parts."""
    for cuts in itertools.product([False, True], repeat=len(word) - 1):
        parts, start = [], 0
        for index, cut in enumerate(cuts, start=1):
            if cut:
                parts.append(word[start:index])
                start = index
        yield [*parts, word[start:]]


TOY = UnigramTokenizer({"▁": -2.0, "a": -1.5, "b": -2.5, "ab": -1.0, "▁a": -1.2, "ba": -3.0, "bab": -2.2})


def toy_log_prob(parts):
    return sum(TOY.scores[p] for p in parts) if all(p in TOY.scores for p in parts) else -math.inf


@pytest.mark.parametrize("word", ["▁ab", "▁abab", "▁babab", "▁aabba"])
def test_viterbi_finds_the_most_probable_segmentation(word):
    best = max(segmentations(word), key=toy_log_prob)
    assert TOY.viterbi(word) == best


@pytest.mark.parametrize("word", ["▁abab", "▁babab"])
def test_expected_counts_and_sampling_match_the_enumerated_distribution(word):
    cuts = [s for s in segmentations(word) if toy_log_prob(s) > -math.inf]
    weights = np.exp([toy_log_prob(s) for s in cuts])
    counts, log_z = TOY.expected_counts(word)
    assert log_z == pytest.approx(math.log(weights.sum()), abs=1e-12)
    expected = Counter()
    for cut, weight in zip(cuts, weights / weights.sum()):
        for piece in cut:
            expected[piece] += weight
    assert counts == pytest.approx(dict(expected), abs=1e-12)
    alpha = 0.5  # sampling draws p(segmentation)^alpha, normalised
    target = weights**alpha / (weights**alpha).sum()
    rng = np.random.default_rng(0)
    drawn = Counter(tuple(TOY.sample(word, alpha, rng)) for _ in range(4000))
    observed = np.array([drawn[tuple(cut)] / 4000 for cut in cuts])
    np.testing.assert_allclose(observed, target, atol=0.03)


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_decode_inverts_encode_on_the_training_alphabet(trained, texts, data):
    alphabet = sorted({c for text in texts for c in text if not c.isspace()})
    words = st.text(alphabet=st.sampled_from(alphabet), min_size=1, max_size=12)
    text = " ".join(data.draw(st.lists(words, max_size=8)))
    assert trained.decode(trained.encode(text)) == text
    sampled = trained.encode(text, enable_sampling=True, rng=np.random.default_rng(1))
    assert trained.decode(sampled) == text


def test_whitespace_is_normalised_and_unseen_characters_become_unk(trained):
    assert trained.decode(trained.encode("  to   be\nor ")) == "to be or"
    ids = trained.encode("to \u00e9be")
    assert 0 in ids and trained.decode(ids) == f"to {UNK_TEXT}be"


def test_training_keeps_every_character_and_reaches_the_vocabulary_size(trained, texts):
    assert trained.vocab_size == 200 and trained.vocab[0] == "<unk>"
    characters = {c for word in Counter(w for t in texts for w in split_words(t)) for c in word}
    assert characters <= set(trained.vocab)
    probabilities = np.exp([trained.scores[p] for p in trained.vocab[1:]])
    assert probabilities.sum() == pytest.approx(1.0, abs=1e-9)


def test_em_steps_raise_the_likelihood(texts):
    words = Counter(w for text in texts[:80] for w in split_words(text))
    characters = {c for w in words for c in w}
    model = UnigramTokenizer.train(texts[:80], vocab_size=150, em_iterations=1)
    likelihoods = []
    for _ in range(3):
        likelihoods.append(sum(n * model.expected_counts(w)[1] for w, n in words.items()))
        model = model._em_step(words, characters)
    assert likelihoods[0] <= likelihoods[1] + 1e-6 <= likelihoods[2] + 2e-6


def test_save_and_load_give_the_same_tokenizer(trained, texts, tmp_path):
    path = trained.save(tmp_path / "sub" / "unigram.json")
    loaded = UnigramTokenizer.load(path)
    assert loaded.vocab == trained.vocab
    for text in texts[:30]:
        assert loaded.encode(text) == trained.encode(text)
    assert [p.name for p in path.parent.iterdir()] == ["unigram.json"]  # no temporary file left
    path.write_text(json.dumps({"format": "something else"}))
    with pytest.raises(ValueError, match="is not a tinygrad_edu unigram file"):
        UnigramTokenizer.load(path)
    with pytest.raises(FileNotFoundError, match="no tokenizer file"):
        UnigramTokenizer.load(tmp_path / "missing.json")


def test_bad_input_gets_one_clear_error(trained):
    with pytest.raises(ValueError, match=r"vocab_size must be an int >= \d+"):
        UnigramTokenizer.train(["to be or not"], vocab_size=3)
    with pytest.raises(TypeError, match="not one string"):
        UnigramTokenizer.train("to be", vocab_size=50)
    with pytest.raises(ValueError, match=r"token id 999 is outside \[0, 200\)"):
        trained.decode([999])
    with pytest.raises(TypeError, match="expected a str"):
        trained.encode(3)
