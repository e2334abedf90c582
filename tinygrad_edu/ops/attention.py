"""Attention scores as one op: S = Q K^T * scale, with the future set to -inf for causal attention.
Composed, that is four ops (a transpose, the product, the scaling, the masking), each writing a
(B, H, T, T) array the graph keeps. Derivation: docs/derivations.md#attention"""

from __future__ import annotations

import numpy as np

from tinygrad_edu.autograd.function import Function
from tinygrad_edu.ops.common import unbroadcast

_CAUSAL: dict = {}  # (target, source, dtype) -> (additive bias, lower-triangle ones), made once


def _causal(target: int, source: int, dtype: np.dtype) -> tuple[np.ndarray, np.ndarray]:
    """For queries 0..target-1 and keys 0..source-1: 0 where key j <= query i and -inf above the
    diagonal (added to the scores), and the 0/1 matrix of the allowed positions (for backward)."""
    key = (target, source, dtype)
    if key not in _CAUSAL:
        future = np.triu(np.ones((target, source), dtype=bool), k=1)
        bias = np.where(future, -np.inf, 0).astype(dtype)
        allowed = (~future).astype(dtype)
        bias.flags.writeable = allowed.flags.writeable = False
        _CAUSAL[key] = bias, allowed
    return _CAUSAL[key]


class AttentionScores(Function):
    """S = Q K^T * scale for Q (..., T, D) and K (..., S, D); with `causal`, query i sees only keys
    j <= i (the others are -inf, constants with no gradient).

    The array is laid out key-major: computed as K Q^T and returned transposed (a view). Softmax
    over the keys then reduces across whole rows of memory instead of a few numbers at a time,
    several times faster for short sequences; every op downstream reads it as an ordinary (T, S)
    array. Backward: dQ = dS K * scale, dK = dS^T Q * scale (dS zero where masked)."""

    @staticmethod
    def forward(ctx, query, key, scale, causal=False):
        ctx.save_for_backward(query, key)
        ctx.scale, ctx.causal = scale, causal
        scores = np.matmul(key.data, query.data.swapaxes(-1, -2))  # (..., S, T), contiguous
        scores *= scale
        if causal:
            scores += _causal(scores.shape[-1], scores.shape[-2], scores.dtype)[0].T  # in its layout
        return scores.swapaxes(-1, -2)

    @staticmethod
    def backward(ctx, grad):
        query, key = ctx.saved_tensors
        if ctx.causal:
            grad = grad * (_causal(grad.shape[-2], grad.shape[-1], grad.dtype)[1] * ctx.scale)
        else:
            grad = grad * ctx.scale
        grad_query = grad_key = None
        if ctx.needs_input_grad[0]:
            grad_query = unbroadcast(grad @ key, query.shape)
        if ctx.needs_input_grad[1]:
            grad_key = unbroadcast(grad.transpose(-1, -2) @ query, key.shape)
        return grad_query, grad_key, None, None
