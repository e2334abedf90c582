"""Dtypes as torch names and combines them: `as_dtype` turns what a caller wrote (`tg.float`, `np.int64`,
Python's `float`) into a numpy dtype, and `result_type` gives the dtype of a binary op's result.

torch's promotion rule, which this module follows: sort the operands into three ranks (tensors with
dimensions, 0-d tensors, Python numbers) and into three categories (bool < integer < floating). The
result takes the highest category present; among the operands of that category, the highest rank
decides the width. So an int64 tensor plus a float32 tensor is float32 (numpy would say float64), a
float32 tensor times the Python float 0.5 stays float32, and an integer tensor divided by an integer
tensor is the default float (float32), not numpy's float64.

bfloat16 has no numpy equivalent: `tg.bfloat16` exists so that code naming it (a table of dtypes, a
choice between precisions) still imports, and using it raises one clear TypeError.
"""

from __future__ import annotations

import builtins

import numpy as np

DEFAULT_FLOAT = np.dtype(np.float32)
DEFAULT_INT = np.dtype(np.int64)


class UnsupportedDtype:
    """A torch dtype name with no numpy counterpart; any use as a dtype raises a clear error."""

    def __init__(self, name: str, reason: str) -> None:
        self.name = name
        self.reason = reason

    def __repr__(self) -> str:
        return f"tinygrad_edu.{self.name}"

    def refuse(self, op: str) -> TypeError:
        return TypeError(f"{op}: dtype {self.name} is not supported ({self.reason})")


bfloat16 = UnsupportedDtype("bfloat16", "numpy has no bfloat16; use float32 or float16")

_PYTHON_TYPES = {builtins.float: DEFAULT_FLOAT, builtins.int: DEFAULT_INT, builtins.bool: np.dtype(np.bool_)}


def as_dtype(dtype, op: str = "dtype") -> np.dtype:
    """A numpy dtype for `dtype`: a numpy dtype or type, a dtype name, or Python's float/int/bool
    (torch's meaning: float32, int64, bool)."""
    if isinstance(dtype, UnsupportedDtype):
        raise dtype.refuse(op)
    if dtype in _PYTHON_TYPES:
        return _PYTHON_TYPES[dtype]
    if isinstance(dtype, str) and dtype.replace("torch.", "") == "bfloat16":
        raise bfloat16.refuse(op)
    try:
        return np.dtype(dtype)
    except TypeError:
        raise TypeError(f"{op}: {dtype!r} is not a dtype") from None


def is_dtype(value) -> bool:
    """True for what `as_dtype` accepts (and for bfloat16, which it refuses)."""
    if isinstance(value, UnsupportedDtype | np.dtype) or value in _PYTHON_TYPES:
        return True
    return isinstance(value, type) and issubclass(value, np.generic)


def _category(dtype: np.dtype) -> int:
    return {"b": 0, "i": 1, "u": 1, "f": 2, "c": 3}[dtype.kind]


def result_type(*operands: tuple[np.dtype | None, int]) -> np.dtype:
    """The result dtype of an op on `operands`, each given as (dtype, rank) with rank 2 for a tensor
    with dimensions, 1 for a 0-d tensor and 0 for a Python number (its dtype: bool_, int64 or float64).
    """
    top = max(_category(dtype) for dtype, _ in operands)
    same_category = [(dtype, rank) for dtype, rank in operands if _category(dtype) == top]
    best_rank = max(rank for _, rank in same_category)
    if best_rank == 0:
        # only Python numbers carry the winning category: the default dtype of that category
        return {0: np.dtype(np.bool_), 1: DEFAULT_INT, 2: DEFAULT_FLOAT, 3: np.dtype(np.complex64)}[top]
    return np.result_type(*[dtype for dtype, rank in same_category if rank == best_rank])


def can_store(result: np.dtype, target: np.dtype) -> bool:
    """Whether an in-place op may write a `result` into a tensor of dtype `target` (torch: never a
    float into an integer tensor, nor an integer into a bool one)."""
    return _category(result) <= _category(target)


def true_divide_type(dtype: np.dtype) -> np.dtype:
    """`a / b` is never an integer in torch: bool and integer results become the default float."""
    return dtype if dtype.kind in "fc" else DEFAULT_FLOAT


def check_same_dtype(op: str, a: np.dtype, b: np.dtype) -> None:
    """matmul does not promote in torch: its operands must share one dtype."""
    if a != b:
        raise RuntimeError(
            f"{op}: expected both operands to have the same dtype, but got {a} and {b} "
            "(cast one with .to(dtype), .float() or .double())"
        )
