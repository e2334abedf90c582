"""A decoder-only transformer (GPT) for characters: the model of "Attention Is All You Need" without
the encoder, in the pre-LayerNorm arrangement of GPT-2.

    idx (B, T) -> token embedding + position embedding                          (B, T, C)
               -> n_layer blocks, each:   x = x + proj(attention(ln_1(x)))      causal: i sees j <= i
                                          x = x + mlp(ln_2(x))                  C -> 4C -> GELU -> C
               -> final LayerNorm -> lm_head                                    (B, T, vocab_size)

Every position predicts the next token, so one sequence of T tokens gives T training examples. The
attention itself is the shared `tinygrad_edu.nn.attention.SelfAttention` (the one BERT uses) with
`causal=True`; inside `model.capture_attention()` each block keeps the attention probabilities of its
last forward pass so they can be plotted (`model.attention_maps()`, `examples/plot_attention.py`).

Initialisation follows GPT-2: weights ~ N(0, 0.02), biases 0, and the two projections that write into
the residual stream scaled down by 1/sqrt(2 * n_layer), so the stream's variance does not grow with
depth at the start of training.
"""

from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass

import numpy as np

import tinygrad_edu as tg
from models.sampling import generate, sample_words
from tinygrad_edu import nn
from tinygrad_edu.nn import functional as F
from tinygrad_edu.nn.attention import SelfAttention
from tinygrad_edu.nn.functional import IGNORE_INDEX  # targets to skip (padding after a name's end)


@dataclass
class GPTConfig:
    block_size: int = 16  # the longest sequence the model can read (positions 0..block_size-1)
    vocab_size: int = 27
    n_layer: int = 4
    n_head: int = 4
    n_embd: int = 64  # the width of the residual stream; each head has n_embd // n_head channels
    dropout: float = 0.0
    bias: bool = True  # biases in the Linear and LayerNorm layers
    tie_weights: bool = False  # lm_head shares its weight with the token embedding
    positional: str = "learned"  # "learned" (a trained table) or "sinusoidal" (the fixed sin/cos table)

    def __post_init__(self) -> None:
        for name in ("block_size", "vocab_size", "n_layer", "n_head", "n_embd"):
            if getattr(self, name) < 1:
                raise ValueError(f"GPTConfig: {name} must be at least 1, got {getattr(self, name)}")
        if self.n_embd % self.n_head:
            raise ValueError(f"GPTConfig: n_embd {self.n_embd} is not divisible by n_head {self.n_head}")
        if self.positional not in ("learned", "sinusoidal"):
            raise ValueError(
                f"GPTConfig: positional must be 'learned' or 'sinusoidal', got {self.positional!r}"
            )
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"GPTConfig: dropout must be in [0, 1), got {self.dropout}")


class MLP(nn.Module):
    """The position-wise feed-forward part of a block: C -> 4C -> GELU -> C."""

    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        self.fc = nn.Linear(config.n_embd, 4 * config.n_embd, bias=config.bias)
        self.gelu = nn.GELU()
        self.proj = nn.Linear(4 * config.n_embd, config.n_embd, bias=config.bias)
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, x: tg.Tensor) -> tg.Tensor:
        return self.dropout(self.proj(self.gelu(self.fc(x))))


class Block(nn.Module):
    """One pre-LN transformer block: attention then MLP, each read from a LayerNorm of the residual
    stream and added back to it."""

    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        self.ln_1 = nn.LayerNorm(config.n_embd, bias=config.bias)
        self.attn = SelfAttention(
            config.n_embd, config.n_head, dropout=config.dropout, causal=True, bias=config.bias
        )
        self.attn_proj = nn.Linear(config.n_embd, config.n_embd, bias=config.bias)  # mixes the heads
        self.attn_dropout = nn.Dropout(config.dropout)
        self.ln_2 = nn.LayerNorm(config.n_embd, bias=config.bias)
        self.mlp = MLP(config)
        # (B, H, T, T) from the last forward pass run with keep_attention_probs on (see
        # GPT.capture_attention); off by default, so that training holds no such array per layer
        self.keep_attention_probs = False
        self.attention_probs: np.ndarray | None = None

    def forward(self, x: tg.Tensor) -> tg.Tensor:
        attention = self.attn(self.ln_1(x))  # AttentionOutput(context (B, T, C), probs, scores)
        if self.keep_attention_probs:
            self.attention_probs = attention.probs.data  # a reference, not a copy: kept for plotting
        x = x + self.attn_dropout(self.attn_proj(attention.context))
        return x + self.mlp(self.ln_2(x))


class GPT(nn.Module):
    def __init__(self, config: GPTConfig | None = None, generator: tg.Generator | None = None) -> None:
        super().__init__()
        self.config = config = config or GPTConfig()
        self.wte = nn.Embedding(config.vocab_size, config.n_embd)  # token embedding
        if config.positional == "sinusoidal":  # position embedding: fixed, or learned
            self.wpe = nn.SinusoidalPositionalEncoding(config.block_size, config.n_embd)
        else:
            self.wpe = nn.Embedding(config.block_size, config.n_embd)
        self.drop = nn.Dropout(config.dropout)
        self.blocks = nn.ModuleList([Block(config) for _ in range(config.n_layer)])
        self.ln_f = nn.LayerNorm(config.n_embd, bias=config.bias)
        self.lm_head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
        self._init_weights(generator)
        if config.tie_weights:
            self.lm_head.weight = self.wte.weight  # one Parameter, two uses: its gradients add up

    def _init_weights(self, generator: tg.Generator | None) -> None:
        residual_std = 0.02 / math.sqrt(2 * self.config.n_layer)
        with tg.no_grad():
            for name, module in self.named_modules():
                if isinstance(module, nn.Linear | nn.Embedding):
                    std = residual_std if name.endswith(("attn_proj", "mlp.proj")) else 0.02
                    nn.init.normal_(module.weight, std=std, generator=generator)
                if isinstance(module, nn.Linear) and module.bias is not None:
                    nn.init.zeros_(module.bias)

    def _check_ids(self, what: str, ids: np.ndarray, allow_ignore: bool = False) -> None:
        if ids.dtype.kind not in "iu":
            raise TypeError(f"GPT: {what} must hold integer token ids, got dtype {ids.dtype}")
        valid = ids[ids != IGNORE_INDEX] if allow_ignore else ids
        if valid.size and (valid.min() < 0 or valid.max() >= self.config.vocab_size):
            bad = valid.min() if valid.min() < 0 else valid.max()
            raise ValueError(
                f"GPT: {what} contains token id {bad}, outside the vocabulary 0..{self.config.vocab_size - 1}"
            )

    def forward(self, idx: tg.Tensor, targets: tg.Tensor | None = None):
        """idx (B, T) token ids, T <= block_size -> (logits (B, T, vocab_size), loss or None).

        targets (B, T): the next token at each position; positions with target -1 are ignored."""
        ids = idx.data if isinstance(idx, tg.Tensor) else np.asarray(idx)
        if ids.ndim != 2:
            raise ValueError(f"GPT: idx must have shape (batch, time), got {tuple(ids.shape)}")
        B, T = ids.shape
        if T > self.config.block_size:
            raise ValueError(
                f"GPT: cannot read a sequence of length {T}: block_size is {self.config.block_size}"
            )
        self._check_ids("idx", ids)
        positions = tg.Tensor(np.arange(T))
        x = self.drop(self.wte(ids) + self.wpe(positions))  # (B, T, C) + (T, C)
        for block in self.blocks:
            x = block(x)
        logits = self.lm_head(self.ln_f(x))  # (B, T, V)
        if targets is None:
            return logits, None
        target_ids = targets.data if isinstance(targets, tg.Tensor) else np.asarray(targets)
        if tuple(target_ids.shape) != (B, T):
            raise ValueError(f"GPT: targets must have idx's shape {(B, T)}, got {tuple(target_ids.shape)}")
        self._check_ids("targets", target_ids, allow_ignore=True)
        loss = F.cross_entropy(
            logits.reshape(B * T, -1), tg.Tensor(target_ids.reshape(B * T)), ignore_index=IGNORE_INDEX
        )
        return logits, loss

    @contextlib.contextmanager
    def capture_attention(self):
        """Inside the block, every forward pass keeps each layer's attention probabilities for
        `attention_maps()`; outside it nothing is kept.

            with model.capture_attention():
                model(idx)
            maps = model.attention_maps()
        """
        for block in self.blocks:
            block.keep_attention_probs = True
        try:
            yield self
        finally:
            for block in self.blocks:
                block.keep_attention_probs = False

    def attention_maps(self) -> list[np.ndarray]:
        """The attention probabilities of the last forward pass run inside `capture_attention()`, one
        (B, H, T, T) array per layer: entry [b, h, i, j] is how much position i attended to position j
        in head h."""
        if any(block.attention_probs is None for block in self.blocks):
            raise RuntimeError(
                "GPT.attention_maps: run the model on some input inside `with model.capture_attention():` first"
            )
        return [block.attention_probs for block in self.blocks]

    @tg.no_grad()
    def generate(
        self,
        idx: tg.Tensor,
        max_new_tokens: int,
        temperature: float = 1.0,
        top_k: int | None = None,
        generator: tg.Generator | None = None,
    ) -> tg.Tensor:
        """Append `max_new_tokens` sampled ids to each row of idx (B, T) and return (B, T + new).

        The model reads at most the last block_size ids. The next-token logits are divided by
        `temperature` (below 1: safer, above 1: wilder), optionally cut to the `top_k` largest, and
        sampled with `generator`, so a seeded generator gives the same text every time."""
        # the shared sampling loop, without left padding: GPT reads shorter contexts as they are, so
        # the first token keeps position 0
        return generate(self, idx, max_new_tokens, temperature, top_k, generator, pad_context=False)

    def sample(self, num_samples: int = 20, temperature: float = 1.0, generator=None, max_length: int = 50):
        """`num_samples` words as lists of ids (without "." boundaries), for models trained on names."""
        max_length = min(max_length, self.config.block_size - 1)  # "." + word must fit the context
        return sample_words(self, num_samples, temperature, generator, max_length)
