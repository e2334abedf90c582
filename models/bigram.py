"""Bigram models of characters: the next character depends only on the current one.

Two ways to get the same 27x27 table of probabilities P[current, next]:
- `BigramCounts` counts how often each pair occurs in the training words and normalises the rows
  (add-k smoothing keeps unseen pairs from having probability 0, i.e. infinite loss);
- `BigramNN` is a single weight matrix W (27x27) trained by gradient descent: the logits for the
  next character are row W[current] (an embedding lookup, the same as one_hot(current) @ W), and
  softmax(W) converges to the count table, so both reach the same loss (within 0.01).
Both take contexts idx (B, 1) (or (B, T), of which only the last id is used) and return
`(logits, loss)`, so the same training, evaluation and sampling code serves every makemore model.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import models.sampling as sampling
import tinygrad_edu as tg
from tinygrad_edu import nn
from tinygrad_edu.nn import functional as F


@dataclass
class BigramConfig:
    vocab_size: int = 27
    block_size: int = 1  # a bigram sees one character of context
    smoothing: float = 1.0  # BigramCounts: add this many fake counts to every pair
    one_hot: bool = False  # BigramNN: one_hot(idx) @ W instead of the (equivalent, faster) row lookup


def _last_ids(idx: tg.Tensor) -> np.ndarray:
    ids = idx.data if isinstance(idx, tg.Tensor) else np.asarray(idx)
    return ids[:, -1] if ids.ndim == 2 else ids


class _Sampler:
    def generate(self, idx, max_new_tokens, temperature=1.0, top_k=None, generator=None):
        return sampling.generate(self, idx, max_new_tokens, temperature, top_k, generator)

    def sample(self, num_samples=20, temperature=1.0, generator=None, max_length=50):
        """`num_samples` words as lists of ids (without the "." boundaries)."""
        return sampling.sample_words(self, num_samples, temperature, generator, max_length)


class BigramCounts(_Sampler, nn.Module):
    """The counting model: P[i, j] = (N[i, j] + k) / sum_j (N[i, j] + k). Call `fit(X, Y)` once."""

    def __init__(self, config: BigramConfig | None = None) -> None:
        super().__init__()
        self.config = config or BigramConfig()
        V = self.config.vocab_size
        self.register_buffer("counts", tg.zeros(V, V))  # N[current, next], saved in the checkpoint

    def fit(self, X: np.ndarray, Y: np.ndarray) -> BigramCounts:
        """Count every (current, next) pair of the dataset (X (N, T) contexts, Y (N,) next ids)."""
        counts = np.zeros((self.config.vocab_size,) * 2, dtype=np.float64)
        np.add.at(counts, (_last_ids(X), np.asarray(Y)), 1)  # add.at: repeated pairs all count
        self.counts.data[...] = counts
        return self

    @property
    def probs(self) -> np.ndarray:
        smoothed = self.counts.data.astype(np.float64) + self.config.smoothing
        return smoothed / smoothed.sum(axis=1, keepdims=True)

    def forward(self, idx: tg.Tensor, targets: tg.Tensor | None = None):
        # log-probabilities are valid logits: softmax(log P[i]) = P[i] since each row sums to one
        logits = tg.Tensor(np.log(self.probs[_last_ids(idx)]).astype(np.float32))
        loss = F.cross_entropy(logits, targets) if targets is not None else None
        return logits, loss

    def loss(self, X: np.ndarray, Y: np.ndarray) -> float:
        """The mean negative log-likelihood of the pairs: -mean(log P[x, y])."""
        return float(-np.log(self.probs[_last_ids(X), np.asarray(Y)]).mean())


class BigramNN(_Sampler, nn.Module):
    """One 27x27 weight: logits = W[current]. Trained with cross-entropy it learns log-counts."""

    def __init__(self, config: BigramConfig | None = None, generator: tg.Generator | None = None) -> None:
        super().__init__()
        self.config = config or BigramConfig()
        V = self.config.vocab_size
        self.weight = nn.Parameter(tg.randn(V, V, generator=generator))

    def forward(self, idx: tg.Tensor, targets: tg.Tensor | None = None):
        ids = tg.Tensor(_last_ids(idx))
        if self.config.one_hot:
            logits = F.one_hot(ids, self.config.vocab_size).float() @ self.weight  # (B, V) @ (V, V)
        else:
            logits = F.embedding(ids, self.weight)  # the same rows, without the multiplications
        loss = F.cross_entropy(logits, targets) if targets is not None else None
        return logits, loss
