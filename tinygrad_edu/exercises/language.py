"""The checks of notebooks 06-08 (tokenization, attention from scratch, the character transformer).

Each right answer is computed here from the lesson's objects or with the library, never written out.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np

import tinygrad_edu as tg
from tinygrad_edu import nn
from tinygrad_edu.data.merges import merge_pair
from tinygrad_edu.data.unigram import UnigramTokenizer
from tinygrad_edu.data.wordpiece import WordPieceTokenizer
from tinygrad_edu.exercises.compare import answered, call, close, exact, exercise, fail
from tinygrad_edu.nn import functional as F
from tinygrad_edu.nn.attention import causal_mask, scaled_dot_product_attention
from tinygrad_edu.nn.positional import sinusoidal_encoding

# ---- 06 tokenization ----


@exercise("06.1")
def _most_frequent_pair(answer: Any) -> None:
    text = "aaabdaaabac"
    pair = "".join(Counter(zip(text, text[1:])).most_common(1)[0][0])
    answer = answered(answer)
    if isinstance(answer, str) and len(answer) != 2:
        fail("exercise 1", f"a pair is 2 characters, you gave {len(answer)}")
    exact(
        "exercise 1",
        answer,
        pair,
        what="a 2-character string",
        hint="list every neighbouring pair (a,a), (a,a), (a,b), ... and count them, overlaps included.",
    )


@exercise("06.2")
def _merge(merge: Any) -> None:
    cases = [
        ([1, 2, 3, 1, 2], (1, 2), 9),
        ([5, 5, 5], (5, 5), 7),
        ([1], (1, 2), 9),
        ([3, 1, 2, 2], (2, 2), 4),
    ]
    for ids, pair, new_id in cases:
        yours = call("exercise 2", merge, list(ids), pair, new_id)
        exact(
            f"exercise 2, merge({ids}, {pair}, {new_id}) gave {yours!r}",
            yours,
            merge_pair(list(ids), pair, new_id),
            what="a list of ids",
            hint="scan left to right; after a merge continue after the pair, so [5, 5, 5] merges once.",
        )


@exercise("06.3", "vocab")
def _wordpiece_split(answer: Any, vocab: list[str]) -> None:
    answer = answered(answer)
    pieces = WordPieceTokenizer(vocab).split_word("unhappiness")
    if isinstance(answer, (list, tuple)) and "".join(p.removeprefix("##") for p in answer) != "unhappiness":
        fail("exercise 3", "your pieces do not spell 'unhappiness' (drop the '##' and join them)")
    exact(
        "exercise 3",
        answer,
        pieces,
        what="a list of pieces (strings)",
        hint="at each position take the LONGEST entry that matches ('##' entries after the start), "
        "even when a shorter one would give fewer pieces.",
    )


@exercise("06.4", "pieces")
def _viterbi_by_hand(answer: Any, pieces: dict[str, float]) -> None:
    answer = answered(answer)
    if isinstance(answer, (list, tuple)) and "".join(answer) != "▁unhappy":
        fail("exercise 4", "your pieces do not spell '▁unhappy' when joined")
    exact(
        "exercise 4",
        answer,
        UnigramTokenizer(pieces).viterbi("▁unhappy"),
        what="a list of pieces (strings)",
        hint="add up the log-probabilities of each way to cut the word; the largest total wins, "
        "even when its first piece is not the longest.",
    )


# ---- 07 attention from scratch ----


@exercise("07.1")
def _uniform_entropy(answer: Any) -> None:
    probs = F.softmax(tg.zeros(8, dtype=tg.float64), dim=-1)
    close(
        "exercise 1",
        answer,
        -(probs * probs.log()).sum(),
        factors={"8 (the number of tokens)": 8},
        hint="entropy is -sum p log p; here all 8 tokens have the same p.",
    )


@exercise("07.2")
def _causal_mask(answer: Any) -> None:
    answer = answered(answer)
    array = np.asarray(answer)
    if array.dtype == object or array.ndim != 2:
        fail("exercise 2", "expected a (4, 4) array of booleans (True = forbidden)")
    expected = causal_mask(4).numpy()
    if array.shape == expected.shape and np.array_equal(array.astype(bool), ~expected):
        fail("exercise 2", "True and False are swapped: True marks the FORBIDDEN pairs")
    if array.shape == expected.shape and np.array_equal(array.astype(bool), expected.T):
        fail("exercise 2", "that is the transpose: row i is the query, column j the key")
    close(
        "exercise 2",
        array.astype(float),
        expected.astype(float),
        hint="row i is the query, column j the key; forbid j > i (strictly above the diagonal).",
    )


@exercise("07.3")
def _numpy_attention(numpy_attention: Any) -> None:
    rng = np.random.default_rng(0)
    q, k, v = (rng.standard_normal((5, 8)) * scale for scale in (30, 30, 1))  # scores past exp's range
    yours = call("exercise 3", numpy_attention, q.copy(), k.copy(), v.copy())
    if not np.all(np.isfinite(np.asarray(yours, dtype=float))):
        fail("exercise 3", "your output holds inf or nan: subtract each row's maximum before np.exp")
    expected = scaled_dot_product_attention(*(tg.tensor(a)[None, None] for a in (q, k, v)))[0]
    close(
        "exercise 3",
        yours,
        expected[0, 0],
        hint="softmax(q @ k.T / sqrt(D), axis=-1) @ v; keep the 1/sqrt(D), normalise along the last axis.",
    )


# ---- 08 the character transformer ----


@exercise("08.1", "block")
def _block_parameters(answer: Any, block: nn.Module) -> None:
    exact(
        "exercise 1",
        answer,
        sum(p.numel() for p in block.parameters()),
        hint="each Linear(a, b) has a*b + b; two LayerNorms of 2C, four (C, C) Linears, one (C, 4C), one (4C, C).",
    )


@exercise("08.2", "model", "batch")
def _attention_map_shape(answer: Any, model: nn.Module, batch: Any) -> None:
    with tg.no_grad(), model.capture_attention():
        model(tg.Tensor(batch))
    exact(
        "exercise 2",
        None if answer is None else tuple(answer),
        tuple(model.attention_maps()[0].shape),
        what="a tuple",
        hint="batch, heads, then one row per query position and one column per key position.",
    )


@exercise("08.3")
def _layer_norm(my_layer_norm: Any) -> None:
    x = np.random.default_rng(3).normal(1.0, 2.0, size=(2, 5, 32))
    gamma, beta = np.linspace(0.5, 1.5, 32), np.linspace(-1, 1, 32)
    yours = call("exercise 3", my_layer_norm, x.copy(), gamma, beta)
    expected = F.layer_norm(tg.Tensor(x), (32,), tg.Tensor(gamma), tg.Tensor(beta))
    close(
        "exercise 3",
        yours,
        expected,
        atol=1e-4,
        hint="mean and variance over axis=-1 with keepdims=True, one pair per position.",
    )


@exercise("08.4")
def _positional_dot_product(answer: Any) -> None:
    table = sinusoidal_encoding(16, 32)
    close(
        "exercise 4",
        answer,
        table[5] @ table[8],
        factors={"2 (sine and cosine counted twice)": 2},
        hint="each (sin, cos) pair contributes cos(k w_i) with k = 3; add up the 16 pairs, w_i = 10000^(-2i/32).",
    )
