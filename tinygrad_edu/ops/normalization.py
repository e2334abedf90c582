"""Layer and batch normalisation as one op each (`F.layer_norm`; `F.batch_norm` in training mode).
The composite version (mean, subtract, square, mean, add, sqrt, divide, scale, shift) is about ten
ops forward and twenty backward, each writing a full-size array that the graph keeps; these keep the
normalised input and 1/std. LayerNorm normalises each row over its last dimensions; BatchNorm each
channel over the batch (and length) dimensions.

For each row x (the normalised dimensions flattened) of n elements, with g = dy * weight:

    x_hat = (x - mean(x)) / sqrt(var(x) + eps)          var is the biased one, as torch
    y     = x_hat * weight + bias
    dx    = (g - mean(g) - x_hat * mean(g * x_hat)) / sqrt(var(x) + eps)
    dweight = sum over rows of dy * x_hat,   dbias = sum over rows of dy

Backward is written with tensor ops. When a second-order graph is being built it recomputes x_hat and
1/std from x as tensor ops too, so that their own dependence on x is differentiated as well.
Derivations: docs/derivations.md#layernorm-and-groupnorm and docs/derivations.md#batchnorm
"""

from __future__ import annotations

import numpy as np

from tinygrad_edu.autograd.function import Function
from tinygrad_edu.autograd.grad_mode import is_grad_enabled
from tinygrad_edu.tensor import Tensor


def _normalize(data: np.ndarray, dims: tuple, eps: float) -> tuple[np.ndarray, np.ndarray]:
    """x_hat = (x - mean) / sqrt(var + eps) over `dims` (biased variance, as torch), and 1/std."""
    centered = data - np.mean(data, axis=dims, keepdims=True)
    inv_std = 1.0 / np.sqrt(np.mean(np.square(centered), axis=dims, keepdims=True) + eps)
    centered *= inv_std  # in place: now x_hat
    return centered, inv_std


def _saved_statistics(ctx, x: Tensor) -> tuple[Tensor, Tensor]:
    """x_hat and 1/std for backward: the forward's arrays, or, while a second-order graph is being
    built, the same quantities recomputed from x with tensor ops so their dependence on x counts."""
    if not is_grad_enabled():
        return Tensor._wrap(ctx.normalized), Tensor._wrap(ctx.inv_std)
    centered = x - x.mean(ctx.dims, keepdim=True)
    inv_std = ((centered * centered).mean(ctx.dims, keepdim=True) + ctx.eps) ** -0.5
    return centered * inv_std, inv_std


def _input_grad(g: Tensor, normalized: Tensor, inv_std: Tensor, dims: tuple) -> Tensor:
    """dx = (g - mean(g) - x_hat * mean(g * x_hat)) / std, with g = dy * weight."""
    return (g - g.mean(dims, keepdim=True) - normalized * (g * normalized).mean(dims, keepdim=True)) * inv_std


class LayerNorm(Function):
    @staticmethod
    def forward(ctx, x, weight, bias, dims, eps):
        normalized, inv_std = _normalize(x.data, dims, eps)
        out = normalized * weight.data if weight is not None else normalized.copy()
        if bias is not None:
            out += bias.data
        ctx.save_for_backward(x, weight)
        ctx.dims, ctx.eps = dims, eps
        ctx.normalized, ctx.inv_std = normalized, inv_std
        return out

    @staticmethod
    def backward(ctx, grad):
        x, weight = ctx.saved_tensors
        normalized, inv_std = _saved_statistics(ctx, x)
        g = grad * weight if weight is not None else grad
        batch_dims = tuple(range(x.ndim - len(ctx.dims)))  # weight and bias are shared over these
        grad_weight = (grad * normalized).sum(batch_dims) if ctx.needs_input_grad[1] else None
        grad_bias = grad.sum(batch_dims) if ctx.needs_input_grad[2] else None
        return _input_grad(g, normalized, inv_std, ctx.dims), grad_weight, grad_bias, None, None


class BatchNorm(Function):
    """Batch normalisation in training mode: LayerNorm's formulas with the statistics taken over the
    batch dimensions (`dims`: (0,) for (N, C), (0, 2) for (N, C, L)) and one weight and bias per
    channel (dim 1) instead of per feature."""

    @staticmethod
    def forward(ctx, x, weight, bias, dims, eps):
        channel_shape = (1, x.shape[1]) + (1,) * (x.ndim - 2)
        normalized, inv_std = _normalize(x.data, dims, eps)
        out = normalized * weight.data.reshape(channel_shape) if weight is not None else normalized.copy()
        if bias is not None:
            out += bias.data.reshape(channel_shape)
        ctx.save_for_backward(x, weight)
        ctx.dims, ctx.eps, ctx.channel_shape = dims, eps, channel_shape
        ctx.normalized, ctx.inv_std = normalized, inv_std
        return out

    @staticmethod
    def backward(ctx, grad):
        x, weight = ctx.saved_tensors
        normalized, inv_std = _saved_statistics(ctx, x)
        g = grad * weight.reshape(ctx.channel_shape) if weight is not None else grad
        grad_weight = (grad * normalized).sum(ctx.dims) if ctx.needs_input_grad[1] else None
        grad_bias = grad.sum(ctx.dims) if ctx.needs_input_grad[2] else None
        return _input_grad(g, normalized, inv_std, ctx.dims), grad_weight, grad_bias, None, None
