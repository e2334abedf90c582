"""Reductions along dimensions. Backward spreads the gradient back over the reduced axes.
Derivations: docs/derivations.md#reductions"""

from __future__ import annotations

import numpy as np

from tinygrad_edu.autograd.function import Function
from tinygrad_edu.autograd.grad_mode import is_grad_enabled
from tinygrad_edu.tensor import Tensor, where


def normalize_dims(dim, ndim: int, op: str) -> tuple:
    """`dim` (None, an int or a sequence) as a sorted tuple of non-negative axes, checked."""
    if dim is None:
        return tuple(range(ndim))
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    rank = max(ndim, 1)  # a 0-d tensor accepts dim 0 and -1, as in torch
    result = []
    for d in dims:
        if not -rank <= d < rank:
            raise IndexError(f"{op}: dimension {d} is out of range for a tensor with {ndim} dimension(s)")
        result.append(d % rank)
    return tuple(sorted(set(result))) if ndim > 0 else ()


def _kept_shape(shape: tuple, dims: tuple) -> tuple:
    return tuple(1 if i in dims else size for i, size in enumerate(shape))


class Sum(Function):
    @staticmethod
    def forward(ctx, x, dims, keepdim):
        ctx.shape, ctx.dims = x.shape, dims
        return np.sum(x.data, axis=dims, keepdims=keepdim)

    @staticmethod
    def backward(ctx, grad):
        # every summed element gets the gradient of the sum: reshape to keepdim form, then broadcast
        return grad.reshape(_kept_shape(ctx.shape, ctx.dims)).expand(ctx.shape), None, None


class MaxAlongDim(Function):
    """max (or min) along one dimension: the values at `indices` (argmax or argmin, computed once by
    the caller, which also returns them); the gradient goes to the element that was chosen."""

    @staticmethod
    def forward(ctx, x, dim, keepdim, indices):
        ctx.shape, ctx.dim, ctx.indices = x.shape, dim, indices  # indices: keepdims=True layout
        values = np.take_along_axis(x.data, indices, axis=dim)
        return values if keepdim else np.squeeze(values, axis=dim)

    @staticmethod
    def backward(ctx, grad):
        positions = np.arange(ctx.shape[ctx.dim]).reshape(
            [-1 if i == ctx.dim else 1 for i in range(len(ctx.shape))]
        )
        chosen = Tensor._wrap(positions == ctx.indices)  # one True per reduced line, shape like x
        grad = grad.reshape(_kept_shape(ctx.shape, (ctx.dim,)))
        return where(chosen, grad, 0.0), None, None, None


class LogSumExp(Function):
    @staticmethod
    def forward(ctx, x, dims, keepdim):
        data = x.data
        shift = np.max(data, axis=dims, keepdims=True)
        shift = np.where(np.isfinite(shift), shift, 0)  # all -inf rows stay -inf, not nan
        out = np.log(np.sum(np.exp(data - shift), axis=dims, keepdims=True)) + shift
        ctx.save_for_backward(x)
        ctx.dims, ctx.out = dims, Tensor._wrap(out)
        return out if keepdim else np.squeeze(out, axis=dims)

    @staticmethod
    def backward(ctx, grad):
        # d logsumexp(x) / dx = softmax(x) = exp(x - logsumexp(x))
        (x,) = ctx.saved_tensors
        grad = grad.reshape(ctx.out.shape)
        # a second-order graph needs logsumexp as a function of x; otherwise reuse the forward's value
        out = x.logsumexp(ctx.dims, keepdim=True) if is_grad_enabled() else ctx.out
        return grad * (x - out).exp(), None, None
