"""Ops that move elements around without arithmetic: reshape, permute, expand, indexing, cat.
Their backward moves the gradient back the same way. Derivations: docs/derivations.md#shape-ops-and-indexing"""

from __future__ import annotations

import numpy as np

from tinygrad_edu.autograd.function import Function
from tinygrad_edu.ops.common import unbroadcast


class Reshape(Function):
    @staticmethod
    def forward(ctx, x, shape):
        ctx.shape = x.shape
        try:
            return x.data.reshape(shape)
        except ValueError:
            raise ValueError(
                f"reshape: shape {tuple(shape)} is invalid for a tensor of shape {tuple(x.shape)} "
                f"({x.data.size} elements)"
            ) from None

    @staticmethod
    def backward(ctx, grad):
        return grad.reshape(ctx.shape), None


class Permute(Function):
    @staticmethod
    def forward(ctx, x, dims):
        ctx.dims = dims
        return np.transpose(x.data, dims)

    @staticmethod
    def backward(ctx, grad):
        return grad.permute(*np.argsort(ctx.dims).tolist()), None  # the inverse permutation


class Expand(Function):
    @staticmethod
    def forward(ctx, x, shape):
        ctx.shape = x.shape
        try:
            return np.broadcast_to(x.data, shape)
        except ValueError:
            raise ValueError(f"expand: cannot expand shape {tuple(x.shape)} to {tuple(shape)}") from None

    @staticmethod
    def backward(ctx, grad):
        return unbroadcast(grad, ctx.shape), None


def _is_basic(index) -> bool:
    """True for ints, slices, None and ... only: such an index picks each element at most once."""
    parts = index if isinstance(index, tuple) else (index,)
    return all(p is None or p is Ellipsis or isinstance(p, int | slice) for p in parts)


class GetItem(Function):
    """x[index] for any numpy-style index (already converted from Tensors to arrays)."""

    @staticmethod
    def forward(ctx, x, index):
        ctx.shape, ctx.dtype, ctx.index = x.shape, x.data.dtype, index
        return x.data[index]

    @staticmethod
    def backward(ctx, grad):
        return IndexAdd.apply(grad, ctx.shape, ctx.index), None


_ONE_HOT_LIMIT = 1 << 20  # rows x ids up to which IndexAdd sums with a one-hot product


class IndexAdd(Function):
    """The backward of x[index]: a zero tensor of x's shape with `values` added at `index`.

    Integer-array indices may repeat (C[X] with a character used twice), so the additions accumulate
    (np.add.at) instead of overwriting; basic indices and boolean masks pick each element once.
    Derivation (embedding's scatter-add): docs/derivations.md#embedding
    """

    @staticmethod
    def forward(ctx, values, shape, index):
        ctx.index = index
        data = values.data
        if type(index) is np.ndarray and index.dtype.kind in "iu" and shape[0] * index.size <= _ONE_HOT_LIMIT:
            ids = index.reshape(-1)
            if ids.size and ids.min() >= 0:
                # rows looked up by ids (an embedding): the sum of the values per row is a one-hot
                # matrix times the values, one BLAS call, several times faster than np.add.at
                one_hot = (ids == np.arange(shape[0])[:, None]).astype(data.dtype)
                return (one_hot @ data.reshape(ids.size, -1)).reshape(shape)
        out = np.zeros(shape, dtype=data.dtype)
        if _is_basic(index) or getattr(index, "dtype", None) == np.bool_:
            out[index] = data
        else:
            np.add.at(out, index, data)
        return out

    @staticmethod
    def backward(ctx, grad):
        return grad[ctx.index], None, None


class IndexPut(Function):
    """x with `value` written at `index` (x[index] = value as a graph op): the result's gradient goes to
    x everywhere but at `index`, and at `index` to value (summed back to value's broadcast shape)."""

    @staticmethod
    def forward(ctx, x, value, index):
        ctx.index, ctx.value_shape = index, value.shape
        out = x.data.copy()
        out[index] = value.data
        return out

    @staticmethod
    def backward(ctx, grad):
        grad_x = IndexPut.apply(grad, grad._wrap(np.zeros((), grad.dtype)), ctx.index)
        grad_value = unbroadcast(grad[ctx.index], ctx.value_shape) if ctx.needs_input_grad[1] else None
        return grad_x, grad_value, None


class Cat(Function):
    @staticmethod
    def forward(ctx, *tensors, dim=0):
        ctx.dim = dim
        ctx.sizes = [t.shape[dim] for t in tensors]
        return np.concatenate([t.data for t in tensors], axis=dim)

    @staticmethod
    def backward(ctx, grad):
        grads, start = [], 0
        prefix = (slice(None),) * ctx.dim
        for size in ctx.sizes:
            grads.append(grad[prefix + (slice(start, start + size),)])
            start += size
        return tuple(grads)


class Clone(Function):
    @staticmethod
    def forward(ctx, x):
        return x.data.copy()

    @staticmethod
    def backward(ctx, grad):
        return grad


class Cast(Function):
    """A change of dtype; between floating types the gradient flows back in the input's dtype."""

    @staticmethod
    def forward(ctx, x, dtype):
        ctx.dtype = x.data.dtype
        return x.data.astype(dtype)

    @staticmethod
    def backward(ctx, grad):
        return grad.to(ctx.dtype), None
