"""The losses over rows of class scores as ops. `NllLoss` is the negative log-likelihood of picked
log-probabilities (`F.nll_loss`, and so the second half of `F.cross_entropy`, as torch's
log_softmax -> nll_loss). `CrossEntropyRows` is cross entropy fused (`F.fused_cross_entropy`): for a
language model's head (N x vocabulary) log_softmax -> nll_loss makes about five passes over the
largest array of the step, this op three. Derivation: docs/derivations.md#softmax-and-cross-entropy"""

from __future__ import annotations

import numpy as np

from tinygrad_edu.autograd.function import Function


class NllLoss(Function):
    """loss = -scale * sum over kept rows i of x[i, t_i], for log-probabilities x (N, C): picking and
    averaging as one op (three otherwise: index, sum, scale). `rows` are the kept rows (each once),
    `targets` their classes, `scale` 1/len(rows) for a mean, 1 for a sum. The gradient, -scale * grad
    at the picked entries and 0 elsewhere, is `NllLossBackward`. Derivation: docs/derivations.md#backward-ops-and-second-derivatives"""

    @staticmethod
    def forward(ctx, x, rows, targets, scale):
        ctx.shape, ctx.rows, ctx.targets, ctx.scale = x.shape, rows, targets, scale
        return np.asarray(x.data[rows, targets].sum() * -scale, dtype=x.dtype)

    @staticmethod
    def backward(ctx, grad):
        return NllLossBackward.apply(grad, ctx.shape, ctx.rows, ctx.targets, ctx.scale), None, None, None


class NllLossBackward(Function):
    """The gradient of NllLoss: zeros of x's shape with -scale * grad at the picked entries. It is
    linear in grad and does not depend on x, so its own gradient is the picked entries of the
    incoming gradient, summed and scaled the same way."""

    @staticmethod
    def forward(ctx, grad, shape, rows, targets, scale):
        ctx.rows, ctx.targets, ctx.scale = rows, targets, scale
        out = np.zeros(shape, dtype=grad.data.dtype)
        out[rows, targets] = grad.data * -scale  # each row once: assignment, not accumulation
        return out

    @staticmethod
    def backward(ctx, grad_of_grad):
        return grad_of_grad[ctx.rows, ctx.targets].sum() * -ctx.scale, None, None, None, None


class CrossEntropyRows(Function):
    """Cross entropy of logit rows x (N, C) against class indices.

        loss = scale * sum over kept rows i of (logsumexp(x_i) - x_i[t_i])
        d loss / d x_i = scale * (softmax(x_i) - onehot(t_i)) for kept rows, 0 for ignored ones

    `kept_rows` are the rows whose target is not ignore_index; `scale` is 1/len(kept_rows) for a mean,
    1 for a sum. The softmax is kept from forward for backward, which turns it into the gradient in
    place (a second backward through a retained graph recomputes it).
    """

    @staticmethod
    def forward(ctx, x, targets, kept_rows, scale):
        data = x.data
        probs = data - data.max(axis=1, keepdims=True)  # shifted logits, exp() cannot overflow
        picked = probs[kept_rows, targets]
        np.exp(probs, out=probs)
        sums = probs.sum(axis=1, keepdims=True)
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
        probs, ctx.probs = ctx.probs, None  # handed over: the gradient op overwrites it
        return (
            CrossEntropyRowsGrad.apply(x, grad, ctx.targets, ctx.kept_rows, ctx.scale, probs),
            None,
            None,
            None,
        )


class CrossEntropyRowsGrad(Function):
    """The gradient of CrossEntropyRows, g * scale * (softmax(x) * kept - onehot), as an op of its own
    so that it can be differentiated again (second derivatives through the loss)."""

    @staticmethod
    def forward(ctx, x, grad, targets, kept_rows, scale, probs=None):
        ctx.save_for_backward(x, grad)
        ctx.targets, ctx.kept_rows, ctx.scale = targets, kept_rows, scale
        if probs is None:
            probs = np.exp(x.data - x.data.max(axis=1, keepdims=True))
            probs /= probs.sum(axis=1, keepdims=True)
        if len(kept_rows) != len(probs):  # ignored rows get no gradient
            ignored = np.ones(len(probs), dtype=bool)
            ignored[kept_rows] = False
            probs[ignored] = 0.0
        probs[kept_rows, targets] -= 1.0
        probs *= float(grad.data) * scale
        return probs

    @staticmethod
    def backward(ctx, grad_of_grad):
        # out = g s (p k - y), p = softmax(x), k the kept-row mask, y the one-hot targets:
        # d out / d x (applied to v) = g s k p (v - sum(v p)) row by row;  d out / d g = s sum(v (p k - y))
        x, g = ctx.saved_tensors
        kept = np.zeros((x.shape[0], 1), dtype=x.dtype)
        kept[ctx.kept_rows] = 1.0
        onehot = np.zeros(x.shape, dtype=x.dtype)
        onehot[ctx.kept_rows, ctx.targets] = 1.0
        p = x.softmax(1)
        grad_x = grad_g = None
        if ctx.needs_input_grad[0]:
            v = grad_of_grad * kept
            grad_x = p * (v - (v * p).sum(dim=1, keepdim=True)) * (g * ctx.scale)
        if ctx.needs_input_grad[1]:
            grad_g = ((p * kept - onehot) * grad_of_grad).sum() * ctx.scale
        return grad_x, grad_g, None, None, None, None
