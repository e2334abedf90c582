"""Pointwise ops. Binary ops broadcast like numpy; their backward sums the gradient back to each
input's shape with `unbroadcast`. Derivations: docs/derivations.md#elementwise-ops"""

from __future__ import annotations

import math

import numpy as np

from tinygrad_edu.autograd.function import Function
from tinygrad_edu.autograd.grad_mode import is_grad_enabled
from tinygrad_edu.ops.common import broadcast_error, unbroadcast
from tinygrad_edu.tensor import Tensor, where


class Add(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.shapes = a.shape, b.shape
        try:
            return a.data + b.data
        except ValueError:
            raise broadcast_error("add", a, b) from None

    @staticmethod
    def backward(ctx, grad):
        a_shape, b_shape = ctx.shapes
        return unbroadcast(grad, a_shape), unbroadcast(grad, b_shape)


class Sub(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.shapes = a.shape, b.shape
        try:
            return a.data - b.data
        except ValueError:
            raise broadcast_error("sub", a, b) from None

    @staticmethod
    def backward(ctx, grad):
        a_shape, b_shape = ctx.shapes
        return unbroadcast(grad, a_shape), unbroadcast(-grad, b_shape)


class Mul(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        try:
            return a.data * b.data
        except ValueError:
            raise broadcast_error("mul", a, b) from None

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        grad_a = unbroadcast(grad * b, a.shape) if ctx.needs_input_grad[0] else None
        grad_b = unbroadcast(grad * a, b.shape) if ctx.needs_input_grad[1] else None
        return grad_a, grad_b


class Div(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        try:
            return a.data / b.data
        except ValueError:
            raise broadcast_error("div", a, b) from None

    @staticmethod
    def backward(ctx, grad):
        # d(a/b)/da = 1/b ;  d(a/b)/db = -a/b^2
        a, b = ctx.saved_tensors
        grad_a = unbroadcast(grad / b, a.shape) if ctx.needs_input_grad[0] else None
        grad_b = unbroadcast(-grad * a / (b * b), b.shape) if ctx.needs_input_grad[1] else None
        return grad_a, grad_b


class Neg(Function):
    @staticmethod
    def forward(ctx, x):
        return -x.data

    @staticmethod
    def backward(ctx, grad):
        return -grad


class PowScalar(Function):
    """x ** p for a plain number p."""

    @staticmethod
    def forward(ctx, x, exponent):
        ctx.save_for_backward(x)
        ctx.exponent = exponent
        return x.data**exponent

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors  # d x^p / dx = p x^(p-1)
        return grad * (ctx.exponent * x ** (ctx.exponent - 1)), None


class Pow(Function):
    """a ** b where the exponent is a tensor too."""

    @staticmethod
    def forward(ctx, a, b):
        try:
            out = Tensor._wrap(a.data**b.data)
        except ValueError:
            raise broadcast_error("pow", a, b) from None
        ctx.save_for_backward(a, b, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        # d a^b / da = b a^(b-1) ;  d a^b / db = a^b log(a)
        a, b, out = ctx.saved_tensors
        grad_a = unbroadcast(grad * b * a ** (b - 1), a.shape) if ctx.needs_input_grad[0] else None
        grad_b = unbroadcast(grad * out * a.log(), b.shape) if ctx.needs_input_grad[1] else None
        return grad_a, grad_b


class Exp(Function):
    @staticmethod
    def forward(ctx, x):
        out = Tensor._wrap(np.exp(x.data))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors  # d e^x / dx = e^x
        return grad * out


class Log(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        with np.errstate(divide="ignore", invalid="ignore"):  # log(0) = -inf, log(-1) = nan, as torch
            return np.log(x.data)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad / x


class Sqrt(Function):
    @staticmethod
    def forward(ctx, x):
        with np.errstate(invalid="ignore"):
            out = Tensor._wrap(np.sqrt(x.data))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors  # d sqrt(x) / dx = 1 / (2 sqrt(x))
        return grad / (2 * out)


class Abs(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.abs(x.data)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors  # sign(x), with sign(0) = 0 as torch
        return grad * Tensor._wrap(np.sign(x.data))


class Tanh(Function):
    @staticmethod
    def forward(ctx, x):
        out = Tensor._wrap(np.tanh(x.data))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors  # d tanh(x) / dx = 1 - tanh(x)^2
        return grad * (1 - out * out)


class Sigmoid(Function):
    @staticmethod
    def forward(ctx, x):
        data = x.data
        # exp of a negative number only: no overflow for large |x|
        exp_neg_abs = np.exp(-np.abs(data))
        out = Tensor._wrap(np.where(data >= 0, 1 / (1 + exp_neg_abs), exp_neg_abs / (1 + exp_neg_abs)))
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
        return grad * Tensor._wrap(x.data > 0).to(grad.dtype)


def erf(x: np.ndarray) -> np.ndarray:
    """The error function, vectorised. float64: exact (math.erf per element); float32: a rational
    approximation (Abramowitz and Stegun 7.1.26, absolute error below 1.5e-7), fast enough for BERT."""
    if x.dtype == np.float64:
        return np.asarray(np.frompyfunc(math.erf, 1, 1)(x), dtype=np.float64)  # 0-d gives a float
    t = 1.0 / (1.0 + 0.3275911 * np.abs(x))
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    return np.sign(x) * (1.0 - poly * np.exp(-x * x))


_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)


class Gelu(Function):
    """GELU(x) = x * Phi(x) (exact, with erf) or its tanh approximation. Derivation: docs/derivations.md#gelu"""

    @staticmethod
    def forward(ctx, x, approximate="none"):
        ctx.save_for_backward(x)
        ctx.approximate = approximate
        data = x.data
        if approximate == "tanh":
            return 0.5 * data * (1 + np.tanh(_SQRT_2_OVER_PI * (data + 0.044715 * data**3)))
        ctx.cdf = _normal_cdf(data)  # kept for backward: erf is the costly part of GELU
        return data * ctx.cdf

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        if ctx.approximate == "tanh":
            # u = c (x + 0.044715 x^3): d/dx [x/2 (1 + tanh u)] = (1 + tanh u)/2 + x/2 (1 - tanh^2 u) u'
            inner = _SQRT_2_OVER_PI * (x + 0.044715 * x**3)
            tanh_inner = inner.tanh()
            d_inner = _SQRT_2_OVER_PI * (1 + 3 * 0.044715 * x * x)
            return grad * (0.5 * (1 + tanh_inner) + 0.5 * x * (1 - tanh_inner * tanh_inner) * d_inner), None
        # d/dx [x Phi(x)] = Phi(x) + x phi(x), phi the standard normal density; Phi as an op of its
        # own when a second-order graph is being built, so that its derivative phi is not lost
        cdf = NormalCdf.apply(x) if is_grad_enabled() else Tensor._wrap(ctx.cdf)
        return grad * (cdf + x * _normal_pdf(x)), None


def _normal_cdf(data: np.ndarray) -> np.ndarray:
    return (0.5 * (1 + erf(data / math.sqrt(2)))).astype(data.dtype)


def _normal_pdf(x: Tensor) -> Tensor:
    return (x * x * -0.5).exp() * (1 / math.sqrt(2 * math.pi))


class NormalCdf(Function):
    """Phi(x), the standard normal CDF (used by GELU's backward so that it is differentiable too)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _normal_cdf(x.data)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors  # d Phi(x) / dx = phi(x)
        return grad * _normal_pdf(x)


class Clamp(Function):
    @staticmethod
    def forward(ctx, x, min=None, max=None):
        ctx.save_for_backward(x)
        ctx.bounds = min, max
        return np.clip(x.data, min, max)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors  # the gradient passes where the input was inside [min, max]
        low, high = ctx.bounds
        inside = np.ones(x.shape, dtype=bool)
        if low is not None:
            inside &= x.data >= low
        if high is not None:
            inside &= x.data <= high
        return where(Tensor._wrap(inside), grad, 0.0), None, None


class Maximum(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        try:
            return np.maximum(a.data, b.data)
        except ValueError:
            raise broadcast_error("maximum", a, b) from None

    @staticmethod
    def backward(ctx, grad):
        return _split_by_winner(ctx, grad, np.greater)


class Minimum(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        try:
            return np.minimum(a.data, b.data)
        except ValueError:
            raise broadcast_error("minimum", a, b) from None

    @staticmethod
    def backward(ctx, grad):
        return _split_by_winner(ctx, grad, np.less)


def _split_by_winner(ctx, grad, wins):
    """The gradient goes to the input that was chosen; on a tie each gets half (as torch)."""
    a, b = ctx.saved_tensors
    share_a = np.where(wins(a.data, b.data), 1.0, np.where(a.data == b.data, 0.5, 0.0))
    share_a = Tensor._wrap(share_a.astype(grad.data.dtype))
    return unbroadcast(grad * share_a, a.shape), unbroadcast(grad * (1 - share_a), b.shape)


class Where(Function):
    """where(condition, a, b): a where condition holds, b elsewhere."""

    @staticmethod
    def forward(ctx, condition, a, b):
        ctx.condition = condition.data
        ctx.shapes = a.shape, b.shape
        try:
            return np.where(condition.data, a.data, b.data)
        except ValueError:
            raise ValueError(
                f"where: condition {tuple(condition.shape)}, input {tuple(a.shape)} and other "
                f"{tuple(b.shape)} cannot be broadcast together"
            ) from None

    @staticmethod
    def backward(ctx, grad):
        condition = Tensor._wrap(ctx.condition)
        a_shape, b_shape = ctx.shapes
        grad_a = unbroadcast(where(condition, grad, 0.0), a_shape) if ctx.needs_input_grad[1] else None
        grad_b = unbroadcast(where(condition, 0.0, grad), b_shape) if ctx.needs_input_grad[2] else None
        return None, grad_a, grad_b
