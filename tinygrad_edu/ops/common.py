"""Helpers shared by the ops: undoing broadcasting in backward, and sums over the last axis."""

from __future__ import annotations

import math

import numpy as np

_BLAS_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))
_ONES: dict = {}  # (length, dtype) -> a read-only column of ones, made once
_MAX_BLAS_ROWS = 1 << 16  # longer sums keep numpy's pairwise summation (smaller rounding error)


def _ones(length: int, dtype: np.dtype) -> np.ndarray:
    key = (length, dtype)
    ones = _ONES.get(key)
    if ones is None:
        ones = _ONES[key] = np.ones((length, 1), dtype=dtype)
        ones.flags.writeable = False
    return ones


def sum_last(data: np.ndarray, keepdims: bool = True) -> np.ndarray:
    """The sum over the last axis, for the rows of softmax, LayerNorm and the losses. numpy's own
    reduction over a short contiguous axis works row by row and costs several times a product with
    a column of ones, which BLAS does in one call; other dtypes, and 0-d, take the plain sum."""
    if data.dtype not in _BLAS_FLOATS or data.ndim == 0:
        return data.sum(axis=-1, keepdims=keepdims)
    total = data @ _ones(data.shape[-1], data.dtype)
    return total if keepdims else total[..., 0]


def max_last(data: np.ndarray) -> np.ndarray:
    """The maximum over the last axis, kept. When that axis is short and not contiguous in memory
    (attention scores laid out key-major), pairwise maxima of its halves, each half a block of whole
    rows of memory, are several times faster than numpy's reduction, which walks a few numbers at a
    time; np.maximum propagates nan as max does."""
    if data.ndim == 0 or not 1 < data.shape[-1] <= 64 or data.strides[-1] == data.itemsize:
        return data.max(axis=-1, keepdims=True)
    while data.shape[-1] > 1:
        half = data.shape[-1] // 2
        top = np.maximum(data[..., :half], data[..., half : 2 * half])
        if data.shape[-1] % 2:
            np.maximum(top[..., :1], data[..., -1:], out=top[..., :1])
        data = top
    return data


def sum_over(data: np.ndarray, dims: tuple, keepdims: bool) -> np.ndarray:
    """data.sum(dims) for sorted `dims`. Over the last axis, or over leading axes (a bias gradient:
    the rows of a batch) of a contiguous float array, a BLAS product with ones, a few times faster
    than numpy's reduction; reductions of everything keep numpy's pairwise sum."""
    ndim = data.ndim
    if data.dtype in _BLAS_FLOATS and 0 < len(dims) < ndim:
        if dims == (ndim - 1,):
            return sum_last(data, keepdims)
        if dims[-1] == len(dims) - 1 and data.flags.c_contiguous:  # (0, 1, ..., k - 1)
            kept = data.shape[len(dims) :]
            rows = data.size // max(1, math.prod(kept))
            if 0 < rows <= _MAX_BLAS_ROWS:
                total = data.reshape(rows, -1).T @ _ones(rows, data.dtype)
                return total.reshape((1,) * len(dims) + kept if keepdims else kept)
    return data.sum(axis=dims, keepdims=keepdims)


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
