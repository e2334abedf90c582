"""Tensor: a numpy array that remembers how it was computed, so gradients can flow back through it.

`Tensor` is the user surface, shaped like torch's: the same method names, argument names and defaults.
It sits on top of the layers below: `TensorBase` (autograd/tensor_base.py: the fields autograd needs),
the op layer (`tinygrad_edu/ops/`, each op a `Function` with forward and backward side by side) and the
backward engine. The methods here check arguments, then call `SomeOp.apply(...)`; the shape methods and
the reductions are in `shaping.py` and `reductions.py`.

    x = tg.randn(32, 10)
    w = tg.randn(10, 1, requires_grad=True)
    loss = (x @ w).tanh().mean()
    loss.backward()          # fills w.grad

`tensor.data` is the underlying numpy array (float32 by default). Factories (`zeros`, `randn`, ...)
are in `creation.py`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_edu.autograd import engine
from tinygrad_edu.autograd.tensor_base import RemovableHandle, TensorBase
from tinygrad_edu.device import CPU, check_device
from tinygrad_edu.dtypes import as_dtype, is_dtype
from tinygrad_edu.ops import activation, elementwise, shape
from tinygrad_edu.tensor.arithmetic import ArithmeticMethods
from tinygrad_edu.tensor.random import _generator
from tinygrad_edu.tensor.reductions import MaxResult, ReductionMethods
from tinygrad_edu.tensor.shaping import ShapeMethods, TopKResult

__all__ = ["MaxResult", "RemovableHandle", "Tensor", "TopKResult", "where"]

float16 = np.dtype(np.float16)
float32 = np.dtype(np.float32)
float64 = np.dtype(np.float64)
int32 = np.dtype(np.int32)
int64 = np.dtype(np.int64)
bool_ = np.dtype(np.bool_)
DEFAULT_FLOAT = float32


def _array_from(data: Any, dtype=None) -> np.ndarray:
    """A fresh numpy array for `data`, with torch's dtype choices: Python floats become float32,
    Python ints int64, bools bool; numpy arrays keep their dtype unless `dtype` is given."""
    if isinstance(data, TensorBase):
        data = data.data
    if dtype is not None:
        return np.array(data, dtype=as_dtype(dtype, "tensor"))
    array = np.array(data)
    if array.dtype == object or array.dtype.kind in "USV":
        raise TypeError(
            f"tensor: cannot make a tensor from {type(data).__name__} with values of mixed or non-numeric type"
        )
    if not isinstance(data, np.ndarray | np.generic):
        if array.dtype.kind == "f":
            array = array.astype(DEFAULT_FLOAT)
        elif array.dtype.kind in "iu":
            array = array.astype(int64)
    return array


class Tensor(ArithmeticMethods, ShapeMethods, ReductionMethods, TensorBase):
    __slots__ = ()
    __array_priority__ = 1000  # numpy defers `ndarray * tensor` to Tensor.__rmul__

    def __init__(self, data: Any, dtype=None, requires_grad: bool = False) -> None:
        self._set_fields(_array_from(data, dtype))
        if requires_grad:
            self.requires_grad_(True)

    @staticmethod
    def _wrap(array) -> Tensor:
        """A Tensor around an existing array, without copying or checks: how every op's result, and
        every tensor the library makes from an array, is wrapped. The fields are set here, not by a
        call to `_set_fields`: this runs once per op result, the hottest line of the core."""
        tensor = object.__new__(Tensor)
        tensor.data = array if type(array) is np.ndarray else np.asarray(array)
        tensor.grad = None
        tensor.requires_grad = False
        tensor._ctx = None
        tensor._version = 0
        tensor._backward_hooks = None
        tensor._accumulator = None
        return tensor

    # ----------------------------------------------------------------------------------------------
    # attributes, as in torch

    def dim(self) -> int:
        return self.data.ndim

    def size(self, dim: int | None = None):
        return self.data.shape if dim is None else self.data.shape[dim]

    def numel(self) -> int:
        return self.data.size

    def nelement(self) -> int:
        return self.data.size

    def item(self):
        if self.data.size != 1:
            raise ValueError(
                f"item: a tensor with {self.data.size} elements cannot be converted to a Python number"
            )
        return self.data.item()

    def numpy(self) -> np.ndarray:
        return self.data

    def tolist(self):
        return self.data.tolist()

    def __array__(self, dtype=None, copy=None):
        return self.data if dtype is None else self.data.astype(dtype)

    def __len__(self) -> int:
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self.data)

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def __bool__(self) -> bool:
        if self.data.size != 1:
            raise RuntimeError(
                f"bool: a tensor with {self.data.size} elements is ambiguous; use .any() or .all()"
            )
        return bool(self.data)

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        return int(self.item())

    def __repr__(self) -> str:
        body = np.array2string(self.data, separator=", ", prefix="tensor(", precision=4)
        extras = []
        if self.dtype not in (DEFAULT_FLOAT, int64, bool_):
            extras.append(f"dtype={self.dtype}")
        if self._ctx is not None:
            extras.append(f"grad_fn={self._ctx!r}")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        return f"tensor({body}{''.join(', ' + e for e in extras)})"

    def backward(self, gradient=None, retain_graph: bool | None = None, create_graph: bool = False) -> None:
        """Accumulate d self / d leaf into `.grad` of every leaf that requires grad."""
        engine.backward(self, gradient, retain_graph, create_graph)

    def detach(self) -> Tensor:
        """The same data, cut from the graph."""
        return Tensor._wrap(self.data)

    def clone(self) -> Tensor:
        return shape.Clone.apply(self)

    def to(self, *args, **kwargs) -> Tensor:
        """`to(dtype)`, `to(device)`, `to(device, dtype)` or `to(other_tensor)`, as torch; the device
        must be the CPU. Returns this tensor itself when nothing changes (unless `copy=True`)."""
        dtype, copy = _to_args(args, kwargs, "to")
        if dtype is None or dtype == self.data.dtype:
            return self.clone() if copy else self
        if self.requires_grad and dtype.kind in "fc":
            return shape.Cast.apply(self, dtype)
        return Tensor._wrap(self.data.astype(dtype))

    def float(self) -> Tensor:
        return self.to(float32)

    def double(self) -> Tensor:
        return self.to(float64)

    def long(self) -> Tensor:
        return self.to(int64)

    def int(self) -> Tensor:
        return self.to(int32)

    def bool(self) -> Tensor:
        return self.to(bool_)

    def contiguous(self) -> Tensor:
        return self

    # ----------------------------------------------------------------------------------------------
    # devices and formatting, as a CPU-only torch (tinygrad_edu/device.py)

    @property
    def device(self):
        return CPU

    is_cuda = False

    def cpu(self) -> Tensor:
        return self

    def cuda(self, device=None, non_blocking: bool = False) -> Tensor:
        check_device("cuda" if device is None else device, "cuda")
        return self

    def pin_memory(self) -> Tensor:
        return self  # no accelerator to copy to: pinned memory changes nothing

    def __format__(self, spec: str) -> str:
        # as torch: a 0-d tensor formats as its number (f"{loss:.4f}"), others as their repr
        if self.data.ndim == 0:
            return self.item().__format__(spec)
        return object.__format__(self, spec)

    def any(self) -> Tensor:
        return Tensor._wrap(np.any(self.data))

    def all(self) -> Tensor:
        return Tensor._wrap(np.all(self.data))

    def isnan(self) -> Tensor:
        return Tensor._wrap(np.isnan(self.data))

    def sign(self) -> Tensor:
        return Tensor._wrap(np.sign(self.data))

    # ----------------------------------------------------------------------------------------------
    # pointwise functions

    def exp(self):
        return elementwise.Exp.apply(self)

    def log(self):
        return elementwise.Log.apply(self)

    def sqrt(self):
        return elementwise.Sqrt.apply(self)

    def abs(self):
        return elementwise.Abs.apply(self)

    def log10(self):
        return self.log() * (1.0 / np.log(10.0))

    def log2(self):
        return self.log() * (1.0 / np.log(2.0))

    def tanh(self):
        return activation.Tanh.apply(self)

    def sigmoid(self):
        return activation.Sigmoid.apply(self)

    def relu(self):
        return activation.Relu.apply(self)

    def gelu(self, approximate: str = "none"):
        if approximate not in ("none", "tanh"):
            raise ValueError(f"gelu: approximate must be 'none' or 'tanh', not {approximate!r}")
        return activation.Gelu.apply(self, approximate)

    def square(self):
        return self * self

    def clamp(self, min=None, max=None):
        if min is None and max is None:
            raise ValueError("clamp: at least one of min and max must be given")
        return elementwise.Clamp.apply(self, min, max)

    clip = clamp

    def masked_fill(self, mask, value) -> Tensor:
        """`value` where `mask` is True, this tensor elsewhere (in this tensor's dtype, as torch)."""
        if not isinstance(value, TensorBase):
            value = Tensor._wrap(np.array(value, dtype=self.dtype))
        return where(mask, value, self)

    def where(self, condition, other) -> Tensor:
        """This tensor where `condition` is True, `other` elsewhere (torch's `Tensor.where`)."""
        return where(condition, self, other)

    # ----------------------------------------------------------------------------------------------
    # in-place random fills (the other in-place updates are in TensorBase)

    def normal_(self, mean: float = 0.0, std: float = 1.0, generator=None) -> Tensor:
        data = self._inplace("normal_")
        data[...] = _generator(generator).standard_normal(data.shape) * std + mean
        return self

    def uniform_(self, a: float = 0.0, b: float = 1.0, generator=None) -> Tensor:
        data = self._inplace("uniform_")
        data[...] = _generator(generator).uniform(a, b, data.shape)
        return self


def where(condition, input, other) -> Tensor:
    """`input` where `condition` is True, `other` elsewhere (numbers allowed for input and other)."""
    condition = condition if isinstance(condition, TensorBase) else Tensor._wrap(np.asarray(condition))
    if condition.dtype != bool_:
        raise TypeError(f"where: condition must be a bool tensor, not {condition.dtype}")
    if not isinstance(input, TensorBase):
        input = other._operand(input, "where") if isinstance(other, TensorBase) else Tensor(input)
    input, other = input._pair(other, "where")
    return elementwise.Where.apply(condition, input, other)


def _to_args(args: tuple, kwargs: dict, op: str):
    """(dtype or None, copy) from the arguments torch's `.to` accepts; any device must be the CPU."""
    kwargs = dict(kwargs)
    dtype, copy = kwargs.pop("dtype", None), kwargs.pop("copy", False)
    check_device(kwargs.pop("device", None), op)
    kwargs.pop("non_blocking", None)
    if kwargs:
        raise TypeError(f"{op}: unexpected keyword argument(s) {sorted(kwargs)}")
    for arg in args:
        if isinstance(arg, TensorBase):
            dtype = arg.dtype
        elif is_dtype(arg):
            dtype = arg
        elif isinstance(arg, bool):
            continue  # the positional non_blocking of to(device, dtype, non_blocking)
        else:
            check_device(arg, op)
    return (None if dtype is None else as_dtype(dtype, op)), copy
