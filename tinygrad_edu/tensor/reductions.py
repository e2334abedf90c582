"""The reductions of `Tensor` (sum, mean, var, max, logsumexp, softmax, ...) and the matrix product,
each checking its arguments before calling its op (`ops/reduce.py`, `ops/activation.py`,
`ops/linalg.py`)."""

from __future__ import annotations

from collections import namedtuple

import numpy as np

from tinygrad_edu.autograd.tensor_base import TensorBase
from tinygrad_edu.dtypes import check_same_dtype
from tinygrad_edu.ops import activation, linalg, reduce
from tinygrad_edu.tensor.shaping import normalize_dims

MaxResult = namedtuple("MaxResult", ["values", "indices"])


def _count(shape: tuple, dims: tuple) -> int:
    count = 1
    for d in dims:
        count *= shape[d]
    return count


class ReductionMethods:
    """Mixed into `Tensor`."""

    __slots__ = ()

    def sum(self, dim=None, keepdim: bool = False, *, keepdims: bool | None = None):
        keepdim = keepdim if keepdims is None else keepdims  # numpy's spelling, which torch accepts too
        return reduce.Sum.apply(self, normalize_dims(dim, self.data.ndim, "sum"), keepdim)

    def mean(self, dim=None, keepdim: bool = False, *, keepdims: bool | None = None):
        keepdim = keepdim if keepdims is None else keepdims
        dims = normalize_dims(dim, self.data.ndim, "mean")
        count = _count(self.data.shape, dims)
        return reduce.Sum.apply(self, dims, keepdim) * (1.0 / count if count else float("nan"))  # torch: nan

    def var(self, dim=None, keepdim: bool = False, *, correction: int = 1, unbiased: bool | None = None):
        """Variance; `correction=1` divides by n - 1 (Bessel), `correction=0` by n."""
        if unbiased is not None:
            correction = int(unbiased)
        dims = normalize_dims(dim, self.ndim, "var")
        count = _count(self.shape, dims)
        centered = self - self.mean(dims, keepdim=True)
        return (centered * centered).sum(dims, keepdim=keepdim) * (
            1.0 / max(count - correction, 0) if count > correction else float("nan")
        )

    def std(self, dim=None, keepdim: bool = False, *, correction: int = 1, unbiased: bool | None = None):
        return self.var(dim, keepdim, correction=correction, unbiased=unbiased).sqrt()

    def logsumexp(self, dim, keepdim: bool = False):
        return reduce.LogSumExp.apply(self, normalize_dims(dim, self.ndim, "logsumexp"), keepdim)

    def softmax(self, dim: int):
        return activation.Softmax.apply(self, self._dim(dim, "softmax"))

    def log_softmax(self, dim: int):
        return activation.LogSoftmax.apply(self, self._dim(dim, "log_softmax"))

    def _max_or_min(self, dim, keepdim: bool, largest: bool, op: str):
        if isinstance(dim, TensorBase):
            return self.maximum(dim) if largest else self.minimum(dim)
        if self.data.size == 0:
            raise ValueError(f"{op}: the tensor is empty")
        pick = np.argmax if largest else np.argmin
        if dim is None:
            flat = self.reshape(-1)
            return reduce.TakeAlongDim.apply(flat, 0, False, pick(flat.data, axis=0, keepdims=True))
        dim = self._dim(dim, op)
        indices = pick(self.data, axis=dim, keepdims=True)
        values = reduce.TakeAlongDim.apply(self, dim, keepdim, indices)
        return MaxResult(values, self._wrap(indices if keepdim else np.squeeze(indices, axis=dim)))

    def max(self, dim=None, keepdim: bool = False):
        """The largest element, or with `dim` a (values, indices) pair as torch returns."""
        return self._max_or_min(dim, keepdim, True, "max")

    def min(self, dim=None, keepdim: bool = False):
        return self._max_or_min(dim, keepdim, False, "min")

    def argmax(self, dim=None, keepdim: bool = False):
        if dim is None:
            return self._wrap(np.argmax(self.data))
        return self._wrap(np.argmax(self.data, axis=self._dim(dim, "argmax"), keepdims=keepdim))

    def argmin(self, dim=None, keepdim: bool = False):
        if dim is None:
            return self._wrap(np.argmin(self.data))
        return self._wrap(np.argmin(self.data, axis=self._dim(dim, "argmin"), keepdims=keepdim))

    def matmul(self, other):
        """torch.matmul's rules: 1-D operands are treated as a row (left) or column (right) vector
        and that dimension is removed from the result; leading (batch) dimensions broadcast."""
        other = self._operand(other, "matmul")
        if other.data.dtype != self.data.dtype:
            check_same_dtype("matmul", self.data.dtype, other.data.dtype)
        shape, other_shape = self.data.shape, other.data.shape
        if len(shape) == 2 and len(other_shape) == 2 and shape[1] == other_shape[0]:
            return linalg.MatMul.apply(self, other)  # the common case: two matrices that align
        if self.ndim == 0 or other.ndim == 0:
            raise ValueError(
                f"matmul: both operands need at least one dimension, got shapes {self.shape} and {other.shape}"
            )
        a = self.reshape(1, -1) if self.ndim == 1 else self
        b = other.reshape(-1, 1) if other.ndim == 1 else other
        if a.shape[-1] != b.shape[-2]:
            raise ValueError(
                f"matmul: shapes {tuple(self.shape)} and {tuple(other.shape)} do not align "
                f"({a.shape[-1]} != {b.shape[-2]})"
            )
        if a.ndim > 2 or b.ndim > 2:
            try:
                np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
            except ValueError:
                raise ValueError(
                    f"matmul: batch dimensions of {tuple(self.shape)} and {tuple(other.shape)} cannot be broadcast"
                ) from None
        out = linalg.MatMul.apply(a, b)
        if self.ndim == 1 and other.ndim == 1:
            return out.reshape(())
        if self.ndim == 1:
            return out.reshape(out.shape[:-2] + out.shape[-1:])
        if other.ndim == 1:
            return out.reshape(out.shape[:-1])
        return out

    def __matmul__(self, other):
        return self.matmul(other)

    def __rmatmul__(self, other):
        return self._operand(other, "matmul").matmul(self)
