"""The `torch.*` functions that are also Tensor methods: `tg.tril(x)` is `x.tril()`, `tg.topk(x, k)`
is `x.topk(k)`, and so on, so code written as `torch.maximum(a, b)` runs as written. Each one only
forwards to the method (the op is defined once, in tensor.py and ops/); a few with no method of their
own (`allclose`, `histogram`, `is_tensor`, `compile`) are defined here.
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np

from tinygrad_edu.dtypes import DEFAULT_FLOAT
from tinygrad_edu.tensor import Tensor

HistogramResult = namedtuple("HistogramResult", ["hist", "bin_edges"])


def _tensor(input, op: str) -> Tensor:
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}: expected a Tensor as input, got {type(input).__name__}")
    return input


# pointwise
def abs(input: Tensor) -> Tensor:
    return _tensor(input, "abs").abs()


def exp(input: Tensor) -> Tensor:
    return _tensor(input, "exp").exp()


def log(input: Tensor) -> Tensor:
    return _tensor(input, "log").log()


def log10(input: Tensor) -> Tensor:
    return _tensor(input, "log10").log10()


def sqrt(input: Tensor) -> Tensor:
    return _tensor(input, "sqrt").sqrt()


def tanh(input: Tensor) -> Tensor:
    return _tensor(input, "tanh").tanh()


def sigmoid(input: Tensor) -> Tensor:
    return _tensor(input, "sigmoid").sigmoid()


def relu(input: Tensor) -> Tensor:
    return _tensor(input, "relu").relu()


def square(input: Tensor) -> Tensor:
    return _tensor(input, "square").square()


def clamp(input: Tensor, min=None, max=None) -> Tensor:
    return _tensor(input, "clamp").clamp(min, max)


clip = clamp


def pow(input, exponent) -> Tensor:
    """input ** exponent; either may be a plain number (torch.pow(2.0, x) is 2 ** x)."""
    if isinstance(input, Tensor):
        return input**exponent
    return _tensor(exponent, "pow").__rpow__(input)


def maximum(input: Tensor, other: Tensor) -> Tensor:
    return _tensor(input, "maximum").maximum(_tensor(other, "maximum"))


def minimum(input: Tensor, other: Tensor) -> Tensor:
    return _tensor(input, "minimum").minimum(_tensor(other, "minimum"))


def masked_fill(input: Tensor, mask: Tensor, value) -> Tensor:
    return _tensor(input, "masked_fill").masked_fill(mask, value)


def softmax(input: Tensor, dim: int) -> Tensor:
    return _tensor(input, "softmax").softmax(dim)


def log_softmax(input: Tensor, dim: int) -> Tensor:
    return _tensor(input, "log_softmax").log_softmax(dim)


def isnan(input: Tensor) -> Tensor:
    return _tensor(input, "isnan").isnan()


# reductions
def sum(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    return _tensor(input, "sum").sum(dim, keepdim)


def mean(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    return _tensor(input, "mean").mean(dim, keepdim)


def var(input: Tensor, dim=None, keepdim: bool = False, *, correction: int = 1) -> Tensor:
    return _tensor(input, "var").var(dim, keepdim, correction=correction)


def std(input: Tensor, dim=None, keepdim: bool = False, *, correction: int = 1) -> Tensor:
    return _tensor(input, "std").std(dim, keepdim, correction=correction)


def max(input: Tensor, dim=None, keepdim: bool = False):
    return _tensor(input, "max").max(dim, keepdim)


def min(input: Tensor, dim=None, keepdim: bool = False):
    return _tensor(input, "min").min(dim, keepdim)


def argmax(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    return _tensor(input, "argmax").argmax(dim, keepdim)


def argmin(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    return _tensor(input, "argmin").argmin(dim, keepdim)


def logsumexp(input: Tensor, dim, keepdim: bool = False) -> Tensor:
    return _tensor(input, "logsumexp").logsumexp(dim, keepdim)


def topk(input: Tensor, k: int, dim: int = -1, largest: bool = True, sorted: bool = True):
    return _tensor(input, "topk").topk(k, dim, largest, sorted)


def all(input: Tensor) -> Tensor:
    return _tensor(input, "all").all()


def any(input: Tensor) -> Tensor:
    return _tensor(input, "any").any()


def numel(input: Tensor) -> int:
    return _tensor(input, "numel").numel()


# matrices and shapes
def matmul(input: Tensor, other: Tensor) -> Tensor:
    return _tensor(input, "matmul").matmul(other)


def tril(input: Tensor, diagonal: int = 0) -> Tensor:
    return _tensor(input, "tril").tril(diagonal)


def triu(input: Tensor, diagonal: int = 0) -> Tensor:
    return _tensor(input, "triu").triu(diagonal)


def transpose(input: Tensor, dim0: int, dim1: int) -> Tensor:
    return _tensor(input, "transpose").transpose(dim0, dim1)


def reshape(input: Tensor, shape) -> Tensor:
    return _tensor(input, "reshape").reshape(shape)


def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    return _tensor(input, "flatten").flatten(start_dim, end_dim)


def squeeze(input: Tensor, dim=None) -> Tensor:
    return _tensor(input, "squeeze").squeeze(dim)


def unsqueeze(input: Tensor, dim: int) -> Tensor:
    return _tensor(input, "unsqueeze").unsqueeze(dim)


def split(tensor: Tensor, split_size_or_sections, dim: int = 0) -> tuple:
    return _tensor(tensor, "split").split(split_size_or_sections, dim)


def chunk(input: Tensor, chunks: int, dim: int = 0) -> tuple:
    return _tensor(input, "chunk").chunk(chunks, dim)


def unbind(input: Tensor, dim: int = 0) -> tuple:
    return _tensor(input, "unbind").unbind(dim)


def roll(input: Tensor, shifts, dims=None) -> Tensor:
    return _tensor(input, "roll").roll(shifts, dims)


# comparisons and inspection (no method of their own)
def is_tensor(obj) -> bool:
    return isinstance(obj, Tensor)


def equal(input: Tensor, other: Tensor) -> bool:
    """True when both have the same shape and the same elements."""
    return _tensor(input, "equal").shape == _tensor(other, "equal").shape and bool(
        np.array_equal(input.data, other.data)
    )


def allclose(
    input: Tensor, other: Tensor, rtol: float = 1e-5, atol: float = 1e-8, equal_nan: bool = False
) -> bool:
    """|input - other| <= atol + rtol * |other| everywhere (broadcasting), as torch.allclose."""
    a, b = _tensor(input, "allclose").data, _tensor(other, "allclose").data
    return bool(np.allclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan))


def histogram(input: Tensor, bins: int = 100, *, range=None, weight=None, density: bool = False):
    """Counts of `input`'s values in `bins` equal bins (or at the given edges), and the edges."""
    values = _tensor(input, "histogram").data
    weights = None if weight is None else np.asarray(weight.data if isinstance(weight, Tensor) else weight)
    edges = bins.data if isinstance(bins, Tensor) else bins
    hist, bin_edges = np.histogram(values, bins=edges, range=range, weights=weights, density=density)
    dtype = values.dtype if values.dtype.kind == "f" else DEFAULT_FLOAT
    return HistogramResult(Tensor._wrap(hist.astype(dtype)), Tensor._wrap(bin_edges.astype(dtype)))


def compile(model=None, **options):
    """Returns `model` unchanged: there is no compiler here (torch.compile's options are accepted and
    have no effect). Also works as a decorator, `@tg.compile` or `@tg.compile(...)`."""
    if model is None:
        return lambda fn: fn
    return model
