"""Character-level data for the makemore models: a word list, a character tokenizer, and the
(context, next character) dataset that the bigram and MLP models learn from.

A word like "emma" becomes the examples (block_size 3, "." is the start/end token, id 0):

    ...  -> e      ..e -> m      .em -> m      emm -> a      mma -> .

The split is makemore's: shuffle the words with `random.seed(42)` and take 80% / 10% / 10% for
train / val / test, so figures can be compared with the reference implementations.
"""

from __future__ import annotations

import os
import random
from collections.abc import Iterable, Sequence

import numpy as np

from tinygrad_edu.data.paths import find_data_file
from tinygrad_edu.files import read_text

BOUNDARY = "."  # marks both the start and the end of a word; always id 0


class CharTokenizer:
    """Maps characters to integer ids and back: "." is id 0, the other characters follow in sorted order.

    >>> tok = CharTokenizer.from_words(["emma", "ava"])
    >>> tok.encode("ava"), tok.decode([2, 1, 0])
    ([1, 4, 1], 'ea.')
    """

    def __init__(self, chars: Iterable[str]) -> None:
        chars = sorted(set(chars) - {BOUNDARY})
        for char in chars:
            if len(char) != 1:
                raise ValueError(f"CharTokenizer: vocabulary entries must be single characters, got {char!r}")
        self.itos: list[str] = [BOUNDARY, *chars]  # id -> character
        self.stoi: dict[str, int] = {char: i for i, char in enumerate(self.itos)}  # character -> id

    @classmethod
    def from_words(cls, words: Iterable[str]) -> CharTokenizer:
        """The vocabulary is every character that occurs in `words`, plus the boundary "."."""
        return cls(set("".join(words)))

    @property
    def vocab_size(self) -> int:
        return len(self.itos)

    def __len__(self) -> int:
        return len(self.itos)

    def __repr__(self) -> str:
        return f"CharTokenizer(vocab_size={self.vocab_size}, chars={''.join(self.itos)!r})"

    def encode(self, text: str) -> list[int]:
        try:
            return [self.stoi[char] for char in text]
        except KeyError as error:
            raise ValueError(
                f"CharTokenizer.encode: character {error.args[0]!r} is not in the vocabulary "
                f"{''.join(self.itos)!r}"
            ) from None

    def decode(self, ids: Iterable[int]) -> str:
        ids = [int(i) for i in ids]
        for i in ids:
            if not 0 <= i < self.vocab_size:
                raise ValueError(f"CharTokenizer.decode: id {i} is outside 0..{self.vocab_size - 1}")
        return "".join(self.itos[i] for i in ids)

    # checkpoints store the tokenizer as a plain dict, so a saved model can be sampled without the data
    def to_dict(self) -> dict:
        return {"type": "char", "chars": "".join(self.itos[1:])}

    @classmethod
    def from_dict(cls, state: dict) -> CharTokenizer:
        if state.get("type") != "char":
            raise ValueError(f"CharTokenizer.from_dict: expected type 'char', got {state.get('type')!r}")
        return cls(state["chars"])


def load_words(path: str | os.PathLike) -> list[str]:
    """The words of a one-word-per-line text file, stripped, in file order.

    Blank lines are skipped, and so are lines containing "." or whitespace inside (the tokenizer uses
    "." as the word boundary). A missing file, an empty one, or one with no usable word raises a single
    clear error that names the path.
    """
    path = os.fspath(find_data_file(path))
    lines = [line.strip() for line in read_text(path, "data file").splitlines()]
    words = [word for word in lines if word and BOUNDARY not in word and not any(c.isspace() for c in word)]
    if not words:
        what = "is empty" if not any(lines) else "has no usable words (one word per line, no '.' or spaces)"
        raise ValueError(f"data file {path} {what}")
    return words


def split_words(
    words: Sequence[str], seed: int = 42, fractions: tuple[float, float] = (0.8, 0.9)
) -> tuple[list[str], list[str], list[str]]:
    """makemore's split: shuffle a copy with `random.seed(seed)`, then 80% train, 10% val, 10% test."""
    words = list(words)
    random.seed(seed)  # the global `random` state, exactly as makemore, so the split is the same
    random.shuffle(words)
    n1, n2 = int(fractions[0] * len(words)), int(fractions[1] * len(words))
    return words[:n1], words[n1:n2], words[n2:]


def build_dataset(
    words: Iterable[str], tokenizer: CharTokenizer, block_size: int
) -> tuple[np.ndarray, np.ndarray]:
    """Every (context, next id) pair of the words: X int64 (N, block_size), Y int64 (N,).

    Each word is read as "." * block_size + word + ".", so the model also learns where words start
    and end. Both are plain numpy arrays; index them with a batch of row numbers, then wrap in a Tensor.
    """
    if block_size < 1:
        raise ValueError(f"build_dataset: block_size must be at least 1, got {block_size}")
    contexts: list[list[int]] = []
    targets: list[int] = []
    for word in words:
        ids = [0] * block_size + tokenizer.encode(word) + [0]
        for t in range(len(ids) - block_size):
            contexts.append(ids[t : t + block_size])
            targets.append(ids[t + block_size])
    X = np.array(contexts, dtype=np.int64).reshape(-1, block_size)
    Y = np.array(targets, dtype=np.int64)
    return X, Y
