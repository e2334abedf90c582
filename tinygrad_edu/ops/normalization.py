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

Backward is written with tensor ops. x_hat and 1/std enter it through two small ops of their own,
`Standardized` and `InvStd`, whose forward hands back the arrays this forward kept (no recomputation)
and whose backward differentiates them with respect to x, so second derivatives come out right too.
Derivations: docs/derivations.md#layernorm-and-groupnorm and docs/derivations.md#batchnorm
"""

from __future__ import annotations

import numpy as np

from tinygrad_edu.autograd.function import Function


def _normalize(
    data: np.ndarray, dims: tuple, eps: float, centered=None, var=None
) -> tuple[np.ndarray, np.ndarray]:
    """x_hat = (x - mean) / sqrt(var + eps) over `dims` (biased variance, as torch), and 1/std.
    `centered` (x - mean) and `var` may come from the caller, who needed them too; `centered` is
    then overwritten."""
    if centered is None:
        centered = data - np.mean(data, axis=dims, keepdims=True)
        var = np.mean(np.square(centered), axis=dims, keepdims=True)
    inv_std = 1.0 / np.sqrt(var + eps)
    centered *= inv_std  # in place: now x_hat
    return centered, inv_std


def _input_grad(g, normalized, inv_std, dims: tuple):
    """dx = (g - mean(g) - x_hat * mean(g * x_hat)) / std, with g = dy * weight."""
    return (g - g.mean(dims, keepdim=True) - normalized * (g * normalized).mean(dims, keepdim=True)) * inv_std


def _statistics(ctx, x):
    """x_hat and 1/std of x as tensors in the graph, from the arrays forward kept."""
    normalized = Standardized.apply(x, ctx.dims, ctx.eps, ctx.normalized, ctx.inv_std)
    return normalized, InvStd.apply(x, ctx.dims, ctx.eps, ctx.inv_std)


class Standardized(Function):
    """x_hat = (x - mean(x)) / sqrt(var(x) + eps) over `dims`; given arrays are returned as they are."""

    @staticmethod
    def forward(ctx, x, dims, eps, normalized=None, inv_std=None):
        if normalized is None or inv_std is None:
            normalized, inv_std = _normalize(x.data, dims, eps)
        ctx.save_for_backward(x, normalized)
        ctx.dims, ctx.eps, ctx.normalized, ctx.inv_std = dims, eps, normalized, inv_std
        return normalized

    @staticmethod
    def backward(ctx, grad):
        x, normalized = ctx.saved_tensors
        inv_std = InvStd.apply(x, ctx.dims, ctx.eps, ctx.inv_std)
        return _input_grad(grad, normalized, inv_std, ctx.dims), None, None, None, None


class InvStd(Function):
    """1 / sqrt(var(x) + eps) over `dims`, keepdim shape; a given array is returned as it is.
    d/dx = -(1/std)^3 (x - mean) / n = -(1/std)^2 x_hat / n."""

    @staticmethod
    def forward(ctx, x, dims, eps, inv_std=None):
        if inv_std is None:
            inv_std = _normalize(x.data, dims, eps)[1]
        ctx.save_for_backward(x, inv_std)
        ctx.dims, ctx.eps = dims, eps
        return inv_std

    @staticmethod
    def backward(ctx, grad):
        x, inv_std = ctx.saved_tensors
        count = int(np.prod([x.shape[d] for d in ctx.dims]))
        normalized = Standardized.apply(x, ctx.dims, ctx.eps)
        return -(grad * inv_std * inv_std) * normalized * (1.0 / count), None, None, None


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
        normalized, inv_std = _statistics(ctx, x)
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
    def forward(ctx, x, weight, bias, dims, eps, statistics=None):
        # statistics: (x - mean, biased var) when F.batch_norm computed them for the running estimates
        channel_shape = (1, x.shape[1]) + (1,) * (x.ndim - 2)
        normalized, inv_std = _normalize(x.data, dims, eps, *(statistics or ()))
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
        normalized, inv_std = _statistics(ctx, x)
        g = grad * weight.reshape(ctx.channel_shape) if weight is not None else grad
        grad_weight = (grad * normalized).sum(ctx.dims) if ctx.needs_input_grad[1] else None
        grad_bias = grad.sum(ctx.dims) if ctx.needs_input_grad[2] else None
        return _input_grad(g, normalized, inv_std, ctx.dims), grad_weight, grad_bias, None, None, None
