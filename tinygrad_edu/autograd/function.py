"""`Function`: the one mechanism every differentiable op is built on, built-in or your own.

An op is a subclass with two static methods, side by side:

    class Exp(Function):
        @staticmethod
        def forward(ctx, x):                      # x: a tensor; compute on its array x.data
            result = np.exp(x.data)
            ctx.save_for_backward(result)         # tensors (or the output array) backward needs
            return result                         # a numpy array
        @staticmethod
        def backward(ctx, grad_output):           # grad_output: d loss / d result, a tensor
            (result,) = ctx.saved_tensors         # the output array came back as the output tensor
            return grad_output * result           # d loss / d x, one per forward input

`Exp.apply(x)` runs forward with graph recording off, wraps the array in a tensor and, when an input
requires grad, makes the `ctx` (the Function instance) the result's graph node: `tensor.grad_fn`. A
node points at its parents' nodes (`parents`; torch's `next_functions`), a leaf's node being its
`AccumulateGrad`. Backward formulas are written with tensor operations, so they are themselves
differentiable: `backward(create_graph=True)` records them and second derivatives come for free.
"""

from __future__ import annotations

import weakref
from typing import Any

import numpy as np

import tinygrad_edu.autograd.anomaly as anomaly
from tinygrad_edu.autograd.grad_mode import GRAD_STATE
from tinygrad_edu.autograd.tensor_base import TensorBase

_NO_GRAD_NEEDED = tuple((False,) * n for n in range(8))  # needs_input_grad of unrecorded ops, made once


class Function:
    """Base class of differentiable operations. Subclass it and define `forward` and `backward`.

    Inside `forward(ctx, *args)` use `ctx.save_for_backward(*tensors)` for tensors backward needs (they
    are checked for in-place changes; the array forward returns may be saved too and comes back as the
    output tensor) or plain attributes for anything else. `backward(ctx, *grads)` returns one gradient
    per positional argument of forward (`None` for non-tensors or inputs that need no gradient).
    `ctx.needs_input_grad[i]` says whether input i wants one.
    """

    # The graph's shape lives in slots and survives `release()`; everything an op keeps on ctx lives in
    # the instance dict and is dropped by it.
    __slots__ = (
        "parents",
        "_tensor_inputs",
        "needs_input_grad",
        "_output_shape",
        "_output_dtype",
        "__dict__",
        "__weakref__",
    )

    _saved: tuple = ()
    _saved_versions: tuple = ()
    _released = False
    _forward_stack = None
    _backward_hooks = None  # hooks registered on the output tensor (a non-leaf's live on its node)
    _retained = None  # weak reference to the output tensor when it called retain_grad()

    @staticmethod
    def forward(ctx: Function, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("subclasses of Function must implement forward(ctx, *args)")

    @staticmethod
    def backward(ctx: Function, *grad_outputs: Any) -> Any:
        raise NotImplementedError("subclasses of Function must implement backward(ctx, *grad_outputs)")

    # ----------------------------------------------------------------------------------------------
    # the ctx interface used inside forward and backward

    def save_for_backward(self, *tensors: Any) -> None:
        self._saved = tensors  # their versions are noted by `apply`, only when a node is recorded

    @property
    def saved_tensors(self) -> tuple:
        if self._released:
            raise self.second_backward_error()
        saved = tuple([t.unpack(self) if type(t) is SavedOutput else t for t in self._saved])
        for index, (tensor, version) in enumerate(zip(saved, self._saved_versions)):
            if version is not None and tensor._version != version:
                raise RuntimeError(
                    f"{self.name()}: saved tensor {index} (shape {tuple(tensor.shape)}) was modified in "
                    f"place after it was used (version {version} -> {tensor._version}); backward "
                    "needs its original value. Use an out-of-place op instead."
                )
        return saved

    def name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        return f"<{self.name()}Backward>"

    @property
    def next_functions(self) -> tuple:
        """The nodes that produced this op's tensor inputs, as torch's `(node, output_index)` pairs
        (None for an input that needs no gradient)."""
        return tuple([(node, 0) for node in self._tensor_inputs])

    def release(self) -> None:
        """Free everything forward kept for backward (saved tensors and any arrays stored on ctx).
        The graph keeps its shape (parents, input and output shapes) for drawing and walking, as
        in torch; a later backward through this node raises a clear error."""
        self.__dict__.clear()
        self._released = True

    def second_backward_error(self) -> RuntimeError:
        return RuntimeError(
            f"{self.name()}: trying to backward through the graph a second time; its saved "
            "tensors were freed by the first backward. Pass retain_graph=True to the first call."
        )

    # the graph-node protocol of graph.py and viz.py: a node is drawn as the tensor it produced
    @property
    def _parents(self) -> tuple:
        return self.parents

    @property
    def _op_name(self) -> str:
        return self.name()

    def _describe(self) -> str:
        return f"{tuple(self._output_shape)} {self._output_dtype}"

    # ----------------------------------------------------------------------------------------------

    @classmethod
    def apply(cls, *args: Any, **kwargs: Any) -> Any:
        """Run forward on `args`, wrap the result in a tensor and, if any input requires grad, make
        this op's node the result's `grad_fn`."""
        ctx = cls()
        if not GRAD_STATE.enabled:
            # nothing is recorded (no_grad, or a backward formula run without create_graph): no node,
            # so nothing forward saved matters; this path runs for every op of every backward pass
            count = len(args)
            ctx.needs_input_grad = _NO_GRAD_NEEDED[count] if count < 8 else (False,) * count
            result = cls.forward(ctx, *args, **kwargs)
            for arg in args:
                if isinstance(arg, TensorBase):
                    result = (
                        arg._wrap(result) if type(result) is np.ndarray else _as_output(cls, arg, result)[0]
                    )
                    break
            else:
                raise TypeError(f"{cls.__name__}.apply: expected at least one tensor among the arguments")
            if anomaly.STATE.enabled:
                anomaly.check_forward(ctx, result)
            return result
        like = None  # the first tensor input: the result is made by its class (`_wrap`)
        nodes = None  # the parents' nodes, one per tensor input (None: needs no gradient)
        needs = []
        tensor_inputs = []
        for arg in args:
            if isinstance(arg, TensorBase):
                if like is None:
                    like = arg
                if arg.requires_grad:
                    node = arg._ctx
                    tensor_inputs.append(node if node is not None else arg._grad_accumulator())
                    needs.append(True)
                    nodes = tensor_inputs
                    continue
                tensor_inputs.append(None)
            needs.append(False)
        ctx.needs_input_grad = tuple(needs)
        GRAD_STATE.enabled = False  # forward's own tensor ops are not recorded
        try:
            returned = cls.forward(ctx, *args, **kwargs)
        finally:
            GRAD_STATE.enabled = True
        if like is None:
            raise TypeError(f"{cls.__name__}.apply: expected at least one tensor among the arguments")
        result, array = _as_output(cls, like, returned)
        if anomaly.STATE.enabled:
            anomaly.check_forward(ctx, result)
        if nodes is None:
            return result
        saved = ctx._saved
        if saved:
            # the versions saved tensors must still have in backward; the output saved by forward
            # comes back as the output tensor (see SavedOutput)
            versions = []
            for index, item in enumerate(saved):
                if item is returned or item is result:
                    saved = saved[:index] + (SavedOutput(result),) + saved[index + 1 :]
                    versions.append(result._version)
                else:
                    versions.append(getattr(item, "_version", None))
            ctx._saved, ctx._saved_versions = saved, tuple(versions)
        ctx._tensor_inputs = nodes
        ctx.parents = tuple([node for node in nodes if node is not None])
        ctx._output_shape = array.shape
        ctx._output_dtype = array.dtype
        result._ctx = ctx
        result.requires_grad = True
        if anomaly.STATE.enabled:
            ctx._forward_stack = anomaly.user_stack()
        return result


def _as_output(cls: type, like: TensorBase, result: Any) -> tuple:
    """What forward returned as (the output tensor, its array), made by the first input's class."""
    if type(result) is np.ndarray:  # the usual case, tested first
        return like._wrap(result), result
    if isinstance(result, TensorBase):
        if result._ctx is not None or result.requires_grad:
            # forward returned an input (or another graph tensor) as is: a new tensor on the same
            # data, so that linking it to this node does not rewrite the input's own history
            return like._wrap(result.data), result.data
        return result, result.data
    if isinstance(result, tuple | list):
        raise TypeError(
            f"{cls.__name__}.forward returned a {type(result).__name__}; a Function here has one "
            "output (a Tensor or numpy array): split it into one Function per output"
        )
    array = np.asarray(result)  # a number or numpy scalar
    return like._wrap(array), array


class SavedOutput:
    """An op's saved output, as torch saves one: its array, and the tensor itself only weakly (a
    strong reference would make a cycle, output -> node -> output). Unpacked, it is that tensor while
    it lives, else a new tensor on the same array whose node is again this one, so that a backward
    written with it stays differentiable."""

    __slots__ = ("array", "tensor", "make")

    def __init__(self, tensor: TensorBase) -> None:
        self.array = tensor.data
        self.tensor = weakref.ref(tensor)
        self.make = tensor._wrap

    def unpack(self, node: Function) -> TensorBase:
        tensor = self.tensor()
        if tensor is None:
            tensor = self.make(self.array)
            if getattr(node, "parents", None) is not None:
                tensor._ctx = node
                tensor.requires_grad = True
        return tensor
