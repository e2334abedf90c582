"""The shape methods of `Tensor` (reshape, permute, transpose, squeeze, expand, split, indexing, ...)
and the argument checks they and the reductions share. The ops they call are in `ops/shape.py`."""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Sequence

import numpy as np

from tinygrad_edu.autograd.grad_mode import GRAD_STATE
from tinygrad_edu.autograd.inplace import record_inplace
from tinygrad_edu.autograd.tensor_base import TensorBase
from tinygrad_edu.ops import shape as shape_ops

TopKResult = namedtuple("TopKResult", ["values", "indices"])


def normalize_dims(dim, ndim: int, op: str) -> tuple:
    """`dim` (None, an int or a sequence) as a sorted tuple of non-negative axes, checked."""
    if dim is None:
        return tuple(range(ndim))
    if type(dim) is int and 0 <= dim < ndim:  # the common case, checked at once
        return (dim,)
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    rank = max(ndim, 1)  # a 0-d tensor accepts dim 0 and -1, as in torch
    result = []
    for d in dims:
        if not -rank <= d < rank:
            raise IndexError(f"{op}: dimension {d} is out of range for a tensor with {ndim} dimension(s)")
        result.append(d % rank)
    return tuple(sorted(set(result))) if ndim > 0 else ()


def _shape_arg(shape: Sequence) -> tuple:
    """Accept both f(2, 3) and f((2, 3)) as torch does."""
    if len(shape) == 1 and isinstance(shape[0], tuple | list):
        shape = shape[0]
    if type(shape) is tuple and all(type(s) is int for s in shape):
        return shape
    for position, size in enumerate(shape):
        if isinstance(size, bool) or not hasattr(size, "__index__"):  # 2.5 is not a size, as in torch
            raise TypeError(
                f"size must be a tuple of ints, but found element of type {type(size).__name__} at pos {position}"
            )
    return tuple([int(s) for s in shape])


def _numpy_index(index):
    """Turn tensors (and lists) inside an index into numpy arrays; numpy does the rest."""
    if isinstance(index, tuple):
        return tuple(_numpy_index_part(p) for p in index)
    return _numpy_index_part(index)


def _numpy_index_part(part):
    if isinstance(part, TensorBase):
        part = part.data
    elif isinstance(part, list):
        part = np.asarray(part)
    if isinstance(part, np.ndarray) and part.dtype.kind not in "biu":
        raise IndexError(f"index: tensors used as indices must be integer or bool, not {part.dtype}")
    return part


class ShapeMethods:
    """Mixed into `Tensor`."""

    __slots__ = ()

    def _dim(self, dim: int, op: str) -> int:
        return normalize_dims(dim, self.ndim, op)[0] if self.ndim else 0

    def reshape(self, *shape):
        shape = _shape_arg(shape)
        if shape == self.data.shape:
            return self
        return shape_ops.Reshape.apply(self, shape)

    view = reshape

    def view_as(self, other):
        return self.reshape(other.shape)

    def permute(self, *dims):
        dims = _shape_arg(dims)
        if sorted(d % max(self.ndim, 1) for d in dims) != list(range(self.ndim)):
            raise ValueError(
                f"permute: {dims} is not a permutation of the {self.ndim} dimensions of {tuple(self.shape)}"
            )
        return shape_ops.Permute.apply(self, tuple(d % self.ndim for d in dims))

    def transpose(self, dim0: int, dim1: int):
        ndim = self.data.ndim
        if ndim < 2:
            return self
        if ndim == 2 and dim0 != dim1 and dim0 in (0, 1, -1, -2) and dim1 in (0, 1, -1, -2):
            return shape_ops.Permute.apply(self, (1, 0))  # the common case: a matrix
        dims = list(range(ndim))
        a, b = self._dim(dim0, "transpose"), self._dim(dim1, "transpose")
        dims[a], dims[b] = dims[b], dims[a]
        return shape_ops.Permute.apply(self, tuple(dims))

    @property
    def T(self):
        ndim = self.data.ndim
        if ndim == 2:
            return shape_ops.Permute.apply(self, (1, 0))
        return self.permute(*reversed(range(ndim))) if ndim > 2 else self

    @property
    def mT(self):
        return self.transpose(-2, -1)

    def flatten(self, start_dim: int = 0, end_dim: int = -1):
        if self.ndim == 0:
            return self.reshape(1)
        start, end = self._dim(start_dim, "flatten"), self._dim(end_dim, "flatten")
        shape = self.shape[:start] + (int(np.prod(self.shape[start : end + 1])),) + self.shape[end + 1 :]
        return self.reshape(shape)

    def unsqueeze(self, dim: int):
        if not -self.ndim - 1 <= dim <= self.ndim:
            raise IndexError(
                f"unsqueeze: dimension {dim} is out of range for a tensor with {self.ndim} dimension(s)"
            )
        dim = dim % (self.ndim + 1)
        return self.reshape(self.shape[:dim] + (1,) + self.shape[dim:])

    def squeeze(self, dim=None):
        if dim is None:
            return self.reshape(tuple(s for s in self.shape if s != 1))
        dims = normalize_dims(dim, self.ndim, "squeeze")
        return self.reshape(tuple(s for i, s in enumerate(self.shape) if not (i in dims and s == 1)))

    def expand(self, *sizes):
        sizes = _shape_arg(sizes)
        offset = len(sizes) - self.ndim
        shape = tuple(self.shape[i - offset] if s == -1 else s for i, s in enumerate(sizes))
        if shape == self.shape:
            return self
        return shape_ops.Expand.apply(self, shape)

    def expand_as(self, other):
        return self.expand(other.shape)

    def split(self, split_size_or_sections, dim: int = 0) -> tuple:
        dim = self._dim(dim, "split")
        length = self.shape[dim]
        if isinstance(split_size_or_sections, int):
            if split_size_or_sections <= 0:
                raise ValueError(f"split: split_size must be positive, got {split_size_or_sections}")
            sizes = [split_size_or_sections] * (length // split_size_or_sections)
            if length % split_size_or_sections:
                sizes.append(length % split_size_or_sections)
        else:
            sizes = list(split_size_or_sections)
            if sum(sizes) != length:
                raise ValueError(
                    f"split: sections {sizes} do not add up to {length}, the size of dimension {dim}"
                )
        pieces, start, prefix = [], 0, (slice(None),) * dim
        for size in sizes:
            pieces.append(self[prefix + (slice(start, start + size),)])
            start += size
        return tuple(pieces)

    def chunk(self, chunks: int, dim: int = 0) -> tuple:
        length = self.shape[self._dim(dim, "chunk")]
        return self.split(max(1, -(-length // chunks)), dim)

    def tril(self, diagonal: int = 0):
        keep = self._wrap(np.tri(*self.shape[-2:], k=diagonal, dtype=bool))
        return self.where(keep, self._wrap(np.zeros((), self.dtype)))

    def triu(self, diagonal: int = 0):
        keep = self._wrap(~np.tri(*self.shape[-2:], k=diagonal - 1, dtype=bool))
        return self.where(keep, self._wrap(np.zeros((), self.dtype)))

    def t(self):
        if self.ndim > 2:
            raise ValueError(f"t: expects a tensor with at most 2 dimensions, got shape {tuple(self.shape)}")
        return self.T

    def topk(self, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> TopKResult:
        """The k largest (or smallest) entries along `dim`, largest first, and their indices."""
        dim = self._dim(dim, "topk")
        if not 0 <= k <= self.shape[dim]:
            raise ValueError(f"topk: k ({k}) is out of range for dimension {dim} of size {self.shape[dim]}")
        order = np.argsort(-self.data if largest else self.data, axis=dim, kind="stable")
        indices = np.take(order, np.arange(k), axis=dim)
        grid = list(np.ogrid[tuple(slice(n) for n in indices.shape)])
        grid[dim] = indices  # gathered by an advanced index, so the values stay differentiable
        return TopKResult(self[tuple(grid)], self._wrap(indices.astype(np.int64)))

    def roll(self, shifts, dims=None):
        """Shift elements along `dims`, wrapping around (with no dims: over the flattened tensor)."""
        if dims is None:
            return self.flatten().roll(shifts, 0).reshape(self.shape)
        shifts = (shifts,) if isinstance(shifts, int) else tuple(shifts)
        dims = (dims,) if isinstance(dims, int) else tuple(dims)
        if len(shifts) != len(dims):
            raise ValueError(f"roll: shifts {shifts} and dims {dims} must have the same length")
        out = self
        for shift, dim in zip(shifts, dims):
            dim = self._dim(dim, "roll")
            source = (np.arange(self.shape[dim]) - shift) % max(self.shape[dim], 1)
            out = out[(slice(None),) * dim + (source,)]
        return out

    def unbind(self, dim: int = 0) -> tuple:
        dim = self._dim(dim, "unbind")
        return tuple(self[(slice(None),) * dim + (i,)] for i in range(self.shape[dim]))

    def __getitem__(self, index):
        index = _numpy_index(index)
        try:
            return shape_ops.GetItem.apply(self, index)
        except IndexError as error:
            raise IndexError(f"index: {error} (tensor of shape {tuple(self.shape)})") from None

    def __setitem__(self, index, value) -> None:
        index = _numpy_index(index)
        value_in_graph = isinstance(value, TensorBase) and value.requires_grad
        if GRAD_STATE.enabled and (self._ctx is not None or (value_in_graph and not self.requires_grad)):
            # part of a graph: recorded as an op, so backward sees the write (autograd/inplace.py)
            if not isinstance(value, TensorBase):
                value = self._wrap(np.array(value, dtype=self.dtype))
            value = value.to(self.dtype)
            record_inplace(self, lambda old: shape_ops.IndexPut.apply(old, value, index))
            return
        data = self._inplace("setitem")
        data[index] = value.data if isinstance(value, TensorBase) else value
