"""Activation functions: tanh, sigmoid, relu, gelu, and softmax / log_softmax over a dimension.

softmax and log_softmax are one op each: subtracting the maximum first keeps exp() from overflowing,
and their backward formulas are short. Derivations: docs/derivations.md#elementwise-ops,
docs/derivations.md#gelu and docs/derivations.md#softmax-and-cross-entropy"""

from __future__ import annotations

import math

import numpy as np

from tinygrad_edu.autograd.function import Function
from tinygrad_edu.ops.common import max_last, sum_last


class Tanh(Function):
    @staticmethod
    def forward(ctx, x):
        out = np.tanh(x.data)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors  # d tanh(x) / dx = 1 - tanh(x)^2
        return TanhBackward.apply(grad, out)


class TanhBackward(Function):
    """grad * (1 - y^2) for y = tanh(x): Tanh's backward as one op instead of three. Differentiated
    again: with respect to grad it is itself, with respect to y it is -2 grad y.
    Derivation: docs/derivations.md#backward-ops-and-second-derivatives"""

    @staticmethod
    def forward(ctx, grad, out):
        ctx.save_for_backward(grad, out)
        result = 1 - np.square(out.data)
        result *= grad.data
        return result

    @staticmethod
    def backward(ctx, grad_of_grad):
        grad, out = ctx.saved_tensors
        needs = ctx.needs_input_grad
        return (
            TanhBackward.apply(grad_of_grad, out) if needs[0] else None,
            grad_of_grad * grad * out * -2 if needs[1] else None,
        )


class Sigmoid(Function):
    @staticmethod
    def forward(ctx, x):
        data = x.data
        # exp of a negative number only: no overflow for large |x|
        exp_neg_abs = np.exp(-np.abs(data))
        out = np.where(data >= 0, 1 / (1 + exp_neg_abs), exp_neg_abs / (1 + exp_neg_abs))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors  # d s(x) / dx = s(x) (1 - s(x))
        return grad * out * (1 - out)


class Relu(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.maximum(x.data, 0)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors  # the gradient passes where x > 0
        return grad * (x.data > 0).astype(grad.dtype)


_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)
# Abramowitz and Stegun 7.1.26: erf(z) = 1 - t (a1 + t (a2 + ... + t a5)) exp(-z^2), t = 1 / (1 + p z),
# for z >= 0, absolute error below 1.5e-7; the coefficients a5 .. a1, in the order Horner's rule uses them
_ERF_P = 0.3275911
_ERF_A = (1.061405429, -1.453152027, 1.421413741, -0.284496736, 0.254829592)
_HALF_ERF_A = tuple(a / 2 for a in _ERF_A)  # the 1/2 of h below, folded in


def _normal_cdf_and_gauss(data: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Phi(x), the standard normal CDF, and exp(-x^2 / 2), in the dtype of x.

    float64: Phi from math.erf per element (exact). Other floats: 7.1.26 above at z = |x| / sqrt 2,
    where exp(-z^2) is the exp(-x^2 / 2) returned too, so Phi(x) = 1 - h for x >= 0 and h for x < 0
    with h = t (a1 + ...) exp(-x^2 / 2) / 2 (absolute error below 1e-7). Computed in place in three arrays: GELU runs on a model's
    largest activations, and there a fresh array per step of the formula costs more than the math."""
    shape = data.shape
    flat = data.reshape(-1)  # in-place ufuncs need arrays, not the scalars numpy makes of 0-d results
    gauss = np.square(flat)
    gauss *= -0.5
    np.exp(gauss, out=gauss)
    if data.dtype == np.float64:
        cdf = np.asarray(np.frompyfunc(math.erf, 1, 1)(flat * (1 / math.sqrt(2))), dtype=np.float64)
        cdf += 1.0
        cdf *= 0.5
        return cdf.reshape(shape), gauss.reshape(shape)
    t = np.abs(flat)
    t *= _ERF_P / math.sqrt(2)
    t += 1.0
    np.reciprocal(t, out=t)
    cdf = t * _HALF_ERF_A[0]
    for coefficient in _HALF_ERF_A[1:]:
        cdf += coefficient
        cdf *= t
    cdf *= gauss  # h
    # Phi = 0.5 + sign(x) (0.5 - h): arithmetic, not a branch per element (at x = 0, h = 0.5)
    np.subtract(0.5, cdf, out=cdf)
    cdf *= np.sign(flat, out=t)
    cdf += 0.5
    return cdf.reshape(shape), gauss.reshape(shape)


class Gelu(Function):
    """GELU(x) = x * Phi(x) (exact, with erf) or its tanh approximation. Derivation: docs/derivations.md#gelu

    The exact form's derivative Phi(x) + x phi(x) shares its costly parts (the polynomial and the
    exponential) with the forward value, so forward computes it too when a gradient will be needed
    and keeps it, one array, instead of the CDF."""

    @staticmethod
    def forward(ctx, x, approximate="none"):
        ctx.save_for_backward(x)
        ctx.approximate = approximate
        data = x.data
        if approximate == "tanh":
            return 0.5 * data * (1 + np.tanh(_SQRT_2_OVER_PI * (data + 0.044715 * data**3)))
        cdf, gauss = _normal_cdf_and_gauss(data)
        if ctx.needs_input_grad[0]:
            gauss *= data
            gauss *= _INV_SQRT_2PI  # x phi(x)
            gauss += cdf
            ctx.derivative = gauss
        cdf *= data  # the output, in the CDF's own array
        return cdf

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        if ctx.approximate == "tanh":
            # u = c (x + 0.044715 x^3): d/dx [x/2 (1 + tanh u)] = (1 + tanh u)/2 + x/2 (1 - tanh^2 u) u'
            inner = _SQRT_2_OVER_PI * (x + 0.044715 * x**3)
            tanh_inner = inner.tanh()
            d_inner = _SQRT_2_OVER_PI * (1 + 3 * 0.044715 * x * x)
            return grad * (0.5 * (1 + tanh_inner) + 0.5 * x * (1 - tanh_inner * tanh_inner) * d_inner), None
        return grad * GeluDerivative.apply(x, ctx.derivative), None


class GeluDerivative(Function):
    """d/dx [x Phi(x)] = Phi(x) + x phi(x), phi the standard normal density: an op of its own, so that
    GELU's backward is differentiable too. `derivative` is that array when the caller has it already
    (it is returned as it is)."""

    @staticmethod
    def forward(ctx, x, derivative=None):
        ctx.save_for_backward(x)
        if derivative is None:
            cdf, gauss = _normal_cdf_and_gauss(x.data)
            derivative = cdf + x.data * gauss * _INV_SQRT_2PI
        return derivative

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors  # d/dx [Phi + x phi] = phi + phi - x^2 phi = phi (2 - x^2)
        pdf = (x * x * -0.5).exp() * _INV_SQRT_2PI
        return (grad * pdf * (2 - x * x), None)[: len(ctx.needs_input_grad)]  # derivative is optional


def _sum(data: np.ndarray, dim: int) -> np.ndarray:
    return sum_last(data) if dim == data.ndim - 1 else data.sum(axis=dim, keepdims=True)


def _stable_exp(data: np.ndarray, dim: int) -> tuple[np.ndarray, np.ndarray]:
    shifted = data - data.max(axis=dim, keepdims=True)  # methods: cheaper than np.max for small arrays
    exp = np.exp(shifted)
    return shifted, exp


class Softmax(Function):
    @staticmethod
    def forward(ctx, x, dim):
        data = x.data
        out = data - (max_last(data) if dim == data.ndim - 1 else data.max(axis=dim, keepdims=True))
        out = np.exp(out, out=out if out.ndim else None)  # in place: one array, not two
        out /= _sum(out, dim)
        ctx.save_for_backward(out)
        ctx.dim = dim
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return SoftmaxBackward.apply(grad, out, ctx.dim), None


class SoftmaxBackward(Function):
    """dx = y * (dy - sum(dy * y)) along `dim`, for y = softmax(x): Softmax's backward as one op
    instead of four. Its matrix diag(y) - y y^T is symmetric, so with respect to dy it is itself;
    with respect to y, for an incoming v: v dy - dy sum(v y) - v sum(dy y).
    Derivation: docs/derivations.md#backward-ops-and-second-derivatives"""

    @staticmethod
    def forward(ctx, grad, out, dim):
        ctx.save_for_backward(grad, out)
        ctx.dim = dim
        y = out.data
        result = grad.data * y
        total = _sum(result, dim)
        if not result.ndim:
            return (grad.data - total) * y
        np.subtract(grad.data, total, out=result)  # one work array: dy * y, then dy - sum, then * y
        result *= y
        return result

    @staticmethod
    def backward(ctx, v):
        grad, out = ctx.saved_tensors
        needs, dim = ctx.needs_input_grad, ctx.dim
        grad_grad = SoftmaxBackward.apply(v, out, dim) if needs[0] else None
        grad_out = None
        if needs[1]:
            grad_out = (
                v * grad - grad * (v * out).sum(dim, keepdim=True) - v * (grad * out).sum(dim, keepdim=True)
            )
        return grad_grad, grad_out, None


class LogSoftmax(Function):
    @staticmethod
    def forward(ctx, x, dim):
        shifted, exp = _stable_exp(x.data, dim)
        out = shifted
        out -= np.log(_sum(exp, dim))
        ctx.save_for_backward(out)
        ctx.dim = dim
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return LogSoftmaxBackward.apply(grad, out, ctx.dim), None


class LogSoftmaxBackward(Function):
    """dx = dy - exp(y) * sum(dy) along `dim`, for y = log_softmax(x): LogSoftmax's backward as one
    op instead of four. Differentiated again, for an incoming v: with respect to dy,
    v - sum(v exp(y)); with respect to y, -v exp(y) sum(dy). Derivation: docs/derivations.md#backward-ops-and-second-derivatives"""

    @staticmethod
    def forward(ctx, grad, out, dim):
        ctx.save_for_backward(grad, out)
        ctx.dim = dim
        result = np.exp(out.data)
        result *= _sum(grad.data, dim)
        return np.subtract(grad.data, result, out=result if result.ndim else None)

    @staticmethod
    def backward(ctx, v):
        grad, out = ctx.saved_tensors
        needs, dim = ctx.needs_input_grad, ctx.dim
        probs = out.exp()
        grad_grad = v - (v * probs).sum(dim, keepdim=True) if needs[0] else None
        grad_out = -(v * probs * grad.sum(dim, keepdim=True)) if needs[1] else None
        return grad_grad, grad_out, None
