"""softmax and log_softmax, fused into one op each: subtracting the maximum first keeps exp() from
overflowing, and the backward formulas are short. Also cross entropy over class rows, fused for speed
(`F.cross_entropy` uses it in the common case). Derivations: docs/derivations.md#softmax-and-cross-entropy"""

from __future__ import annotations

import numpy as np

from tinygrad_edu.autograd.function import Function
from tinygrad_edu.autograd.grad_mode import is_grad_enabled
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


class CrossEntropyRows(Function):
    """Cross entropy of logit rows x (N, C) against class indices, fused: the most common loss, and for a
    language model's head (N x vocabulary) the composite log_softmax -> pick -> mean makes about ten
    passes over the largest array of the step, this op three.

        loss = scale * sum over kept rows i of (logsumexp(x_i) - x_i[t_i])
        d loss / d x_i = scale * (softmax(x_i) - onehot(t_i)) for kept rows, 0 for ignored ones

    `kept_rows` are the rows whose target is not ignore_index; `scale` is 1/len(kept_rows) for a mean,
    1 for a sum. The softmax is kept from forward for backward, which turns it into the gradient in
    place (a second backward through a retained graph recomputes it).
    """

    @staticmethod
    def forward(ctx, x, targets, kept_rows, scale):
        data = x.data
        probs = data - np.max(data, axis=1, keepdims=True)  # shifted logits, exp() cannot overflow
        picked = probs[kept_rows, targets]
        np.exp(probs, out=probs)
        sums = np.sum(probs, axis=1, keepdims=True)
        loss = (np.log(sums[kept_rows, 0]) - picked).sum(dtype=np.float64) * scale
        ctx.save_for_backward(x)
        ctx.targets, ctx.kept_rows, ctx.scale = targets, kept_rows, scale
        ctx.probs = None
        if ctx.needs_input_grad[0]:
            probs /= sums
            ctx.probs = probs
        return np.asarray(loss, dtype=data.dtype)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        rows, targets = ctx.kept_rows, ctx.targets
        if is_grad_enabled():  # a second-order graph needs the softmax as a function of x
            onehot = np.zeros(x.shape, dtype=x.dtype)
            onehot[rows, targets] = 1.0
            kept = np.zeros((x.shape[0], 1), dtype=x.dtype)
            kept[rows] = 1.0
            difference = x.softmax(1) * Tensor._wrap(kept) - Tensor._wrap(onehot)
            return difference * (grad * ctx.scale), None, None, None
        probs, ctx.probs = ctx.probs, None
        if probs is None:
            probs = np.exp(x.data - np.max(x.data, axis=1, keepdims=True))
            probs /= np.sum(probs, axis=1, keepdims=True)
        factor = float(grad.data) * ctx.scale
        if len(rows) != len(probs):  # ignored rows get no gradient
            ignored = np.ones(len(probs), dtype=bool)
            ignored[rows] = False
            probs[ignored] = 0.0
        probs[rows, targets] -= 1.0
        probs *= factor
        return Tensor._wrap(probs), None, None, None
