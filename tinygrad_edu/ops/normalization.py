"""Layer normalisation as one op (`F.layer_norm` uses it). The composite version (mean, subtract,
square, mean, add, sqrt, divide, scale, shift) is about ten ops forward and twenty backward, each
writing a full-size array that the graph keeps; this one keeps the normalised input and 1/std.

For each row x (the normalised dimensions flattened) of n elements, with g = dy * weight:

    x_hat = (x - mean(x)) / sqrt(var(x) + eps)          var is the biased one, as torch
    y     = x_hat * weight + bias
    dx    = (g - mean(g) - x_hat * mean(g * x_hat)) / sqrt(var(x) + eps)
    dweight = sum over rows of dy * x_hat,   dbias = sum over rows of dy

Backward is written with tensor ops. When a second-order graph is being built it recomputes x_hat and
1/std from x as tensor ops too, so that their own dependence on x is differentiated as well.
"""

from __future__ import annotations

import numpy as np

from tinygrad_edu.autograd.function import Function
from tinygrad_edu.autograd.grad_mode import is_grad_enabled
from tinygrad_edu.tensor import Tensor


class LayerNorm(Function):
    @staticmethod
    def forward(ctx, x, weight, bias, dims, eps):
        data = x.data
        centered = data - np.mean(data, axis=dims, keepdims=True)
        variance = np.mean(np.square(centered), axis=dims, keepdims=True)
        inv_std = 1.0 / np.sqrt(variance + eps)
        normalized = centered
        normalized *= inv_std  # in place: x_hat
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
        dims = ctx.dims
        if is_grad_enabled():  # x_hat and 1/std as functions of x, for second derivatives
            centered = x - x.mean(dims, keepdim=True)
            inv_std = ((centered * centered).mean(dims, keepdim=True) + ctx.eps) ** -0.5
            normalized = centered * inv_std
        else:
            normalized, inv_std = Tensor._wrap(ctx.normalized), Tensor._wrap(ctx.inv_std)
        g = grad * weight if weight is not None else grad
        grad_x = (
            g - g.mean(dims, keepdim=True) - normalized * (g * normalized).mean(dims, keepdim=True)
        ) * inv_std
        batch_dims = tuple(range(x.ndim - len(dims)))
        grad_weight = (grad * normalized).sum(batch_dims) if ctx.needs_input_grad[1] else None
        grad_bias = grad.sum(batch_dims) if ctx.needs_input_grad[2] else None
        return grad_x, grad_weight, grad_bias, None, None


class BatchNorm(Function):
    """Batch normalisation in training mode: the same formulas as LayerNorm above, with the mean and
    variance taken over the batch dimensions (`dims`: (0,) for (N, C), (0, 2) for (N, C, L)) and one
    weight and bias per channel (dim 1) instead of per feature."""

    @staticmethod
    def forward(ctx, x, weight, bias, dims, eps):
        data = x.data
        channel_shape = (1, data.shape[1]) + (1,) * (data.ndim - 2)
        centered = data - np.mean(data, axis=dims, keepdims=True)
        variance = np.mean(np.square(centered), axis=dims, keepdims=True)  # biased, as torch
        inv_std = 1.0 / np.sqrt(variance + eps)
        normalized = centered
        normalized *= inv_std  # in place: x_hat
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
        dims = ctx.dims
        if is_grad_enabled():  # x_hat and 1/std as functions of x, for second derivatives
            centered = x - x.mean(dims, keepdim=True)
            inv_std = ((centered * centered).mean(dims, keepdim=True) + ctx.eps) ** -0.5
            normalized = centered * inv_std
        else:
            normalized, inv_std = Tensor._wrap(ctx.normalized), Tensor._wrap(ctx.inv_std)
        g = grad * weight.reshape(ctx.channel_shape) if weight is not None else grad
        grad_x = (
            g - g.mean(dims, keepdim=True) - normalized * (g * normalized).mean(dims, keepdim=True)
        ) * inv_std
        grad_weight = (grad * normalized).sum(dims) if ctx.needs_input_grad[1] else None
        grad_bias = grad.sum(dims) if ctx.needs_input_grad[2] else None
        return grad_x, grad_weight, grad_bias, None, None
