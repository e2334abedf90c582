"""The arithmetic of `Tensor`: + - * / ** with torch's type promotion, their in-place forms (`x += y`),
the comparisons, and `maximum` / `minimum`. The ops they call are in `ops/elementwise.py`; the
promotion rule itself is in `tinygrad_edu/dtypes.py`."""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_edu.autograd.grad_mode import GRAD_STATE, set_grad_enabled
from tinygrad_edu.autograd.inplace import record_inplace
from tinygrad_edu.autograd.tensor_base import TensorBase
from tinygrad_edu.dtypes import DEFAULT_FLOAT, can_store, result_type, true_divide_type
from tinygrad_edu.ops import elementwise

_NUMBER = bool | int | float | np.number | np.bool_


def _rank(array: np.ndarray) -> int:
    """torch's promotion ranks: 2 for a tensor with dimensions, 1 for a 0-d tensor (0: a number)."""
    return 2 if array.ndim else 1


class ArithmeticMethods:
    """Mixed into `Tensor`."""

    __slots__ = ()

    def _operand(self, other: Any, op: str):
        """`other` as a tensor, without promotion: a Python number takes this tensor's dtype (or the
        default float, when a float meets an integer tensor)."""
        if isinstance(other, TensorBase):
            return other
        if isinstance(other, int | float | np.number):
            dtype = self.data.dtype
            if dtype.kind != "f" and isinstance(other, float | np.floating):
                dtype = DEFAULT_FLOAT
            elif dtype.kind == "b" and not isinstance(other, bool):
                dtype = np.dtype(np.int64)
            return self._wrap(np.array(other, dtype=dtype))
        if isinstance(other, np.ndarray):
            return self._wrap(other)
        raise TypeError(
            f"{op}: unsupported operand type {type(other).__name__} (expected a Tensor or a number)"
        )

    def _pair(self, other: Any, op: str, divide: bool = False) -> tuple:
        """Both operands of a binary op, cast to the result dtype by torch's promotion rule: an int64
        tensor plus a float32 tensor is float32, int / int is float32."""
        dtype = self.data.dtype
        if isinstance(other, TensorBase):
            if other.data.dtype == dtype and not (divide and dtype.kind not in "fc"):
                return self, other  # the common case: nothing to promote
            other_dtype, other_rank = other.data.dtype, _rank(other.data)
        elif (type(other) is float or type(other) is int) and dtype.kind in "fc":
            return self, self._wrap(np.array(other, dtype=dtype))  # a number takes a float tensor's dtype
        elif isinstance(other, _NUMBER):
            other_dtype, other_rank = np.asarray(other).dtype, 0
        elif isinstance(other, np.ndarray):
            other = self._wrap(other)
            other_dtype, other_rank = other.data.dtype, _rank(other.data)
        else:
            raise TypeError(
                f"{op}: unsupported operand type {type(other).__name__} (expected a Tensor or a number)"
            )
        target = result_type((dtype, _rank(self.data)), (other_dtype, other_rank))
        if divide:
            target = true_divide_type(target)
        if isinstance(other, TensorBase):
            other = other if other.data.dtype == target else other.to(target)
        else:
            other = self._wrap(np.array(other, dtype=target))
        return (self if dtype == target else self.to(target)), other

    def __add__(self, other):
        return elementwise.Add.apply(*self._pair(other, "add"))

    def __radd__(self, other):
        b, a = self._pair(other, "add")
        return elementwise.Add.apply(a, b)

    def __sub__(self, other):
        return elementwise.Sub.apply(*self._pair(other, "sub"))

    def __rsub__(self, other):
        b, a = self._pair(other, "sub")
        return elementwise.Sub.apply(a, b)

    def __mul__(self, other):
        return elementwise.Mul.apply(*self._pair(other, "mul"))

    def __rmul__(self, other):
        b, a = self._pair(other, "mul")
        return elementwise.Mul.apply(a, b)

    def __truediv__(self, other):
        return elementwise.Div.apply(*self._pair(other, "div", divide=True))

    def __rtruediv__(self, other):
        b, a = self._pair(other, "div", divide=True)
        return elementwise.Div.apply(a, b)

    def __neg__(self):
        return elementwise.Neg.apply(self)

    def __pow__(self, exponent):
        if isinstance(exponent, int | float) and not isinstance(exponent, bool):
            integer_base = isinstance(exponent, float) and self.data.dtype.kind not in "fc"
            return elementwise.PowScalar.apply(self.to(DEFAULT_FLOAT) if integer_base else self, exponent)
        return elementwise.Pow.apply(*self._pair(exponent, "pow"))

    def __rpow__(self, base):
        exponent, base = self._pair(base, "pow")
        return elementwise.Pow.apply(base, exponent)

    add, sub, mul, div, pow, neg = __add__, __sub__, __mul__, __truediv__, __pow__, __neg__

    # in-place arithmetic (x += y) changes x itself, as torch; on a tensor that is part of a graph the
    # change is recorded as an op (autograd/inplace.py), so backward still sees the old value's history
    def _inplace_binary(self, other, method, op: str):
        involved = GRAD_STATE.enabled and (
            self.requires_grad or (isinstance(other, TensorBase) and other.requires_grad)
        )
        if involved and self.requires_grad and self._ctx is None:
            raise RuntimeError(
                f"{op}: a leaf tensor that requires grad cannot be changed in place while grad mode is "
                "on; wrap the update in `with tg.no_grad():`"
            )

        def storable(result):
            if not can_store(result.dtype, self.dtype):
                raise RuntimeError(
                    f"{op}: result type {result.dtype} can't be cast to the desired output type {self.dtype}"
                )
            return result.to(self.dtype)

        if involved:
            record_inplace(self, lambda old: storable(method(old, other)))
            return self
        with set_grad_enabled(False):
            result = storable(method(self, other))
        self._inplace(op)[...] = result.data
        return self

    def __iadd__(self, other):
        return self._inplace_binary(other, type(self).__add__, "add_")

    def __isub__(self, other):
        return self._inplace_binary(other, type(self).__sub__, "sub_")

    def __imul__(self, other):
        return self._inplace_binary(other, type(self).__mul__, "mul_")

    def __itruediv__(self, other):
        return self._inplace_binary(other, type(self).__truediv__, "div_")

    def maximum(self, other):
        return elementwise.Maximum.apply(*self._pair(other, "maximum"))

    def minimum(self, other):
        return elementwise.Minimum.apply(*self._pair(other, "minimum"))

    # comparisons give bool tensors and are not differentiable
    def _compare(self, other, ufunc):
        other = other.data if isinstance(other, TensorBase) else other
        return self._wrap(ufunc(self.data, other))

    def __lt__(self, other):
        return self._compare(other, np.less)

    def __le__(self, other):
        return self._compare(other, np.less_equal)

    def __gt__(self, other):
        return self._compare(other, np.greater)

    def __ge__(self, other):
        return self._compare(other, np.greater_equal)

    def __eq__(self, other):  # type: ignore[override]
        return self._compare(other, np.equal)

    def __ne__(self, other):  # type: ignore[override]
        return self._compare(other, np.not_equal)

    def __invert__(self):
        return self._wrap(~self.data)

    def __and__(self, other):
        return self._compare(other, np.logical_and)

    def __or__(self, other):
        return self._compare(other, np.logical_or)

    eq, ne, lt, le, gt, ge = __eq__, __ne__, __lt__, __le__, __gt__, __ge__

    __hash__ = object.__hash__  # defining __eq__ would otherwise make tensors unhashable
