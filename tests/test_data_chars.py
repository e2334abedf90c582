"""tinygrad_edu/data/chars.py: the character tokenizer, the word list reader, the split and the dataset."""

import random
from pathlib import Path

import numpy as np
import pytest

from tinygrad_edu.data import CharTokenizer, build_dataset, load_words, split_words


def test_tokenizer_boundary_is_zero_and_vocabulary_is_sorted():
    tok = CharTokenizer.from_words(["emma", "olivia", "ava"])
    assert tok.itos[0] == "." and tok.stoi["."] == 0
    assert tok.itos[1:] == sorted(set("emmaoliviaava"))
    assert tok.vocab_size == len(set("emmaoliviaava")) + 1
    assert tok.decode(tok.encode("olivia")) == "olivia"


def test_tokenizer_round_trips_through_its_dict():
    tok = CharTokenizer.from_words(["zoë", "ann"])
    again = CharTokenizer.from_dict(tok.to_dict())
    assert again.itos == tok.itos and again.stoi == tok.stoi


def test_tokenizer_errors_name_the_character_and_id():
    tok = CharTokenizer.from_words(["ab"])
    with pytest.raises(ValueError, match="'z'"):
        tok.encode("az")
    with pytest.raises(ValueError, match="id 7"):
        tok.decode([7])
    with pytest.raises(ValueError, match="type 'char'"):
        CharTokenizer.from_dict({"type": "bpe"})


def test_build_dataset_contexts_and_targets():
    tok = CharTokenizer.from_words(["emma", "ava"])  # . a e m v -> 0 1 2 3 4
    X, Y = build_dataset(["emma"], tok, block_size=3)
    assert X.dtype == np.int64 and Y.dtype == np.int64
    assert X.shape == (5, 3) and Y.shape == (5,)  # 4 characters + the end token
    assert X.tolist() == [[0, 0, 0], [0, 0, 2], [0, 2, 3], [2, 3, 3], [3, 3, 1]]
    assert tok.decode(Y) == "emma."
    X1, Y1 = build_dataset(["emma", "ava"], tok, block_size=1)
    assert X1.shape == (9, 1) and len(Y1) == 9
    with pytest.raises(ValueError, match="block_size"):
        build_dataset(["emma"], tok, 0)


def test_split_matches_makemore_and_leaves_input_alone():
    words = [f"w{i}" for i in range(100)]
    expected = list(words)
    random.seed(42)
    random.shuffle(expected)
    train, val, test = split_words(words)
    assert (train, val, test) == (expected[:80], expected[80:90], expected[90:])
    assert words == [f"w{i}" for i in range(100)]


def test_load_words_skips_blank_and_unusable_lines(tmp_path):
    path = tmp_path / "names.txt"
    path.write_text("emma\n\n  olivia  \nmr. x\nava\n", encoding="utf-8")
    assert load_words(path) == ["emma", "olivia", "ava"]


@pytest.mark.parametrize(
    "content, message",
    [(None, "not found"), ("", "is empty"), ("\n\n", "is empty"), ("a.b\nc d\n", "no usable")],
)
def test_load_words_bad_files_name_the_path(tmp_path, content, message):
    path = tmp_path / "words.txt"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises((FileNotFoundError, ValueError), match=message) as info:
        load_words(path)
    assert str(path) in str(info.value)


def test_repository_names_list_loads():
    words = load_words(Path(__file__).resolve().parent.parent / "data" / "names.txt")
    tok = CharTokenizer.from_words(words)
    assert tok.vocab_size == 27
