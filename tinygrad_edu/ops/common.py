"""Helpers shared by the ops: undoing broadcasting in backward, and sums over the last axis."""

from __future__ import annotations

import numpy as np

_BLAS_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))
_ONES: dict = {}  # (length, dtype) -> a read-only column of ones, made once


def sum_last(data: np.ndarray, keepdims: bool = True) -> np.ndarray:
    """The sum over the last axis, for the rows of softmax, LayerNorm and the losses. numpy's own
    reduction over a short contiguous axis works row by row and costs several times a product with
    a column of ones, which BLAS does in one call; other dtypes, and 0-d, take the plain sum."""
    if data.dtype not in _BLAS_FLOATS or data.ndim == 0:
        return data.sum(axis=-1, keepdims=keepdims)
    key = (data.shape[-1], data.dtype)
    ones = _ONES.get(key)
    if ones is None:
        ones = _ONES[key] = np.ones((data.shape[-1], 1), dtype=data.dtype)
        ones.flags.writeable = False
    total = data @ ones
    return total if keepdims else total[..., 0]


def unbroadcast(grad, shape: tuple):
    """Sum `grad` down to `shape`, undoing numpy broadcasting.

    If `x` of shape (3, 1) was broadcast to (2, 3, 4) in the forward pass, each element of x was used
    2 * 4 times, so its gradient is the sum of the gradient over those copies: sum over the leading
    axis that was added and over the axis where x had size 1.
    Derivation: docs/derivations.md#broadcasting-and-unbroadcast
    """
    grad_shape = grad.data.shape
    if grad_shape == shape:
        return grad
    extra = len(grad_shape) - len(shape)
    axes = tuple(range(extra)) + tuple(
        [extra + i for i, size in enumerate(shape) if size == 1 and grad_shape[extra + i] != 1]
    )
    if axes:
        grad = grad.sum(dim=axes)
    return grad.reshape(shape)


def broadcast_error(op: str, a, b) -> ValueError:
    return ValueError(f"{op}: shapes {tuple(a.shape)} and {tuple(b.shape)} cannot be broadcast together")
