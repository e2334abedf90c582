"""Reductions along dimensions. Backward spreads the gradient back over the reduced axes.

`dims` arrive checked and normalised (a sorted tuple of non-negative axes) from the tensor layer.
Derivations: docs/derivations.md#reductions"""

from __future__ import annotations

import numpy as np

from tinygrad_edu.autograd.function import Function
from tinygrad_edu.ops.common import sum_over


def _kept_shape(shape: tuple, dims: tuple) -> tuple:
    return tuple(1 if i in dims else size for i, size in enumerate(shape))


class Sum(Function):
    @staticmethod
    def forward(ctx, x, dims, keepdim):
        ctx.shape, ctx.dims = x.shape, dims
        return sum_over(x.data, dims, keepdim)

    @staticmethod
    def backward(ctx, grad):
        # every summed element gets the gradient of the sum: reshape to keepdim form, then broadcast
        return grad.reshape(_kept_shape(ctx.shape, ctx.dims)).expand(ctx.shape), None, None


class TakeAlongDim(Function):
    """The values at `indices` along one dimension (as `np.take_along_axis`, `indices` in keepdims
    layout). `max(dim)` and `min(dim)` are this op with the argmax or argmin, which they also return;
    the gradient goes back to the element that was taken."""

    @staticmethod
    def forward(ctx, x, dim, keepdim, indices):
        ctx.shape, ctx.dim, ctx.indices = x.shape, dim, indices
        values = np.take_along_axis(x.data, indices, axis=dim)
        return values if keepdim else np.squeeze(values, axis=dim)

    @staticmethod
    def backward(ctx, grad):
        positions = np.arange(ctx.shape[ctx.dim]).reshape(
            [-1 if i == ctx.dim else 1 for i in range(len(ctx.shape))]
        )
        taken = positions == ctx.indices  # one True per reduced line, shape like x
        grad = grad.reshape(_kept_shape(ctx.shape, (ctx.dim,)))
        return grad.where(taken, 0.0), None, None, None


class LogSumExp(Function):
    @staticmethod
    def forward(ctx, x, dims, keepdim):
        data = x.data
        shift = data.max(axis=dims, keepdims=True)
        shift = np.where(np.isfinite(shift), shift, 0)  # all -inf rows stay -inf, not nan
        out = np.log(np.exp(data - shift).sum(axis=dims, keepdims=True)) + shift
        if not keepdim:
            out = np.squeeze(out, axis=dims)
        ctx.save_for_backward(x, out)
        ctx.kept_shape = _kept_shape(x.shape, dims)
        return out

    @staticmethod
    def backward(ctx, grad):
        # d logsumexp(x) / dx = softmax(x) = exp(x - logsumexp(x)), with the output as saved
        x, out = ctx.saved_tensors
        return grad.reshape(ctx.kept_shape) * (x - out.reshape(ctx.kept_shape)).exp(), None, None
