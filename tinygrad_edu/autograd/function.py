"""`Function`: the one mechanism every differentiable op is built on, built-in or your own.

An op is a subclass with two static methods, side by side:

    class Exp(Function):
        @staticmethod
        def forward(ctx, x):                      # x: a Tensor
            result = np.exp(x.data)
            ctx.result = result                   # anything backward needs
            return result                         # a numpy array or a Tensor
        @staticmethod
        def backward(ctx, grad_output):           # grad_output: d loss / d result, a Tensor
            return grad_output * Tensor(ctx.result)  # d loss / d x, one per forward input

`Exp.apply(x)` runs forward with graph recording off and, when an input requires grad, links the
result to the `ctx` (the Function instance) so that `backward()` can find it. The instance is the
graph node: `tensor.grad_fn` returns it. Backward formulas are written with Tensor operations, so
they are themselves differentiable: `backward(create_graph=True)` records them and second
derivatives come for free.
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING, Any

import numpy as np

from tinygrad_edu.autograd import anomaly
from tinygrad_edu.autograd.grad_mode import GRAD_STATE

if TYPE_CHECKING:
    from tinygrad_edu.tensor import Tensor

_Tensor: Any = None  # set by tinygrad_edu.tensor once the class exists (avoids a circular import)
_NO_GRAD_NEEDED = tuple((False,) * n for n in range(8))  # needs_input_grad under no_grad, made once


class Function:
    """Base class of differentiable operations. Subclass it and define `forward` and `backward`.

    Inside `forward(ctx, *args)` use `ctx.save_for_backward(*tensors)` for tensors backward needs (they
    are checked for in-place changes) or plain attributes for anything else. `backward(ctx, *grads)`
    returns one gradient per positional argument of forward (`None` for non-tensors or inputs that need
    no gradient). `ctx.needs_input_grad[i]` says whether input i wants one.
    """

    # set by apply(); class-level defaults keep a Function usable as a plain object too
    parents: tuple = ()
    needs_input_grad: tuple = ()
    _saved: tuple | None = ()
    _saved_versions: tuple = ()
    _released = False
    _forward_stack = None

    @staticmethod
    def forward(ctx: Function, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("subclasses of Function must implement forward(ctx, *args)")

    @staticmethod
    def backward(ctx: Function, *grad_outputs: Tensor) -> Any:
        raise NotImplementedError("subclasses of Function must implement backward(ctx, *grad_outputs)")

    # ----------------------------------------------------------------------------------------------
    # the ctx interface used inside forward and backward

    def save_for_backward(self, *tensors: Tensor | None) -> None:
        self._saved = tensors
        self._saved_versions = tuple([None if t is None else t._version for t in tensors])

    @property
    def saved_tensors(self) -> tuple:
        if self._released:
            raise self.second_backward_error()
        saved = tuple(t() if isinstance(t, weakref.ref) else t for t in self._saved)
        for index, (tensor, version) in enumerate(zip(saved, self._saved_versions)):
            if tensor is not None and tensor._version != version:
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
        """The nodes that produced this op's inputs, as torch's `(node, output_index)` pairs."""
        pairs = []
        for arg in getattr(self, "inputs", ()):
            if isinstance(arg, GraphStub):
                pairs.append((arg._ctx, 0))
            elif isinstance(arg, _Tensor) and arg.requires_grad:
                node = arg._ctx if arg._ctx is not None else AccumulateGrad.of(arg)
                pairs.append((node, 0))
            elif isinstance(arg, _Tensor):
                pairs.append((None, 0))
        return tuple(pairs)

    # what a node keeps after backward: the graph's shape (for drawing and next_functions), nothing else
    _KEPT_AFTER_RELEASE = frozenset({"inputs", "parents", "needs_input_grad", "_forward_stack"})

    def release(self) -> None:
        """Free everything forward kept for backward (saved tensors and any arrays stored on ctx),
        and let go of the intermediate tensors this node read: the graph keeps its shape (a
        `GraphStub` per intermediate, for drawing and `next_functions`) but not their data, so a
        training loop holding last step's loss does not hold last step's activations, as in torch.
        A later backward through this node raises a clear error."""
        for name in [n for n in self.__dict__ if n not in self._KEPT_AFTER_RELEASE]:
            del self.__dict__[name]
        self._saved = None
        self._released = True
        inputs = self.__dict__.get("inputs")
        if inputs:
            self.inputs = inputs = tuple(
                [GraphStub(a) if type(a) is _Tensor and a._ctx is not None else a for a in inputs]
            )
            self.parents = tuple([a for a, needed in zip(inputs, self.needs_input_grad) if needed])

    def second_backward_error(self) -> RuntimeError:
        return RuntimeError(
            f"{self.name()}: trying to backward through the graph a second time; its saved "
            "tensors were freed by the first backward. Pass retain_graph=True to the first call."
        )

    # ----------------------------------------------------------------------------------------------

    @classmethod
    def apply(cls, *args: Any, **kwargs: Any) -> Tensor:
        """Run forward on `args` and, if any input requires grad, record the result's graph node."""
        ctx = cls()
        grad_enabled = GRAD_STATE.enabled
        record = False
        if grad_enabled:
            needs = tuple([isinstance(a, _Tensor) and a.requires_grad for a in args])
            record = True in needs
        else:
            needs = _NO_GRAD_NEEDED[len(args)] if len(args) < 8 else (False,) * len(args)
        ctx.needs_input_grad = needs  # set before forward, which may use it to decide what to save
        GRAD_STATE.enabled = False  # forward's own tensor ops are not recorded
        try:
            result = cls.forward(ctx, *args, **kwargs)
        finally:
            GRAD_STATE.enabled = grad_enabled
        if type(result) is np.ndarray:  # the usual case, tested first
            result = _Tensor._wrap(result)
        elif isinstance(result, _Tensor):
            if result._ctx is not None or result.requires_grad:
                # forward returned an input (or another graph tensor) as is: a new tensor on the same
                # data, so that linking it to this node does not rewrite the input's own history
                result = _Tensor._wrap(result.data)
        elif isinstance(result, (tuple, list)):
            raise TypeError(
                f"{cls.__name__}.forward returned a {type(result).__name__}; a Function here has one "
                "output (a Tensor or numpy array): split it into one Function per output"
            )
        else:
            result = _Tensor._wrap(result)  # a number or numpy scalar
        if anomaly.STATE.enabled:
            anomaly.check_forward(ctx, result)
        if record:
            ctx.inputs = args
            ctx.parents = tuple([a for a, n in zip(args, needs) if n])
            result._ctx = ctx
            result.requires_grad = True
            # A saved output would make a cycle (output -> ctx -> output): keep it as a weak reference.
            for saved in ctx._saved:
                if saved is result:
                    ctx._saved = tuple([weakref.ref(t) if t is result else t for t in ctx._saved])
                    break
            if anomaly.STATE.enabled:
                ctx._forward_stack = anomaly.user_stack()
        return result


class GraphStub:
    """What a freed graph keeps of an intermediate tensor: its place in the graph (the node that made
    it), its shape and dtype, not its data. It follows the graph-node protocol of `graph.py` and
    `viz.py`, so a graph can still be walked and drawn after backward."""

    __slots__ = ("_ctx", "shape", "dtype", "requires_grad", "_had_grad")

    def __init__(self, tensor: Tensor) -> None:
        self._ctx = tensor._ctx
        self.shape = tensor.shape
        self.dtype = tensor.dtype
        self.requires_grad = True
        self._had_grad = tensor.grad is not None

    @property
    def _parents(self) -> tuple:
        return self._ctx.parents

    @property
    def _op_name(self) -> str:
        return self._ctx.name()

    def _describe(self) -> str:
        return f"{tuple(self.shape)} {self.dtype}" + (" | grad" if self._had_grad else "")


class AccumulateGrad:
    """The graph node of a leaf tensor that requires grad: backward adds into `variable.grad`."""

    next_functions: tuple = ()

    def __init__(self, variable: Tensor) -> None:
        self.variable = variable

    @staticmethod
    def of(variable: Tensor) -> AccumulateGrad:
        """The leaf's node, the same object while anyone holds it (as torch caches it, weakly)."""
        node = _ACCUMULATORS.get(id(variable))
        if node is None or node.variable is not variable:
            node = AccumulateGrad(variable)
            _ACCUMULATORS[id(variable)] = node
        return node

    def name(self) -> str:
        return "AccumulateGrad"

    def __repr__(self) -> str:
        return "<AccumulateGrad>"


_ACCUMULATORS: weakref.WeakValueDictionary = weakref.WeakValueDictionary()  # id(leaf) -> its node
