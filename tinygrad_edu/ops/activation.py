"""softmax and log_softmax, fused into one op each: subtracting the maximum first keeps exp() from
overflowing, and the backward formulas are short."""

from __future__ import annotations

import numpy as np

from tinygrad_edu.autograd.function import Function
from tinygrad_edu.tensor import Tensor


def _stable_exp(data: np.ndarray, dim: int) -> tuple[np.ndarray, np.ndarray]:
    shifted = data - np.max(data, axis=dim, keepdims=True)
    exp = np.exp(shifted)
    return shifted, exp


class Softmax(Function):
    @staticmethod
    def forward(ctx, x, dim):
        _, exp = _stable_exp(x.data, dim)
        out = Tensor._wrap(exp / np.sum(exp, axis=dim, keepdims=True))
        ctx.save_for_backward(out)
        ctx.dim = dim
        return out

    @staticmethod
    def backward(ctx, grad):
        # y = softmax(x): dx = y * (dy - sum(dy * y))
        (out,) = ctx.saved_tensors
        return out * (grad - (grad * out).sum(dim=ctx.dim, keepdim=True)), None


class LogSoftmax(Function):
    @staticmethod
    def forward(ctx, x, dim):
        shifted, exp = _stable_exp(x.data, dim)
        out = Tensor._wrap(shifted - np.log(np.sum(exp, axis=dim, keepdims=True)))
        ctx.save_for_backward(out)
        ctx.dim = dim
        return out

    @staticmethod
    def backward(ctx, grad):
        # y = log_softmax(x): dx = dy - softmax(x) * sum(dy)
        (out,) = ctx.saved_tensors
        return grad - out.exp() * grad.sum(dim=ctx.dim, keepdim=True), None
