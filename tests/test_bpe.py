"""BPETokenizer: exact round trips for any text, deterministic training, files."""

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinygrad_edu.data import BPETokenizer, load_corpus
from tinygrad_edu.data.bpe import split_into_chunks

CORPUS = Path(__file__).resolve().parents[1] / "data" / "shakespeare.txt"


@pytest.fixture(scope="module")
def texts():
    return load_corpus(CORPUS)[:1500]


@pytest.fixture(scope="module")
def trained(texts):
    return BPETokenizer.train(texts, vocab_size=600)


def test_chunks_keep_one_leading_space_and_rebuild_the_text():
    assert split_into_chunks("Hello, world!  Hi") == ["Hello", ",", " world", "!", " ", " Hi"]
    assert split_into_chunks("a1b") == ["a", "1", "b"]


@given(st.text())
def test_chunks_concatenate_back_to_the_text(text):
    assert "".join(split_into_chunks(text)) == text


# Every code point, lone surrogates included (hypothesis leaves them out unless told).
@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(exclude_categories=()), max_size=80))
def test_decode_inverts_encode_for_any_text(trained, text):
    ids = trained.encode(text)
    assert all(0 <= token_id < trained.vocab_size for token_id in ids)
    assert trained.decode(ids) == text


def test_round_trip_on_awkward_strings(trained):
    for text in ["", " ", "  \n\t", "naïve café", "中文 𝄞 emoji 🙂", "lone \ud800 surrogate", "x\x00y"]:
        assert trained.decode(trained.encode(text)) == text


def test_training_is_deterministic_and_compresses(trained, texts):
    assert trained.vocab_size == 600
    assert BPETokenizer.train(texts, vocab_size=600).merges == trained.merges
    sample = " ".join(texts[:100])
    assert len(trained.encode(sample)) < 0.5 * len(sample.encode("utf-8"))
    assert b" the" in trained.token_bytes  # the most common word with its space is one token


def test_save_and_load_round_trip(trained, texts, tmp_path):
    path = trained.save(tmp_path / "bpe.json")
    assert json.loads(path.read_text())["merges"][0] == list(trained.merges[0])
    assert not list(tmp_path.glob("*.tmp"))  # the atomic write left no temporary file behind
    loaded = BPETokenizer.load(path)
    assert loaded.merges == trained.merges
    assert loaded.encode(texts[7]) == trained.encode(texts[7])


def test_bad_inputs_raise_clear_errors(trained, tmp_path):
    with pytest.raises(FileNotFoundError, match="nothing.json"):
        BPETokenizer.load(tmp_path / "nothing.json")
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(ValueError, match="bad.json"):
        BPETokenizer.load(tmp_path / "bad.json")
    with pytest.raises(ValueError, match="vocab_size"):
        BPETokenizer.train(["abc"], vocab_size=100)
    with pytest.raises(ValueError, match="outside"):
        trained.decode([trained.vocab_size])
    with pytest.raises(ValueError, match="merge 0"):
        BPETokenizer([(300, 1)])
