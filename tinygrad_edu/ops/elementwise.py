"""Pointwise arithmetic: + - * / ** and exp, log, sqrt, abs, clamp, maximum, minimum, where. Binary ops
broadcast like numpy; their backward sums the gradient back to each input's shape with `unbroadcast`.
(The activation functions are in `activation.py`.) Derivations: docs/derivations.md#elementwise-ops"""

from __future__ import annotations

import numpy as np

from tinygrad_edu.autograd.function import Function
from tinygrad_edu.ops.common import broadcast_error, unbroadcast


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
            out = a.data**b.data
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
        out = np.exp(x.data)
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
            out = np.sqrt(x.data)
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
        return grad * np.sign(x.data)


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
        return grad.where(inside, 0.0), None, None


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
    share_a = share_a.astype(grad.data.dtype)
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
        condition = ctx.condition
        a_shape, b_shape = ctx.shapes
        grad_a = unbroadcast(grad.where(condition, 0.0), a_shape) if ctx.needs_input_grad[1] else None
        grad_b = unbroadcast(grad.where(~condition, 0.0), b_shape) if ctx.needs_input_grad[2] else None
        return None, grad_a, grad_b
