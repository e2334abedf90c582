"""Tensor: a numpy array that remembers how it was computed, so gradients can flow back through it.

`Tensor` is the user surface, shaped like torch's: the same method names, argument names and defaults.
The math lives in the op layer (`tinygrad_edu/ops/`), each op a `Function` with forward and backward
side by side; the methods here check arguments, then call `SomeOp.apply(...)`.

    x = tg.randn(32, 10)
    w = tg.randn(10, 1, requires_grad=True)
    loss = (x @ w).tanh().mean()
    loss.backward()          # fills w.grad

`tensor.data` is the underlying numpy array (float32 by default). Factories (`zeros`, `randn`, ...)
are in `creation.py`.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from tinygrad_edu.autograd import engine, function, inplace
from tinygrad_edu.autograd.grad_mode import GRAD_STATE, set_grad_enabled
from tinygrad_edu.device import CPU, check_device
from tinygrad_edu.dtypes import as_dtype, can_store, check_same_dtype, is_dtype, result_type, true_divide_type

float16 = np.dtype(np.float16)
float32 = np.dtype(np.float32)
float64 = np.dtype(np.float64)
int32 = np.dtype(np.int32)
int64 = np.dtype(np.int64)
bool_ = np.dtype(np.bool_)
DEFAULT_FLOAT = float32

MaxResult = namedtuple("MaxResult", ["values", "indices"])
TopKResult = namedtuple("TopKResult", ["values", "indices"])


def _array_from(data: Any, dtype=None) -> np.ndarray:
    """A fresh numpy array for `data`, with torch's dtype choices: Python floats become float32,
    Python ints int64, bools bool; numpy arrays keep their dtype unless `dtype` is given."""
    if isinstance(data, Tensor):
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


class RemovableHandle:
    """Returned by `register_hook` and the module hooks; `handle.remove()` unregisters the hook."""

    _next_id = 0

    def __init__(self, hooks: dict) -> None:
        self._hooks = hooks
        self.id = RemovableHandle._next_id
        RemovableHandle._next_id += 1

    def remove(self) -> None:
        self._hooks.pop(self.id, None)


class Tensor:
    __slots__ = (
        "data",
        "grad",
        "requires_grad",
        "_ctx",
        "_version",
        "_retains_grad",
        "_backward_hooks",
        "__weakref__",
    )
    __array_priority__ = 1000  # numpy defers `ndarray * tensor` to Tensor.__rmul__

    def __init__(self, data: Any, dtype=None, requires_grad: bool = False) -> None:
        self.data = _array_from(data, dtype)
        self.grad: Tensor | None = None
        self._ctx = None
        self._version = 0
        self._retains_grad = False
        self._backward_hooks = None
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    @staticmethod
    def _wrap(array) -> Tensor:
        """A Tensor around an existing array, without copying or checks (used by the op layer)."""
        tensor = object.__new__(Tensor)
        tensor.data = array if type(array) is np.ndarray else np.asarray(array)
        tensor.grad = None
        tensor.requires_grad = False
        tensor._ctx = None
        tensor._version = 0
        tensor._retains_grad = False
        tensor._backward_hooks = None
        return tensor

    # ----------------------------------------------------------------------------------------------
    # attributes, as in torch

    @property
    def shape(self) -> tuple:
        return self.data.shape

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def ndim(self) -> int:
        return self.data.ndim

    def dim(self) -> int:
        return self.data.ndim

    def size(self, dim: int | None = None):
        return self.data.shape if dim is None else self.data.shape[dim]

    def numel(self) -> int:
        return self.data.size

    def nelement(self) -> int:
        return self.data.size

    @property
    def is_leaf(self) -> bool:
        return self._ctx is None

    @property
    def grad_fn(self):
        """The op that produced this tensor (None for leaves); walk on with `grad_fn.next_functions`."""
        return self._ctx

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

    __hash__ = object.__hash__

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

    # the graph-node protocol shared with Value (see tinygrad_edu/graph.py and viz.py)
    @property
    def _parents(self) -> tuple:
        return self._ctx.parents if self._ctx is not None else ()

    @property
    def _op_name(self) -> str:
        return self._ctx.name() if self._ctx is not None else ""

    def _describe(self) -> str:
        grad = " | grad" if self.grad is not None else ""
        return f"{tuple(self.shape)} {self.dtype}{grad}"

    # ----------------------------------------------------------------------------------------------
    # autograd

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        if requires_grad and self.data.dtype.kind not in "fc":
            raise RuntimeError(f"only floating point tensors can require gradients, not {self.dtype}")
        if not requires_grad and self._ctx is not None:
            raise RuntimeError("requires_grad_: cannot turn off requires_grad of a non-leaf; use detach()")
        self.requires_grad = requires_grad
        return self

    def backward(self, gradient=None, retain_graph: bool | None = None, create_graph: bool = False) -> None:
        """Accumulate d self / d leaf into `.grad` of every leaf that requires grad."""
        engine.backward(self, gradient, retain_graph, create_graph)

    def retain_grad(self) -> None:
        """Keep `.grad` on this non-leaf tensor after backward (leaves keep theirs anyway)."""
        if self._ctx is not None:
            self._retains_grad = True

    def register_hook(self, hook: Callable) -> RemovableHandle:
        """`hook(grad)` runs when this tensor's gradient is computed; it may return a replacement."""
        if not self.requires_grad:
            raise RuntimeError("register_hook: cannot register a hook on a tensor that does not require grad")
        if self._backward_hooks is None:
            self._backward_hooks = {}
        handle = RemovableHandle(self._backward_hooks)
        self._backward_hooks[handle.id] = hook
        return handle

    def detach(self) -> Tensor:
        """The same data, cut from the graph."""
        return Tensor._wrap(self.data)

    def clone(self) -> Tensor:
        return S.Clone.apply(self)

    def to(self, *args, **kwargs) -> Tensor:
        """`to(dtype)`, `to(device)`, `to(device, dtype)` or `to(other_tensor)`, as torch; the device
        must be the CPU. Returns this tensor itself when nothing changes (unless `copy=True`)."""
        dtype, copy = _to_args(args, kwargs, "to")
        if dtype is None or dtype == self.data.dtype:
            return self.clone() if copy else self
        if self.requires_grad and dtype.kind in "fc":
            return S.Cast.apply(self, dtype)
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

    # ----------------------------------------------------------------------------------------------
    # arithmetic: Python numbers on either side take this tensor's dtype, as in torch

    def _operand(self, other: Any, op: str) -> Tensor:
        if isinstance(other, Tensor):
            return other
        if isinstance(other, int | float | np.number):
            dtype = self.data.dtype
            if dtype.kind != "f" and isinstance(other, float | np.floating):
                dtype = DEFAULT_FLOAT
            elif dtype.kind == "b" and not isinstance(other, bool):
                dtype = int64
            return Tensor._wrap(np.array(other, dtype=dtype))
        if isinstance(other, np.ndarray):
            return Tensor._wrap(other)
        raise TypeError(
            f"{op}: unsupported operand type {type(other).__name__} (expected a Tensor or a number)"
        )

    def _pair(self, other: Any, op: str, divide: bool = False) -> tuple[Tensor, Tensor]:
        """Both operands of a binary op, cast to the result dtype by torch's promotion rule
        (tinygrad_edu/dtypes.py): an int64 tensor plus a float32 tensor is float32, int / int is float32."""
        dtype = self.data.dtype
        if isinstance(other, Tensor):
            if other.data.dtype == dtype and not (divide and dtype.kind not in "fc"):
                return self, other  # the common case: nothing to promote
            other_dtype, other_rank = other.data.dtype, 2 if other.data.ndim else 1
        elif isinstance(other, bool | int | float | np.number | np.bool_):
            other_dtype, other_rank = np.asarray(other).dtype, 0
        elif isinstance(other, np.ndarray):
            other = Tensor._wrap(other)
            other_dtype, other_rank = other.data.dtype, 2 if other.data.ndim else 1
        else:
            raise TypeError(
                f"{op}: unsupported operand type {type(other).__name__} (expected a Tensor or a number)"
            )
        target = result_type((dtype, 2 if self.data.ndim else 1), (other_dtype, other_rank))
        if divide:
            target = true_divide_type(target)
        if isinstance(other, Tensor):
            other = other if other.data.dtype == target else other.to(target)
        else:
            other = Tensor._wrap(np.array(other, dtype=target))
        return (self if dtype == target else self.to(target)), other

    def __add__(self, other):
        return E.Add.apply(*self._pair(other, "add"))

    def __radd__(self, other):
        b, a = self._pair(other, "add")
        return E.Add.apply(a, b)

    def __sub__(self, other):
        return E.Sub.apply(*self._pair(other, "sub"))

    def __rsub__(self, other):
        b, a = self._pair(other, "sub")
        return E.Sub.apply(a, b)

    def __mul__(self, other):
        return E.Mul.apply(*self._pair(other, "mul"))

    def __rmul__(self, other):
        b, a = self._pair(other, "mul")
        return E.Mul.apply(a, b)

    def __truediv__(self, other):
        return E.Div.apply(*self._pair(other, "div", divide=True))

    def __rtruediv__(self, other):
        b, a = self._pair(other, "div", divide=True)
        return E.Div.apply(a, b)

    def __neg__(self):
        return E.Neg.apply(self)

    def __pow__(self, exponent):
        if isinstance(exponent, int | float) and not isinstance(exponent, bool):
            base = (
                self.to(DEFAULT_FLOAT)
                if isinstance(exponent, float) and self.dtype.kind not in "fc"
                else self
            )
            return E.PowScalar.apply(base, exponent)
        return E.Pow.apply(*self._pair(exponent, "pow"))

    def __rpow__(self, base):
        exponent, base = self._pair(base, "pow")
        return E.Pow.apply(base, exponent)

    # in-place arithmetic (x += y) changes x itself, as torch, where no graph is involved; a non-leaf
    # that is part of a graph gets the out-of-place result instead (the name is rebound to it)
    def _inplace_binary(self, other, method, op: str) -> Tensor:
        involved = GRAD_STATE.enabled and (
            self.requires_grad or (isinstance(other, Tensor) and other.requires_grad)
        )
        if involved:
            if self.requires_grad and self.is_leaf:
                raise RuntimeError(
                    f"{op}: a leaf tensor that requires grad cannot be changed in place while grad mode is "
                    "on; wrap the update in `with tg.no_grad():`"
                )
            return method(self, other)
        with set_grad_enabled(False):
            result = method(self, other)
        if not can_store(result.dtype, self.dtype):
            raise RuntimeError(
                f"{op}: result type {result.dtype} can't be cast to the desired output type {self.dtype}"
            )
        self._inplace(op)[...] = result.data
        return self

    def __iadd__(self, other):
        return self._inplace_binary(other, Tensor.__add__, "add_")

    def __isub__(self, other):
        return self._inplace_binary(other, Tensor.__sub__, "sub_")

    def __imul__(self, other):
        return self._inplace_binary(other, Tensor.__mul__, "mul_")

    def __itruediv__(self, other):
        return self._inplace_binary(other, Tensor.__truediv__, "div_")

    def __matmul__(self, other):
        return self.matmul(other)

    def __rmatmul__(self, other):
        return self._operand(other, "matmul").matmul(self)

    add, sub, mul, div, pow, neg = __add__, __sub__, __mul__, __truediv__, __pow__, __neg__

    # comparisons give bool tensors and are not differentiable
    def _compare(self, other, ufunc) -> Tensor:
        other = other.data if isinstance(other, Tensor) else other
        return Tensor._wrap(ufunc(self.data, other))

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
        return Tensor._wrap(~self.data)

    def __and__(self, other):
        return self._compare(other, np.logical_and)

    def __or__(self, other):
        return self._compare(other, np.logical_or)

    eq, ne, lt, le, gt, ge = __eq__, __ne__, __lt__, __le__, __gt__, __ge__

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
        return E.Exp.apply(self)

    def log(self):
        return E.Log.apply(self)

    def sqrt(self):
        return E.Sqrt.apply(self)

    def abs(self):
        return E.Abs.apply(self)

    def tanh(self):
        return E.Tanh.apply(self)

    def sigmoid(self):
        return E.Sigmoid.apply(self)

    def relu(self):
        return E.Relu.apply(self)

    def gelu(self, approximate: str = "none"):
        if approximate not in ("none", "tanh"):
            raise ValueError(f"gelu: approximate must be 'none' or 'tanh', not {approximate!r}")
        return E.Gelu.apply(self, approximate)

    def square(self):
        return self * self

    def clamp(self, min=None, max=None):
        if min is None and max is None:
            raise ValueError("clamp: at least one of min and max must be given")
        return E.Clamp.apply(self, min, max)

    clip = clamp

    def maximum(self, other):
        return E.Maximum.apply(*self._pair(other, "maximum"))

    def minimum(self, other):
        return E.Minimum.apply(*self._pair(other, "minimum"))

    def masked_fill(self, mask, value) -> Tensor:
        """`value` where `mask` is True, this tensor elsewhere (in this tensor's dtype, as torch)."""
        if not isinstance(value, Tensor):
            value = Tensor._wrap(np.array(value, dtype=self.dtype))
        return where(mask, value, self)

    def softmax(self, dim: int) -> Tensor:
        return A.Softmax.apply(self, self._dim(dim, "softmax"))

    def log_softmax(self, dim: int) -> Tensor:
        return A.LogSoftmax.apply(self, self._dim(dim, "log_softmax"))

    # ----------------------------------------------------------------------------------------------
    # reductions

    def _dim(self, dim: int, op: str) -> int:
        return R.normalize_dims(dim, self.ndim, op)[0] if self.ndim else 0

    def sum(self, dim=None, keepdim: bool = False, *, keepdims: bool | None = None) -> Tensor:
        keepdim = keepdim if keepdims is None else keepdims  # numpy's spelling, which torch accepts too
        return R.Sum.apply(self, R.normalize_dims(dim, self.ndim, "sum"), keepdim)

    def mean(self, dim=None, keepdim: bool = False, *, keepdims: bool | None = None) -> Tensor:
        keepdim = keepdim if keepdims is None else keepdims
        dims = R.normalize_dims(dim, self.ndim, "mean")
        count = int(np.prod([self.shape[d] for d in dims]))
        return R.Sum.apply(self, dims, keepdim) * (1.0 / count if count else float("nan"))  # torch: nan

    def var(
        self, dim=None, keepdim: bool = False, *, correction: int = 1, unbiased: bool | None = None
    ) -> Tensor:
        """Variance; `correction=1` divides by n - 1 (Bessel), `correction=0` by n."""
        if unbiased is not None:
            correction = int(unbiased)
        dims = R.normalize_dims(dim, self.ndim, "var")
        count = int(np.prod([self.shape[d] for d in dims]))
        centered = self - self.mean(dims, keepdim=True)
        return (centered * centered).sum(dims, keepdim=keepdim) * (
            1.0 / max(count - correction, 0) if count > correction else float("nan")
        )

    def std(
        self, dim=None, keepdim: bool = False, *, correction: int = 1, unbiased: bool | None = None
    ) -> Tensor:
        return self.var(dim, keepdim, correction=correction, unbiased=unbiased).sqrt()

    def logsumexp(self, dim, keepdim: bool = False) -> Tensor:
        return R.LogSumExp.apply(self, R.normalize_dims(dim, self.ndim, "logsumexp"), keepdim)

    def _max_or_min(self, dim, keepdim: bool, largest: bool, op: str):
        if isinstance(dim, Tensor):
            return self.maximum(dim) if largest else self.minimum(dim)
        if self.data.size == 0:
            raise ValueError(f"{op}: the tensor is empty")
        pick = np.argmax if largest else np.argmin
        if dim is None:
            flat = self.reshape(-1)
            return R.MaxAlongDim.apply(flat, 0, False, pick(flat.data, axis=0, keepdims=True))
        dim = self._dim(dim, op)
        indices = pick(self.data, axis=dim, keepdims=True)
        values = R.MaxAlongDim.apply(self, dim, keepdim, indices)
        return MaxResult(values, Tensor._wrap(indices if keepdim else np.squeeze(indices, axis=dim)))

    def max(self, dim=None, keepdim: bool = False):
        """The largest element, or with `dim` a (values, indices) pair as torch returns."""
        return self._max_or_min(dim, keepdim, True, "max")

    def min(self, dim=None, keepdim: bool = False):
        return self._max_or_min(dim, keepdim, False, "min")

    def argmax(self, dim=None, keepdim: bool = False) -> Tensor:
        if dim is None:
            return Tensor._wrap(np.argmax(self.data))
        return Tensor._wrap(np.argmax(self.data, axis=self._dim(dim, "argmax"), keepdims=keepdim))

    def argmin(self, dim=None, keepdim: bool = False) -> Tensor:
        if dim is None:
            return Tensor._wrap(np.argmin(self.data))
        return Tensor._wrap(np.argmin(self.data, axis=self._dim(dim, "argmin"), keepdims=keepdim))

    # ----------------------------------------------------------------------------------------------
    # matrix product

    def matmul(self, other) -> Tensor:
        """torch.matmul's rules: 1-D operands are treated as a row (left) or column (right) vector
        and that dimension is removed from the result; leading (batch) dimensions broadcast."""
        other = self._operand(other, "matmul")
        check_same_dtype("matmul", self.dtype, other.dtype)
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
        out = L.MatMul.apply(a, b)
        if self.ndim == 1 and other.ndim == 1:
            return out.reshape(())
        if self.ndim == 1:
            return out.reshape(out.shape[:-2] + out.shape[-1:])
        if other.ndim == 1:
            return out.reshape(out.shape[:-1])
        return out

    # ----------------------------------------------------------------------------------------------
    # shape

    def reshape(self, *shape) -> Tensor:
        shape = _shape_arg(shape)
        if shape == self.data.shape:
            return self
        return S.Reshape.apply(self, shape)

    view = reshape

    def view_as(self, other: Tensor) -> Tensor:
        return self.reshape(other.shape)

    def permute(self, *dims) -> Tensor:
        dims = _shape_arg(dims)
        if sorted(d % max(self.ndim, 1) for d in dims) != list(range(self.ndim)):
            raise ValueError(
                f"permute: {dims} is not a permutation of the {self.ndim} dimensions of {tuple(self.shape)}"
            )
        return S.Permute.apply(self, tuple(d % self.ndim for d in dims))

    def transpose(self, dim0: int, dim1: int) -> Tensor:
        if self.ndim < 2:
            return self
        dims = list(range(self.ndim))
        a, b = self._dim(dim0, "transpose"), self._dim(dim1, "transpose")
        dims[a], dims[b] = dims[b], dims[a]
        return S.Permute.apply(self, tuple(dims))

    @property
    def T(self) -> Tensor:
        return self.permute(*reversed(range(self.ndim))) if self.ndim >= 2 else self

    @property
    def mT(self) -> Tensor:
        return self.transpose(-2, -1)

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        if self.ndim == 0:
            return self.reshape(1)
        start, end = self._dim(start_dim, "flatten"), self._dim(end_dim, "flatten")
        shape = self.shape[:start] + (int(np.prod(self.shape[start : end + 1])),) + self.shape[end + 1 :]
        return self.reshape(shape)

    def unsqueeze(self, dim: int) -> Tensor:
        if not -self.ndim - 1 <= dim <= self.ndim:
            raise IndexError(
                f"unsqueeze: dimension {dim} is out of range for a tensor with {self.ndim} dimension(s)"
            )
        dim = dim % (self.ndim + 1)
        return self.reshape(self.shape[:dim] + (1,) + self.shape[dim:])

    def squeeze(self, dim=None) -> Tensor:
        if dim is None:
            return self.reshape(tuple(s for s in self.shape if s != 1))
        dims = R.normalize_dims(dim, self.ndim, "squeeze")
        return self.reshape(tuple(s for i, s in enumerate(self.shape) if not (i in dims and s == 1)))

    def expand(self, *sizes) -> Tensor:
        sizes = _shape_arg(sizes)
        offset = len(sizes) - self.ndim
        shape = tuple(self.shape[i - offset] if s == -1 else s for i, s in enumerate(sizes))
        if shape == self.shape:
            return self
        return S.Expand.apply(self, shape)

    def expand_as(self, other: Tensor) -> Tensor:
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

    def tril(self, diagonal: int = 0) -> Tensor:
        zero = Tensor._wrap(np.zeros((), self.dtype))
        return where(Tensor._wrap(np.tri(*self.shape[-2:], k=diagonal, dtype=bool)), self, zero)

    def triu(self, diagonal: int = 0) -> Tensor:
        zero = Tensor._wrap(np.zeros((), self.dtype))
        return where(Tensor._wrap(~np.tri(*self.shape[-2:], k=diagonal - 1, dtype=bool)), self, zero)

    def topk(self, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> TopKResult:
        """The k largest (or smallest) entries along `dim`, largest first, and their indices."""
        dim = self._dim(dim, "topk")
        if not 0 <= k <= self.shape[dim]:
            raise ValueError(f"topk: k ({k}) is out of range for dimension {dim} of size {self.shape[dim]}")
        order = np.argsort(-self.data if largest else self.data, axis=dim, kind="stable")
        indices = np.take(order, np.arange(k), axis=dim)
        return TopKResult(self._take_along(indices, dim), Tensor._wrap(indices.astype(int64)))

    def _take_along(self, indices: np.ndarray, dim: int) -> Tensor:
        """self gathered with `indices` along `dim` (differentiable: an advanced index)."""
        grid = list(np.ogrid[tuple(slice(n) for n in indices.shape)])
        grid[dim] = indices
        return self[tuple(grid)]

    def roll(self, shifts, dims=None) -> Tensor:
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

    def log10(self) -> Tensor:
        return self.log() * (1.0 / np.log(10.0))

    def log2(self) -> Tensor:
        return self.log() * (1.0 / np.log(2.0))

    def t(self) -> Tensor:
        if self.ndim > 2:
            raise ValueError(f"t: expects a tensor with at most 2 dimensions, got shape {tuple(self.shape)}")
        return self.T

    def __getitem__(self, index) -> Tensor:
        index = _numpy_index(index)
        try:
            return S.GetItem.apply(self, index)
        except IndexError as error:
            raise IndexError(f"index: {error} (tensor of shape {tuple(self.shape)})") from None

    # ----------------------------------------------------------------------------------------------
    # in-place updates: not recorded in the graph, so forbidden on tensors that require grad while
    # grad mode is on (do them under no_grad, as optimizers and initialisers do)

    def _inplace(self, op: str) -> np.ndarray:
        if self.requires_grad and GRAD_STATE.enabled:
            raise RuntimeError(
                f"{op}: a tensor that requires grad cannot be changed in place while grad mode is on; "
                "wrap the update in `with tg.no_grad():`"
            )
        self._version += 1
        return self.data

    def __setitem__(self, index, value) -> None:
        index = _numpy_index(index)
        value_in_graph = isinstance(value, Tensor) and value.requires_grad
        if (
            GRAD_STATE.enabled
            and not self.is_leaf
            or (GRAD_STATE.enabled and value_in_graph and not self.requires_grad)
        ):
            # part of a graph: recorded as an op, so backward sees the write (autograd/inplace.py)
            if not isinstance(value, Tensor):
                value = Tensor._wrap(np.array(value, dtype=self.dtype))
            inplace.record_inplace(self, S.IndexPut, value.to(self.dtype), index)
            return
        data = self._inplace("setitem")
        data[index] = value.data if isinstance(value, Tensor) else value

    def zero_(self) -> Tensor:
        self._inplace("zero_")[...] = 0
        return self

    def fill_(self, value) -> Tensor:
        self._inplace("fill_")[...] = value
        return self

    def copy_(self, source) -> Tensor:
        source = source.data if isinstance(source, Tensor) else np.asarray(source)
        self._inplace("copy_")[...] = source
        return self

    def add_(self, other, alpha=1) -> Tensor:
        other = other.data if isinstance(other, Tensor) else other
        self._inplace("add_")[...] += alpha * other
        return self

    def sub_(self, other, alpha=1) -> Tensor:
        return self.add_(other, alpha=-alpha)

    def mul_(self, other) -> Tensor:
        other = other.data if isinstance(other, Tensor) else other
        self._inplace("mul_")[...] *= other
        return self

    def div_(self, other) -> Tensor:
        other = other.data if isinstance(other, Tensor) else other
        self._inplace("div_")[...] /= other
        return self

    def clamp_(self, min=None, max=None) -> Tensor:
        data = self._inplace("clamp_")
        np.clip(data, min, max, out=data)
        return self

    def normal_(self, mean: float = 0.0, std: float = 1.0, generator=None) -> Tensor:
        from tinygrad_edu.creation import _generator

        data = self._inplace("normal_")
        data[...] = _generator(generator).standard_normal(data.shape) * std + mean
        return self

    def uniform_(self, a: float = 0.0, b: float = 1.0, generator=None) -> Tensor:
        from tinygrad_edu.creation import _generator

        data = self._inplace("uniform_")
        data[...] = _generator(generator).uniform(a, b, data.shape)
        return self


def _shape_arg(shape: Sequence) -> tuple:
    """Accept both f(2, 3) and f((2, 3)) as torch does."""
    if len(shape) == 1 and isinstance(shape[0], tuple | list):
        shape = shape[0]
    for position, size in enumerate(shape):
        if isinstance(size, bool) or not hasattr(size, "__index__"):  # 2.5 is not a size, as in torch
            raise TypeError(
                f"size must be a tuple of ints, but found element of type {type(size).__name__} at pos {position}"
            )
    return tuple(int(s) for s in shape)


def _numpy_index(index):
    """Turn Tensors (and lists) inside an index into numpy arrays; numpy does the rest."""
    if isinstance(index, tuple):
        return tuple(_numpy_index_part(p) for p in index)
    return _numpy_index_part(index)


def _numpy_index_part(part):
    if isinstance(part, Tensor):
        part = part.data
    elif isinstance(part, list):
        part = np.asarray(part)
    if isinstance(part, np.ndarray) and part.dtype.kind not in "biu":
        raise IndexError(f"index: tensors used as indices must be integer or bool, not {part.dtype}")
    return part


def _to_args(args: tuple, kwargs: dict, op: str):
    """(dtype or None, copy) from the arguments torch's `.to` accepts; any device must be the CPU."""
    kwargs = dict(kwargs)
    dtype, copy = kwargs.pop("dtype", None), kwargs.pop("copy", False)
    check_device(kwargs.pop("device", None), op)
    kwargs.pop("non_blocking", None)
    if kwargs:
        raise TypeError(f"{op}: unexpected keyword argument(s) {sorted(kwargs)}")
    for arg in args:
        if isinstance(arg, Tensor):
            dtype = arg.dtype
        elif is_dtype(arg):
            dtype = arg
        elif isinstance(arg, bool):
            continue  # the positional non_blocking of to(device, dtype, non_blocking)
        else:
            check_device(arg, op)
    return (None if dtype is None else as_dtype(dtype, op)), copy


def where(condition, input, other) -> Tensor:
    """`input` where `condition` is True, `other` elsewhere (numbers allowed for input and other)."""
    condition = condition if isinstance(condition, Tensor) else Tensor._wrap(np.asarray(condition))
    if condition.dtype != bool_:
        raise TypeError(f"where: condition must be a bool tensor, not {condition.dtype}")
    if not isinstance(input, Tensor):
        input = other._operand(input, "where") if isinstance(other, Tensor) else Tensor(input)
    input, other = input._pair(other, "where")
    return E.Where.apply(condition, input, other)


function._Tensor = Tensor

# The op layer imports Tensor, so it is imported after the class exists.
from tinygrad_edu.ops import activation as A  # noqa: E402
from tinygrad_edu.ops import elementwise as E  # noqa: E402
from tinygrad_edu.ops import linalg as L  # noqa: E402
from tinygrad_edu.ops import reduce as R  # noqa: E402
from tinygrad_edu.ops import shape as S  # noqa: E402
