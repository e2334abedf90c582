"""Making tensors: `tensor`, `zeros`, `ones`, `full`, `arange`, random tensors, `cat`/`stack` (the
seeded generators they draw from are in `random.py`)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from tinygrad_edu.device import check_device
from tinygrad_edu.dtypes import as_dtype, result_type
from tinygrad_edu.ops.shape import Cat
from tinygrad_edu.tensor.random import Generator, _generator
from tinygrad_edu.tensor.shaping import _shape_arg
from tinygrad_edu.tensor.tensor import DEFAULT_FLOAT, Tensor, int64


def _dtype(dtype) -> np.dtype | None:
    return None if dtype is None else as_dtype(dtype, "dtype")


def _finish(array: np.ndarray, requires_grad: bool) -> Tensor:
    tensor = Tensor._wrap(array)
    return tensor.requires_grad_(True) if requires_grad else tensor


def tensor(data, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A new tensor holding a copy of `data` (Python floats become float32, ints int64)."""
    check_device(device, "tensor")
    return Tensor(data, dtype=dtype, requires_grad=requires_grad)


def zeros(*size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    check_device(device, "zeros")
    return _finish(np.zeros(_shape_arg(size), dtype=_dtype(dtype) or DEFAULT_FLOAT), requires_grad)


def ones(*size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    check_device(device, "ones")
    return _finish(np.ones(_shape_arg(size), dtype=_dtype(dtype) or DEFAULT_FLOAT), requires_grad)


def empty(*size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    check_device(device, "empty")
    return zeros(*size, dtype=dtype, requires_grad=requires_grad)


def full(size: Sequence[int], fill_value, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    check_device(device, "full")
    if dtype is None:
        dtype = (
            DEFAULT_FLOAT
            if isinstance(fill_value, float)
            else (np.bool_ if isinstance(fill_value, bool) else int64)
        )
    return _finish(np.full(tuple(size), fill_value, dtype=_dtype(dtype)), requires_grad)


def zeros_like(input: Tensor, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    check_device(device, "zeros_like")
    return _finish(np.zeros(input.shape, dtype=_dtype(dtype) or input.dtype), requires_grad)


def ones_like(input: Tensor, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    check_device(device, "ones_like")
    return _finish(np.ones(input.shape, dtype=_dtype(dtype) or input.dtype), requires_grad)


def full_like(input: Tensor, fill_value, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    check_device(device, "full_like")
    return _finish(np.full(input.shape, fill_value, dtype=_dtype(dtype) or input.dtype), requires_grad)


def eye(n: int, m: int | None = None, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    check_device(device, "eye")
    return _finish(np.eye(n, m, dtype=_dtype(dtype) or DEFAULT_FLOAT), requires_grad)


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """arange(end) or arange(start, end, step): int64 for whole numbers, float32 otherwise."""
    check_device(device, "arange")
    if end is None:
        start, end = 0, start
    if step == 0:
        raise ValueError("arange: step must be nonzero")
    if dtype is None:
        whole = all(isinstance(v, int) for v in (start, end, step))
        dtype = int64 if whole else DEFAULT_FLOAT
    return _finish(np.arange(start, end, step, dtype=_dtype(dtype)), requires_grad)


def linspace(
    start: float, end: float, steps: int, dtype=None, device=None, requires_grad: bool = False
) -> Tensor:
    check_device(device, "linspace")
    return _finish(np.linspace(start, end, steps, dtype=_dtype(dtype) or DEFAULT_FLOAT), requires_grad)


def randn(
    *size, generator: Generator | None = None, dtype=None, device=None, requires_grad: bool = False
) -> Tensor:
    """Standard normal samples."""
    check_device(device, "randn")
    dtype = _dtype(dtype) or DEFAULT_FLOAT
    return _finish(_generator(generator).standard_normal(_shape_arg(size), dtype=dtype), requires_grad)


def rand(
    *size, generator: Generator | None = None, dtype=None, device=None, requires_grad: bool = False
) -> Tensor:
    """Uniform samples in [0, 1)."""
    check_device(device, "rand")
    dtype = _dtype(dtype) or DEFAULT_FLOAT
    return _finish(_generator(generator).random(_shape_arg(size), dtype=dtype), requires_grad)


def randint(
    low: int,
    high: int | None = None,
    size: Sequence[int] = (),
    generator: Generator | None = None,
    dtype=None,
    device=None,
) -> Tensor:
    """Integers in [low, high); `randint(high, size)` starts at 0, as torch."""
    check_device(device, "randint")
    if high is None or isinstance(high, tuple | list):
        low, high, size = 0, low, high if high is not None else size
    if high <= low:
        raise ValueError(f"randint: high ({high}) must be greater than low ({low})")
    return Tensor._wrap(
        _generator(generator).integers(low, high, size=tuple(size), dtype=_dtype(dtype) or int64)
    )


def randperm(n: int, generator: Generator | None = None, dtype=None, device=None) -> Tensor:
    check_device(device, "randperm")
    return Tensor._wrap(_generator(generator).permutation(n).astype(_dtype(dtype) or int64))


def multinomial(
    input: Tensor, num_samples: int, replacement: bool = False, generator: Generator | None = None
) -> Tensor:
    """Draw indices with probability proportional to the rows of `input` (1-D or 2-D, non-negative)."""
    weights = np.asarray(input.data if isinstance(input, Tensor) else input, dtype=np.float64)
    if weights.ndim not in (1, 2):
        raise ValueError(f"multinomial: input must be 1-D or 2-D, got shape {weights.shape}")
    rows = np.atleast_2d(weights)
    if (rows < 0).any() or not np.isfinite(rows).all() or (rows.sum(axis=1) <= 0).any():
        raise ValueError(
            "multinomial: weights must be finite, non-negative and have a positive sum in every row"
        )
    if not replacement and num_samples > (rows > 0).sum(axis=1).min():
        raise ValueError(
            f"multinomial: cannot draw {num_samples} samples without replacement from fewer non-zero weights"
        )
    rng = _generator(generator)
    probs = rows / rows.sum(axis=1, keepdims=True)
    if replacement:
        cumulative = np.cumsum(probs, axis=1)
        cumulative[:, -1] = 1.0
        uniform = rng.random((rows.shape[0], num_samples))
        samples = np.stack([np.searchsorted(c, u, side="right") for c, u in zip(cumulative, uniform)])
    else:
        # the "exponential race": the k smallest of E_i / p_i are a draw of k without replacement
        with np.errstate(divide="ignore"):
            race = rng.exponential(size=rows.shape) / probs
        samples = np.argsort(race, axis=1, kind="stable")[:, :num_samples]
    samples = samples.astype(int64)
    return Tensor._wrap(samples if weights.ndim == 2 else samples[0])


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing `array`'s memory and dtype (changes to one show in the other), as torch."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected a numpy array, got {type(array).__name__}")
    return Tensor._wrap(array)


def cat(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Join tensors along an existing dimension; all other dimensions must match."""
    tensors = list(tensors)
    if not tensors:
        raise ValueError("cat: expected a non-empty sequence of tensors")
    first = tensors[0]
    ndim = first.ndim
    if not -ndim <= dim < max(ndim, 1):
        raise IndexError(f"cat: dimension {dim} is out of range for tensors with {ndim} dimension(s)")
    dim %= ndim
    for i, t in enumerate(tensors):
        if t.ndim != ndim or any(a != b for d, (a, b) in enumerate(zip(t.shape, first.shape)) if d != dim):
            raise ValueError(
                f"cat: tensor {i} has shape {tuple(t.shape)}, which does not match {tuple(first.shape)} outside dimension {dim}"
            )
    dtype = result_type(*[(t.dtype, 2) for t in tensors])  # torch promotes: cat of int and float is float
    return Cat.apply(*[t if t.dtype == dtype else t.to(dtype) for t in tensors], dim=dim)


def stack(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Join tensors of equal shape along a new dimension."""
    tensors = list(tensors)
    if not tensors:
        raise ValueError("stack: expected a non-empty sequence of tensors")
    shape = tensors[0].shape
    for i, t in enumerate(tensors):
        if t.shape != shape:
            raise ValueError(f"stack: tensor {i} has shape {tuple(t.shape)}, but tensor 0 has {tuple(shape)}")
    return cat([t.unsqueeze(dim) for t in tensors], dim=dim)
