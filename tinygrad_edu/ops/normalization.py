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

dx is an op of its own, `NormalizeBackward` (a few numpy calls on the arrays forward kept), whose
backward differentiates it again, so second derivatives come out right; x_hat and 1/std enter the
formulas as tensors through two small ops, `Standardized` and `InvStd`, that hand back the kept arrays.
Derivations: docs/derivations.md#layernorm-and-groupnorm and docs/derivations.md#batchnorm
"""

from __future__ import annotations

import numpy as np

from tinygrad_edu.autograd.function import Function
from tinygrad_edu.ops.common import sum_over, unbroadcast


def _count(shape: tuple, dims: tuple) -> int:
    count = 1
    for d in dims:
        count *= shape[d]
    return count


def _sum(data: np.ndarray, dims: tuple) -> np.ndarray:
    return sum_over(data, dims, True)


def _dot(a: np.ndarray, b: np.ndarray, dims: tuple) -> np.ndarray:
    """The sum of a * b over `dims`, kept as size-1 axes; over the last axis without a product array."""
    if len(dims) == 1 and dims[0] == a.ndim - 1 and a.dtype == b.dtype:
        return np.einsum("...i,...i->...", a, b)[..., None]
    return sum_over(a * b, dims, True)


def _normalize(
    data: np.ndarray, dims: tuple, eps: float, centered=None, var=None
) -> tuple[np.ndarray, np.ndarray]:
    """x_hat = (x - mean) / sqrt(var + eps) over `dims` (biased variance, as torch), and 1/std.
    `centered` (x - mean) and `var` may come from the caller, who needed them too; `centered` is
    then overwritten. Sums times 1/n, in place where possible: at a small layer's size the number
    of numpy calls, not the arithmetic, is the cost."""
    if centered is None:
        scale = 1.0 / _count(data.shape, dims)
        mean = _sum(data, dims)
        mean *= scale
        centered = data - mean
        var = _dot(centered, centered, dims)
        var *= scale
    inv_std = var + eps
    np.sqrt(inv_std, out=inv_std)
    np.reciprocal(inv_std, out=inv_std)
    centered *= inv_std  # in place: now x_hat
    return centered, inv_std


def _input_grad(g: np.ndarray, normalized: np.ndarray, inv_std: np.ndarray, dims: tuple) -> np.ndarray:
    """dx = (g - mean(g) - x_hat * mean(g * x_hat)) / std, with g = dy * weight, on arrays."""
    scale = 1.0 / _count(g.shape, dims)
    mean_g = _sum(g, dims)
    mean_g *= scale
    mean_gx = _dot(g, normalized, dims)
    mean_gx *= scale
    out = normalized * mean_gx
    np.subtract(g, out, out=out)
    out -= mean_g
    out *= inv_std
    return out


def _affine_grads(ctx, grad, x, weight, weight_shape, reduce_dims) -> tuple:
    """(dx, dweight, dbias) of y = x_hat * weight + bias; weight and bias are shared over
    `reduce_dims` and broadcast against x as `weight_shape` (None: as they are)."""
    needs, stats = ctx.needs_input_grad, (ctx.dims, ctx.eps, ctx.normalized, ctx.inv_std)
    grad_x = NormalizeBackward.apply(grad, x, weight, *stats, weight_shape) if needs[0] else None
    grad_weight = grad_bias = None
    if needs[1]:
        shape = weight_shape or weight.shape
        grad_weight = NormalizeWeightBackward.apply(grad, x, reduce_dims, shape, *stats)
    if needs[2]:
        grad_bias = grad.sum(reduce_dims)
    return grad_x, grad_weight, grad_bias


def _statistics(ctx, x):
    """x_hat and 1/std of x as tensors in the graph, from the arrays forward kept."""
    normalized = Standardized.apply(x, ctx.dims, ctx.eps, ctx.normalized, ctx.inv_std)
    return normalized, InvStd.apply(x, ctx.dims, ctx.eps, ctx.inv_std)


class NormalizeBackward(Function):
    """dx = (g - mean(g) - x_hat * mean(g * x_hat)) / std over `dims` with g = dy * weight: the input
    gradient of the normalisations (`weight` None: 1; `weight_shape`: weight as it broadcasts against
    x). It is linear in g and symmetric (the same matrix on both sides of a dot product), so its
    derivative with respect to dy is itself times weight; with respect to x see
    docs/derivations.md#backward-ops-and-second-derivatives. `normalized` and `inv_std` are forward's arrays."""

    @staticmethod
    def forward(ctx, dy, x, weight, dims, eps, normalized=None, inv_std=None, weight_shape=None):
        if normalized is None or inv_std is None:
            normalized, inv_std = _normalize(x.data, dims, eps)
        ctx.save_for_backward(dy, x, weight)
        ctx.dims, ctx.eps, ctx.normalized, ctx.inv_std = dims, eps, normalized, inv_std
        ctx.weight_shape = weight_shape
        g = dy.data if weight is None else dy.data * weight.data.reshape(weight_shape or weight.shape)
        return _input_grad(g, normalized, inv_std, dims)

    @staticmethod
    def backward(ctx, grad):
        dy, x, weight = ctx.saved_tensors
        dims, needs = ctx.dims, ctx.needs_input_grad
        stats = dims, ctx.eps, ctx.normalized, ctx.inv_std
        weight_shape = ctx.weight_shape or (weight.shape if weight is not None else None)
        w = weight.reshape(weight_shape) if weight is not None else None
        grad_dy = grad_x = grad_weight = None
        if needs[0] or needs[2]:
            symmetric = NormalizeBackward.apply(grad, x, None, *stats)  # the same matrix applied to grad
            grad_dy = (symmetric if w is None else symmetric * w) if needs[0] else None
            if needs[2]:
                grad_weight = unbroadcast(dy * symmetric, weight_shape).reshape(weight.shape)
        if needs[1]:
            # d/dx of <v, dx>, v = grad: -s^2 (x_hat (mean(v g) - mean(v) mean(g) - 3 a c)
            # + c (g - mean(g)) + a (v - mean(v))), with a = mean(g x_hat), c = mean(v x_hat)
            g = dy if w is None else dy * w
            normalized, inv_std = _statistics(ctx, x)
            mean_g, mean_v = g.mean(dims, keepdim=True), grad.mean(dims, keepdim=True)
            a = (g * normalized).mean(dims, keepdim=True)
            c = (grad * normalized).mean(dims, keepdim=True)
            both = (grad * g).mean(dims, keepdim=True) - mean_v * mean_g - 3 * a * c
            grad_x = -(inv_std * inv_std) * (normalized * both + c * (g - mean_g) + a * (grad - mean_v))
        return (grad_dy, grad_x, grad_weight, None, None, None, None, None)[: len(needs)]  # optional args


class NormalizeWeightBackward(Function):
    """dweight = sum over `reduce_dims` of dy * x_hat: the weight gradient of the normalisations as
    one op. Differentiated again, for an incoming v (weight's shape, broadcast as `weight_shape`):
    v * x_hat with respect to dy, and x_hat's own backward applied to dy * v with respect to x.
    Derivation: docs/derivations.md#backward-ops-and-second-derivatives"""

    @staticmethod
    def forward(ctx, dy, x, reduce_dims, weight_shape, dims, eps, normalized, inv_std):
        ctx.save_for_backward(dy, x)
        ctx.weight_shape, ctx.dims, ctx.eps, ctx.normalized, ctx.inv_std = (
            weight_shape,
            dims,
            eps,
            normalized,
            inv_std,
        )
        return sum_over(dy.data * normalized, reduce_dims, False)

    @staticmethod
    def backward(ctx, grad):
        dy, x = ctx.saved_tensors
        stats = ctx.dims, ctx.eps, ctx.normalized, ctx.inv_std
        spread = grad.reshape(ctx.weight_shape)
        grad_dy = spread * Standardized.apply(x, *stats) if ctx.needs_input_grad[0] else None
        grad_x = NormalizeBackward.apply(dy * spread, x, None, *stats) if ctx.needs_input_grad[1] else None
        return grad_dy, grad_x, None, None, None, None, None, None


class Standardized(Function):
    """x_hat = (x - mean(x)) / sqrt(var(x) + eps) over `dims`; given arrays are returned as they are.
    Its backward is the normalisations' input gradient with weight 1."""

    @staticmethod
    def forward(ctx, x, dims, eps, normalized=None, inv_std=None):
        if normalized is None or inv_std is None:
            normalized, inv_std = _normalize(x.data, dims, eps)
        ctx.save_for_backward(x)
        ctx.dims, ctx.eps, ctx.normalized, ctx.inv_std = dims, eps, normalized, inv_std
        return normalized

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        grad_x = NormalizeBackward.apply(grad, x, None, ctx.dims, ctx.eps, ctx.normalized, ctx.inv_std)
        return (grad_x, None, None, None, None)[: len(ctx.needs_input_grad)]  # the arrays are optional


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
        count = _count(x.shape, ctx.dims)
        normalized = Standardized.apply(x, ctx.dims, ctx.eps)
        grad_x = -(grad * inv_std * inv_std) * normalized * (1.0 / count)
        return (grad_x, None, None, None)[: len(ctx.needs_input_grad)]


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
        return _affine_grads(ctx, grad, x, weight, None, tuple(range(x.ndim - len(ctx.dims)))) + (None, None)


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
        grads = _affine_grads(ctx, grad, x, weight, ctx.channel_shape, ctx.dims) + (None, None, None)
        return grads[: len(ctx.needs_input_grad)]  # statistics are optional
