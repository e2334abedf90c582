"""Matrix multiplication with torch's rules for batched operands (1-D operands are handled in
`Tensor.matmul` by adding and removing a dimension around this op)."""

from __future__ import annotations

import numpy as np

from tinygrad_edu.autograd.function import Function
from tinygrad_edu.ops.common import unbroadcast


class MatMul(Function):
    """a @ b for a of shape (..., n, k) and b of shape (..., k, m); batch dimensions broadcast.
    Derivation: docs/derivations.md#matmul"""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        if b.ndim == 2 and a.ndim > 2:
            # a shared matrix (a Linear weight): fold the batch into rows for one large BLAS call;
            # numpy's stacked matmul would make one small call per batch element (~20x slower here)
            rows = a.data.reshape(-1, a.shape[-1]) @ b.data
            return rows.reshape(a.shape[:-1] + (b.shape[-1],))
        return np.matmul(a.data, b.data)

    @staticmethod
    def backward(ctx, grad):
        # C = A B  =>  dA = dC B^T,  dB = A^T dC  (summed over broadcast batch dimensions)
        a, b = ctx.saved_tensors
        grad_a = grad_b = None
        if ctx.needs_input_grad[0]:
            grad_a = unbroadcast(grad @ b.transpose(-1, -2), a.shape)
        if ctx.needs_input_grad[1]:
            if b.ndim == 2 and a.ndim > 2:
                # a shared weight: fold the batch into rows, one (k, rows) @ (rows, m) product
                rows_a = a.reshape(-1, a.shape[-1])
                grad_b = rows_a.transpose(0, 1) @ grad.reshape(-1, grad.shape[-1])
            else:
                grad_b = unbroadcast(a.transpose(-1, -2) @ grad, b.shape)
        return grad_a, grad_b


class Linear(Function):
    """y = x W^T + b for x (..., in), W (out, in) as torch stores it, b (out,) or None, as one op: the
    bias is added into the product in place, so the layer keeps one output array instead of two (and
    the graph one node), which matters for memory in a model of many large layers."""

    @staticmethod
    def forward(ctx, x, weight, bias=None):
        ctx.save_for_backward(x, weight)
        out = x.data.reshape(-1, x.shape[-1]) @ weight.data.T  # batch folded into rows: one BLAS call
        if bias is not None:
            out += bias.data
        return out.reshape(x.shape[:-1] + (weight.shape[0],))

    @staticmethod
    def backward(ctx, grad):
        # y = x W^T + b  =>  dx = dy W,  dW = dy^T x (summed over rows),  db = dy summed over rows
        x, weight = ctx.saved_tensors
        needs = ctx.needs_input_grad
        grad_x = grad @ weight if needs[0] else None
        grad_weight = LinearWeightGrad.apply(grad, x) if needs[1] else None
        grad_bias = grad.sum(tuple(range(grad.ndim - 1))) if len(needs) > 2 and needs[2] else None
        return grad_x, grad_weight, grad_bias


class LinearWeightGrad(Function):
    """dW = dy^T x with the batch folded into rows, for dy (..., out) and x (..., in): Linear's weight
    gradient as one op (three otherwise: two reshapes and a transpose around the product). It is
    bilinear: for an incoming v (out, in), d/d dy = x v^T and d/dx = dy v.
    Derivation: docs/derivations.md#backward-ops-and-second-derivatives"""

    @staticmethod
    def forward(ctx, grad, x):
        ctx.save_for_backward(grad, x)
        return grad.data.reshape(-1, grad.shape[-1]).T @ x.data.reshape(-1, x.shape[-1])

    @staticmethod
    def backward(ctx, v):
        grad, x = ctx.saved_tensors
        needs = ctx.needs_input_grad
        return (x @ v.T if needs[0] else None), (grad @ v if needs[1] else None)
