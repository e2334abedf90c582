"""Multi-head self-attention, written out step by step; the one implementation GPT and BERT share.

For an input x of shape (B, T, C) with H heads of size D = C / H:

    Q, K, V = x Wq, x Wk, x Wv                         # (B, T, C) each: the projections
    Q, K, V -> (B, H, T, D)                            # split heads: a reshape and a transpose
    scores  = Q K^T / sqrt(D)                          # (B, H, T, T): how much token i attends to j
    scores += mask                                     # -inf (or a very negative number) where not allowed
    probs   = softmax(scores, dim=-1)                  # each row sums to one
    context = dropout(probs) V -> (B, T, C)            # weighted values, heads merged back

Dividing by sqrt(D) keeps the scores' variance near one whatever the head size; without it softmax
saturates and its gradients vanish. `causal=True` (GPT) lets position i see only positions <= i;
BERT instead passes a padding mask so that no token attends to [PAD]. The scores with the causal
mask are one op (`ops/attention.py`: one array instead of four in the graph); `causal_mask` below is
the same mask as a tensor, for building attention from primitives by hand.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

import tinygrad_edu.nn.functional as F
from tinygrad_edu.nn.layers import Linear
from tinygrad_edu.nn.module import Module
from tinygrad_edu.ops import attention as attention_ops
from tinygrad_edu.tensor import Tensor


def split_heads(x: Tensor, num_heads: int) -> Tensor:
    """(B, T, C) -> (B, H, T, C / H)"""
    batch, time, channels = x.shape
    return x.reshape(batch, time, num_heads, channels // num_heads).transpose(1, 2)


def merge_heads(x: Tensor) -> Tensor:
    """(B, H, T, D) -> (B, T, H * D)"""
    batch, heads, time, head_size = x.shape
    return x.transpose(1, 2).reshape(batch, time, heads * head_size)


def causal_mask(time: int) -> Tensor:
    """(T, T) bool, True above the diagonal: the future positions a token must not see."""
    return Tensor._wrap(np.triu(np.ones((time, time), dtype=bool), k=1))


@dataclass
class AttentionOutput:
    """Everything one attention call computed, for models to use and for teaching to show."""

    context: Tensor  # (B, T, C) heads merged
    probs: Tensor  # (B, H, T, T) attention weights after softmax (before dropout)
    scores: Tensor  # (B, H, T, T) raw scaled scores, after masking


def scaled_dot_product_attention(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    attention_mask: Tensor | None = None,
    causal: bool = False,
    dropout_p: float = 0.0,
    training: bool = False,
    head_mask: Tensor | None = None,
    generator=None,
) -> tuple[Tensor, Tensor, Tensor]:
    """softmax(Q K^T / sqrt(D) + mask) V for (B, H, T, D) inputs. Returns (context, probs, scores).
    Its gradient, written out: docs/derivations.md#attention

    attention_mask: additive, broadcastable to (B, H, T, T) (0 where allowed, very negative where not).
    head_mask: multiplies the attention probabilities per head, shape (H,) or broadcastable to them;
    a 0 removes a head (used for ablations).
    """
    head_size = query.shape[-1]
    if query.dtype != key.dtype or query.shape[-1] != key.shape[-1]:
        raise ValueError(
            f"scaled_dot_product_attention: query {tuple(query.shape)} {query.dtype} and key "
            f"{tuple(key.shape)} {key.dtype} do not fit together"
        )
    # Q K^T / sqrt(D), the future masked when causal: one op (ops/attention.py), (B, H, T, T)
    scores = attention_ops.AttentionScores.apply(query, key, 1.0 / math.sqrt(head_size), causal)
    if attention_mask is not None:
        scores = scores + attention_mask
    probs = scores.softmax(dim=-1)
    weights = F.dropout(probs, dropout_p, training, generator=generator)
    if head_mask is not None:
        weights = weights * (head_mask.reshape(-1, 1, 1) if head_mask.ndim == 1 else head_mask)
    return weights @ value, probs, scores


class SelfAttention(Module):
    """The query/key/value projections and the attention itself (no output projection: GPT and
    BERT each add theirs, named as their checkpoints expect).

    Names follow Hugging Face's BertSelfAttention (`query`, `key`, `value`) so BERT weights load as is.
    """

    def __init__(
        self,
        hidden_size: int,
        num_heads: int,
        dropout: float = 0.0,
        causal: bool = False,
        bias: bool = True,
        dtype=None,
    ) -> None:
        super().__init__()
        if hidden_size % num_heads:
            raise ValueError(
                f"SelfAttention: hidden_size {hidden_size} is not divisible by num_heads {num_heads}"
            )
        self.num_heads = num_heads
        self.causal = causal
        self.dropout = dropout
        self.query = Linear(hidden_size, hidden_size, bias=bias, dtype=dtype)
        self.key = Linear(hidden_size, hidden_size, bias=bias, dtype=dtype)
        self.value = Linear(hidden_size, hidden_size, bias=bias, dtype=dtype)

    def forward(
        self, x: Tensor, attention_mask: Tensor | None = None, head_mask: Tensor | None = None
    ) -> AttentionOutput:
        """x: (B, T, C). attention_mask: additive, broadcastable to (B, H, T, T)."""
        q = split_heads(self.query(x), self.num_heads)  # (B, H, T, D)
        k = split_heads(self.key(x), self.num_heads)
        v = split_heads(self.value(x), self.num_heads)
        context, probs, scores = scaled_dot_product_attention(
            q, k, v, attention_mask, self.causal, self.dropout, self.training, head_mask
        )
        return AttentionOutput(merge_heads(context), probs, scores)

    def extra_repr(self) -> str:
        return f"num_heads={self.num_heads}, causal={self.causal}, dropout={self.dropout}"
