"""`TensorBase`: what autograd needs of a tensor, below the ops and the full `Tensor`.

A tensor, as the backward engine sees it, is a numpy array (`data`) with a gradient slot (`grad`), a
flag (`requires_grad`), the graph node that produced it (`_ctx`, None for a leaf), a version counter
bumped by every in-place change, and hooks. `Function.apply` and the engine work with these fields
only; the user-facing `Tensor` (tinygrad_edu/tensor/) adds the math methods on top, as torch's
`Tensor` builds on its `TensorBase`. Splitting it this way keeps the layers looking down: the ops know
`Function`, `Function` knows `TensorBase`, and only `Tensor` knows the ops.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable

import numpy as np

from tinygrad_edu.autograd.grad_mode import GRAD_STATE


class RemovableHandle:
    """Returned by `register_hook` and the module hooks; `handle.remove()` unregisters the hook."""

    _next_id = 0

    def __init__(self, hooks: dict) -> None:
        self._hooks = hooks
        self.id = RemovableHandle._next_id
        RemovableHandle._next_id += 1

    def remove(self) -> None:
        self._hooks.pop(self.id, None)


class TensorBase:
    __slots__ = (
        "data",
        "grad",
        "requires_grad",
        "_ctx",
        "_version",
        "_backward_hooks",
        "_accumulator",
        "__weakref__",
    )

    def _set_fields(self, array: np.ndarray) -> None:
        """A fresh leaf around `array`: no gradient, no graph node, version 0."""
        self.data = array
        self.grad = None
        self.requires_grad = False
        self._ctx = None
        self._version = 0
        self._backward_hooks = None
        self._accumulator = None

    @staticmethod
    def _wrap(array: np.ndarray) -> TensorBase:
        """A tensor around an existing array, without copying or checks; `Tensor` overrides it so
        that every result of an op is a full `Tensor`."""
        raise NotImplementedError

    @property
    def shape(self) -> tuple:
        return self.data.shape

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def is_leaf(self) -> bool:
        return self._ctx is None

    @property
    def grad_fn(self):
        """The node of the op that produced this tensor (None for leaves); walk on with
        `grad_fn.next_functions`."""
        return self._ctx

    def _grad_accumulator(self):
        """This leaf's `AccumulateGrad` node: the same object while a graph holds it, as in torch
        (the tensor keeps it weakly, the graph strongly)."""
        from_ref = self._accumulator() if self._accumulator is not None else None
        if from_ref is None:
            from_ref = AccumulateGrad(self)
            self._accumulator = weakref.ref(from_ref)
        return from_ref

    # the graph-node protocol shared with Value (see tinygrad_edu/graph.py and viz.py): a tensor
    # stands for the node that produced it
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
    # autograd surface

    def requires_grad_(self, requires_grad: bool = True) -> TensorBase:
        if requires_grad and self.data.dtype.kind not in "fc":
            raise RuntimeError(f"only floating point tensors can require gradients, not {self.dtype}")
        if not requires_grad and self._ctx is not None:
            raise RuntimeError("requires_grad_: cannot turn off requires_grad of a non-leaf; use detach()")
        self.requires_grad = requires_grad
        return self

    def retain_grad(self) -> None:
        """Keep `.grad` on this non-leaf tensor after backward (leaves keep theirs anyway)."""
        if self._ctx is not None:
            self._ctx._retained = weakref.ref(self)

    @property
    def retains_grad(self) -> bool:
        return self._ctx is not None and self._ctx._retained is not None

    def register_hook(self, hook: Callable) -> RemovableHandle:
        """`hook(grad)` runs when this tensor's gradient is computed; it may return a replacement.
        A leaf keeps its hooks; a non-leaf's live on the node that produced it, as in torch."""
        if not self.requires_grad:
            raise RuntimeError("register_hook: cannot register a hook on a tensor that does not require grad")
        owner = self._ctx if self._ctx is not None else self
        if owner._backward_hooks is None:
            owner._backward_hooks = {}
        handle = RemovableHandle(owner._backward_hooks)
        owner._backward_hooks[handle.id] = hook
        return handle

    # ----------------------------------------------------------------------------------------------
    # in-place updates: not recorded in the graph, so forbidden on tensors that require grad while
    # grad mode is on (do them under no_grad, as optimizers and initialisers do). Every one goes
    # through `_inplace`, which bumps the version that saved tensors are checked against.

    def _inplace(self, op: str) -> np.ndarray:
        if self.requires_grad and GRAD_STATE.enabled:
            raise RuntimeError(
                f"{op}: a tensor that requires grad cannot be changed in place while grad mode is on; "
                "wrap the update in `with tg.no_grad():`"
            )
        self._version += 1
        return self.data

    def zero_(self) -> TensorBase:
        self._inplace("zero_")[...] = 0
        return self

    def fill_(self, value) -> TensorBase:
        self._inplace("fill_")[...] = value
        return self

    def copy_(self, source) -> TensorBase:
        source = source.data if isinstance(source, TensorBase) else np.asarray(source)
        self._inplace("copy_")[...] = source
        return self

    def add_(self, other, alpha=1) -> TensorBase:
        other = other.data if isinstance(other, TensorBase) else other
        self._inplace("add_")[...] += alpha * other
        return self

    def sub_(self, other, alpha=1) -> TensorBase:
        return self.add_(other, alpha=-alpha)

    def mul_(self, other) -> TensorBase:
        other = other.data if isinstance(other, TensorBase) else other
        self._inplace("mul_")[...] *= other
        return self

    def div_(self, other) -> TensorBase:
        other = other.data if isinstance(other, TensorBase) else other
        self._inplace("div_")[...] /= other
        return self

    def clamp_(self, min=None, max=None) -> TensorBase:
        data = self._inplace("clamp_")
        np.clip(data, min, max, out=data)
        return self


class AccumulateGrad:
    """The graph node of a leaf tensor that requires grad: backward adds into `variable.grad`."""

    __slots__ = ("variable", "__weakref__")
    parents: tuple = ()
    next_functions: tuple = ()
    needs_input_grad: tuple = ()
    _released = False
    _op_name = ""

    def __init__(self, variable: TensorBase) -> None:
        self.variable = variable

    @property
    def _backward_hooks(self):
        return self.variable._backward_hooks

    def name(self) -> str:
        return "AccumulateGrad"

    def __repr__(self) -> str:
        return "<AccumulateGrad>"

    # drawn as the leaf it accumulates into
    _parents: tuple = ()

    def _describe(self) -> str:
        return self.variable._describe()
