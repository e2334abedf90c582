"""Testing helpers for your own ops, as `torch.testing` gives: `assert_close`, hypothesis strategies,
and the gradient checks.

    from hypothesis import given
    from tinygrad_edu.testing import assert_close, gradcheck, tensors

    @given(tensors(shape=(3, 4), requires_grad=True))
    def test_my_op(x):
        assert gradcheck(my_op, (x,))
        assert_close(my_op(x), reference(x))

The project's own tests use these same strategies. `hypothesis` is imported only when a strategy is
first called, so `assert_close` works without it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_edu.gradcheck import GradcheckError, gradcheck, gradgradcheck
from tinygrad_edu.tensor import Tensor

__all__ = [
    "GradcheckError",
    "arrays",
    "assert_close",
    "broadcastable_shapes",
    "gradcheck",
    "gradgradcheck",
    "noncontiguous_tensors",
    "shapes",
    "tensors",
]

# torch.testing's defaults: (rtol, atol) per dtype; integers and bools must match exactly
_DEFAULT_TOLERANCES = {
    np.dtype(np.float16): (1e-3, 1e-5),
    np.dtype(np.float32): (1.3e-6, 1e-5),
    np.dtype(np.float64): (1e-7, 1e-7),
}


def _to_array(value: Any, name: str) -> np.ndarray:
    """A numpy array from a Tensor, a numpy array, a number or (duck typed) a torch tensor."""
    if isinstance(value, Tensor):
        return value.data
    if hasattr(value, "detach") and hasattr(value, "cpu"):  # a torch tensor, without importing torch
        value = value.detach().cpu()
    try:
        array = np.asarray(value)
    except Exception as error:  # noqa: BLE001 - any conversion failure gets one clear message
        raise TypeError(f"assert_close: cannot compare {name} of type {type(value).__name__}") from error
    if array.dtype == object:
        raise TypeError(f"assert_close: cannot compare {name} of type {type(value).__name__}")
    return array


def _default_tolerances(*arrays: np.ndarray) -> tuple[float, float]:
    """The loosest default of the two dtypes (exact for integers and bools)."""
    rtol = atol = 0.0
    for array in arrays:
        default = _DEFAULT_TOLERANCES.get(
            array.dtype, (0.0, 0.0) if array.dtype.kind in "biu" else (1e-7, 1e-7)
        )
        rtol, atol = max(rtol, default[0]), max(atol, default[1])
    return rtol, atol


def assert_close(actual: Any, expected: Any, *, rtol: float | None = None, atol: float | None = None) -> None:
    """Raise AssertionError unless |actual - expected| <= atol + rtol * |expected| everywhere.

    `actual` and `expected` may be Tensors, numpy arrays, numbers or torch tensors. Without `rtol`
    and `atol` torch's per-dtype defaults apply (float32: rtol 1.3e-6, atol 1e-5; float64: rtol 1e-7,
    atol 1e-7; integers exact). NaN equals NaN at the same position; infinities must match exactly.
    The message names the worst element: its index, both values, the difference and the tolerance.
    """
    if (rtol is None) != (atol is None):
        raise ValueError("assert_close: give both rtol and atol, or neither")
    actual_array, expected_array = _to_array(actual, "actual"), _to_array(expected, "expected")
    if actual_array.shape != expected_array.shape:
        raise AssertionError(
            f"assert_close: shapes do not match: actual {actual_array.shape}, expected {expected_array.shape}"
        )
    if rtol is None:
        rtol, atol = _default_tolerances(actual_array, expected_array)
    a = actual_array.astype(np.float64)
    e = expected_array.astype(np.float64)
    both_nan = np.isnan(a) & np.isnan(e)
    with np.errstate(invalid="ignore"):
        difference = np.abs(a - e)
        tolerance = atol + rtol * np.abs(e)
        same_infinity = np.isinf(a) & (a == e)
        ok = both_nan | same_infinity | (difference <= tolerance)
    if ok.all():
        return
    # the worst element: the largest excess over its tolerance (NaN or mismatched inf counts as worst)
    excess = np.where(ok, -np.inf, np.nan_to_num(difference - tolerance, nan=np.inf, posinf=np.inf))
    flat = int(np.argmax(excess))
    index = np.unravel_index(flat, a.shape) if a.ndim else ()
    mismatches = int((~ok).sum())
    raise AssertionError(
        f"assert_close: tensors are not close! {mismatches} of {ok.size} elements mismatch "
        f"({100.0 * mismatches / ok.size:.1f}%).\n"
        f"Worst element at index {tuple(int(i) for i in index)}: actual {actual_array[index].item()!r}, expected {expected_array[index].item()!r}, "
        f"|difference| {difference[index]:.6g} > tolerance {tolerance[index]:.6g} "
        f"(atol={atol}, rtol={rtol})"
    )


# --------------------------------------------------------------------------------------------------
# hypothesis strategies


def _st():
    import hypothesis.strategies as st

    return st


def shapes(min_dims: int = 0, max_dims: int = 4, min_side: int = 1, max_side: int = 5):
    """Tuples of `min_dims`..`max_dims` sizes, each in `min_side`..`max_side`; () is a scalar."""
    st = _st()
    return st.lists(st.integers(min_side, max_side), min_size=min_dims, max_size=max_dims).map(tuple)


def broadcastable_shapes(shape: tuple, min_dims: int = 0, max_dims: int | None = None, max_side: int = 5):
    """Shapes that broadcast with `shape`: possibly fewer (or more, up to `max_dims`) dimensions, and
    on each aligned dimension either the same size or 1 (or, where `shape` has 1, any size)."""
    st = _st()
    shape = tuple(shape)
    max_dims = len(shape) if max_dims is None else max_dims

    @st.composite
    def build(draw):
        ndim = draw(st.integers(min(min_dims, max_dims), max_dims))
        sizes = []
        for position in range(-ndim, 0):  # aligned from the right, as broadcasting is
            if -position <= len(shape):
                size = shape[position]
                sizes.append(draw(st.sampled_from([size, 1]) if size != 1 else st.integers(1, max_side)))
            else:
                sizes.append(draw(st.integers(1, max_side)))
        return tuple(sizes)

    return build()


def _elements(dtype: np.dtype, elements):
    st = _st()
    if elements is not None:
        return elements
    if dtype.kind == "f":
        return st.floats(-3, 3, allow_nan=False, allow_infinity=False, width=dtype.itemsize * 8)
    if dtype.kind == "b":
        return st.booleans()
    return st.integers(-10, 10)


def _shape_strategy(shape):
    st = _st()
    if shape is None:
        return shapes()
    if isinstance(shape, tuple | list):
        return st.just(tuple(shape))
    return shape  # already a strategy


def _wrap(array: np.ndarray, requires_grad: bool) -> Tensor:
    tensor = Tensor._wrap(array)
    return tensor.requires_grad_(True) if requires_grad else tensor


def arrays(shape=None, dtype=np.float64, elements=None):
    """numpy arrays (contiguous) of `shape` (a tuple or a strategy of tuples)."""
    from hypothesis.extra.numpy import arrays as numpy_arrays

    dtype = np.dtype(dtype)
    return numpy_arrays(dtype, _shape_strategy(shape), elements=_elements(dtype, elements))


def tensors(shape=None, dtype=np.float64, elements=None, requires_grad: bool = False):
    """Tensors of `shape` (a tuple, or a strategy such as `shapes()`; default `shapes()`) and `dtype`.

    `elements` is a strategy for the values; the default is finite floats in [-3, 3] (integers in
    [-10, 10] for integer dtypes). With `requires_grad=True` the tensors are leaves that require grad
    (use float64 for gradcheck).
    """
    return arrays(shape, dtype, elements).map(lambda array: _wrap(array, requires_grad))


def noncontiguous_tensors(shape=None, dtype=np.float64, elements=None, requires_grad: bool = False):
    """Like `tensors`, but `.data` is a non-contiguous view: either every second element of a larger
    array along each axis (a strided slice) or the transpose of an array of the reversed shape.
    (Shapes with at most one element are contiguous whatever their strides.)"""
    st = _st()

    @st.composite
    def build(draw):
        target = tuple(draw(_shape_strategy(shape)))
        if draw(st.booleans()) and len(target) >= 2:
            base = draw(arrays(target[::-1], dtype, elements))
            view = base.transpose()  # shape `target`, Fortran order
        else:
            base = draw(arrays(tuple(2 * s for s in target), dtype, elements))
            view = base[tuple(slice(None, None, 2) for _ in target)]
        return _wrap(view, requires_grad)

    return build()
