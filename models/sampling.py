"""Sampling shared by the autoregressive models: `generate` (continue a batch of id sequences, as
nanoGPT's) and `sample_words` (draw whole words between "." boundaries, as makemore's).

`generate` serves fixed-context models (bigram, MLP): `forward(idx)` on the last `block_size` ids
returns logits (B, V) for the next token (or (B, T, V), of which the last position is used).
`sample_words` works with any model that has a nanoGPT-style method
`model.generate(idx, max_new_tokens, temperature=..., generator=...)`, the GPT included.
"""

from __future__ import annotations

import numpy as np

import tinygrad_edu as tg


@tg.no_grad()
def generate(
    model,
    idx: tg.Tensor,
    max_new_tokens: int,
    temperature: float = 1.0,
    top_k: int | None = None,
    generator: tg.Generator | None = None,
    pad_context: bool = True,
) -> tg.Tensor:
    """Append `max_new_tokens` sampled ids to each row of `idx` (B, T) and return (B, T + new).

    The model sees the last `block_size` ids; with `pad_context` (fixed-context models) a shorter row
    is left-padded with 0 (the "." start token), without it (GPT) it is passed as it is. Logits are divided by `temperature` (lower: safer, higher: wilder) and optionally cut to
    the `top_k` largest before the softmax; the draw uses `generator` so a seed fixes the samples.
    """
    if temperature <= 0:
        raise ValueError(f"generate: temperature must be positive, got {temperature}")
    if top_k is not None and top_k < 1:
        raise ValueError(f"generate: top_k must be at least 1, got {top_k}")
    block_size = model.config.block_size
    was_training = model.training
    model.eval()
    ids = np.asarray(idx.data if isinstance(idx, tg.Tensor) else idx, dtype=np.int64)
    if ids.ndim != 2 or ids.shape[1] == 0:
        raise ValueError(f"generate: idx must be (batch, time) with time >= 1, got shape {ids.shape}")
    try:
        for _ in range(max_new_tokens):
            context = ids[:, -block_size:]
            if pad_context and context.shape[1] < block_size:
                padding = np.zeros((ids.shape[0], block_size - context.shape[1]), dtype=np.int64)
                context = np.concatenate([padding, context], axis=1)
            logits, _ = model(tg.Tensor(context))
            if logits.ndim == 3:  # (B, T, V): the prediction after the last position
                logits = logits[:, -1, :]
            logits = logits / temperature
            if top_k is not None:
                kth = np.sort(logits.data, axis=-1)[:, -min(top_k, logits.shape[-1])][:, None]
                logits = logits.masked_fill(tg.Tensor(logits.data < kth), float("-inf"))
            probs = logits.softmax(-1)
            next_ids = tg.multinomial(probs, 1, replacement=True, generator=generator)  # (B, 1)
            ids = np.concatenate([ids, next_ids.data], axis=1)
    finally:
        model.train(was_training)
    return tg.Tensor(ids)


def sample_words(
    model,
    num_samples: int = 20,
    temperature: float = 1.0,
    generator: tg.Generator | None = None,
    max_length: int = 50,
) -> list[list[int]]:
    """Draw `num_samples` words: start from "." (id 0) and sample until the model emits "." again
    (or `max_length` characters). Returns each word's ids without the boundary tokens."""
    start = tg.zeros(num_samples, 1, dtype=tg.int64)
    rows = model.generate(start, max_length + 1, temperature=temperature, generator=generator)
    rows = rows.data[:, 1:]
    words = []
    for row in rows:
        ends = np.flatnonzero(row == 0)
        words.append(row[: ends[0] if len(ends) else max_length].tolist())
    return words
