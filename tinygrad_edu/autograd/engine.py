"""The backward pass: walk the graph from the outputs to the leaves, calling each node's backward.

`Tensor.backward()` and `autograd.grad()` both end here. The walk is the project's one topological
order (`tinygrad_edu.graph`); visiting it in reverse guarantees a tensor's gradient is complete (every
use of it has contributed) before it is passed further back.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from tinygrad_edu.autograd import anomaly
from tinygrad_edu.autograd.grad_mode import GRAD_STATE
from tinygrad_edu.graph import topological_order

if TYPE_CHECKING:
    from tinygrad_edu.tensor import Tensor


def _parents_of(tensor: Tensor) -> tuple:
    ctx = tensor._ctx
    return ctx.parents if ctx is not None else ()


def _graph_order(roots: Sequence[Tensor]) -> list[Tensor]:
    if len(roots) == 1:
        return topological_order(roots[0], _parents_of)
    top = object()  # a virtual node whose inputs are all the roots
    order = topological_order(top, lambda node: roots if node is top else _parents_of(node))
    return order[:-1]


def _own_grad(grad: Tensor, handed_out: set) -> Tensor:
    """The gradient to store in a `.grad`, with its own writable memory as in torch.

    Backward formulas pass gradients on without copying (Add hands the same one to both inputs,
    Reshape and Expand hand on views), so a gradient may share memory with another `.grad` or with the
    caller's `gradient=`. Copy it only then: a view, an array already handed out, or a 0-d array
    (numpy gives those read-only).
    """
    array = grad.data
    if array.base is not None or id(array) in handed_out or not array.ndim:
        grad = type(grad)._wrap(array.copy())
    handed_out.add(id(grad.data))
    return grad


def run_backward(
    roots: Sequence[Tensor],
    root_grads: Sequence[Tensor],
    retain_graph: bool,
    create_graph: bool,
    capture: dict | None = None,
) -> None:
    """Propagate `root_grads` back from `roots`.

    Without `capture`, gradients accumulate into `.grad` of leaves (and of tensors that called
    `retain_grad()`). With `capture` (a dict keyed by `id(tensor)`), the gradients of exactly those
    tensors are stored in it and no `.grad` is touched: that is `autograd.grad`.
    """
    from tinygrad_edu.tensor import Tensor

    grads: dict[int, Tensor] = {}
    for root, grad in zip(roots, root_grads):
        key = id(root)
        grads[key] = grad if key not in grads else grads[key] + grad
    handed_out = {id(grad.data) for grad in root_grads}  # arrays some caller or `.grad` already holds
    order = _graph_order(roots)
    grad_enabled = GRAD_STATE.enabled
    GRAD_STATE.enabled = create_graph  # record the backward ops only for higher-order gradients
    in_backward = anomaly.STATE.in_backward
    anomaly.STATE.in_backward = True
    try:
        for tensor in reversed(order):
            grad = grads.pop(id(tensor), None)
            if grad is None:
                continue
            if tensor._backward_hooks:
                for hook in list(tensor._backward_hooks.values()):
                    replacement = hook(grad)
                    if replacement is not None:
                        if not isinstance(replacement, Tensor) or replacement.shape != grad.shape:
                            raise RuntimeError(
                                f"hook {getattr(hook, '__name__', hook)!r} returned "
                                f"{_describe_grad(replacement)} for a gradient of shape {tuple(grad.shape)}; "
                                "a hook may only return None or a Tensor of the gradient's shape"
                            )
                        grad = replacement
            ctx = tensor._ctx
            if capture is not None:
                if id(tensor) in capture:
                    capture[id(tensor)] = grad
            elif ctx is None or tensor._retains_grad:
                if tensor.grad is not None:
                    tensor.grad = tensor.grad + grad
                else:
                    tensor.grad = grad if create_graph else _own_grad(grad, handed_out)
            if ctx is None:
                continue
            if ctx._released:
                raise ctx.second_backward_error()

            input_grads = ctx.backward(ctx, grad)
            if not isinstance(input_grads, tuple):
                input_grads = (input_grads,)
            if len(input_grads) != len(ctx.inputs):
                raise RuntimeError(
                    f"{ctx.name()}.backward returned {len(input_grads)} gradient(s), but forward took "
                    f"{len(ctx.inputs)} input(s); return one per input (None for non-tensors)"
                )
            if anomaly.STATE.enabled:
                anomaly.check_backward(ctx, input_grads)
            for index, (arg, needed, arg_grad) in enumerate(
                zip(ctx.inputs, ctx.needs_input_grad, input_grads)
            ):
                if not needed or arg_grad is None:
                    continue
                if not isinstance(arg_grad, Tensor):
                    arg_grad = Tensor._wrap(np.asarray(arg_grad, dtype=arg.data.dtype))
                if arg_grad.shape != arg.shape:
                    raise RuntimeError(
                        f"{ctx.name()}.backward returned a gradient of shape {tuple(arg_grad.shape)} for "
                        f"input {index}, which has shape {tuple(arg.shape)}"
                    )
                key = id(arg)
                previous = grads.get(key)
                grads[key] = arg_grad if previous is None else previous + arg_grad
            if not retain_graph:
                ctx.release()
    finally:
        GRAD_STATE.enabled = grad_enabled
        anomaly.STATE.in_backward = in_backward


def _describe_grad(value) -> str:
    if hasattr(value, "shape"):
        return f"a {type(value).__name__} of shape {tuple(value.shape)}"
    return f"a {type(value).__name__}"


def _default_root_grad(output: Tensor, name: str) -> Tensor:
    from tinygrad_edu.tensor import Tensor

    if output.data.size != 1:
        raise RuntimeError(
            f"{name}: grad can be implicitly created only for scalar outputs, but the output has shape "
            f"{tuple(output.shape)}; pass gradient= (a tensor of that shape)"
        )
    return Tensor._wrap(np.ones_like(output.data))


def _check_root_grad(output: Tensor, grad, name: str) -> Tensor:
    from tinygrad_edu.tensor import Tensor

    if grad is None:
        return _default_root_grad(output, name)
    if not isinstance(grad, Tensor):
        grad = Tensor(grad, dtype=output.dtype)
    if grad.shape != output.shape:
        raise RuntimeError(
            f"{name}: gradient has shape {tuple(grad.shape)} but the output has shape {tuple(output.shape)}"
        )
    return grad


def backward(tensor: Tensor, gradient=None, retain_graph: bool | None = None, create_graph: bool = False):
    """What `tensor.backward()` does: accumulate d tensor / d leaf into every leaf's `.grad`."""
    if not tensor.requires_grad:
        raise RuntimeError(
            "backward: this tensor does not require grad and has no grad_fn (was it computed under "
            "no_grad, or from tensors without requires_grad=True?)"
        )
    root_grad = _check_root_grad(tensor, gradient, "backward")
    retain = create_graph if retain_graph is None else retain_graph
    run_backward([tensor], [root_grad], retain, create_graph)


def grad(
    outputs,
    inputs,
    grad_outputs=None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    allow_unused: bool = False,
) -> tuple:
    """d outputs / d inputs, returned as a tuple without touching any `.grad` (torch.autograd.grad).

    With `create_graph=True` the returned gradients are themselves differentiable, which gives
    Hessian-vector products: `grad(grad(loss, w, create_graph=True)[0] @ v, w)`.
    """
    from tinygrad_edu.tensor import Tensor

    outputs = (outputs,) if isinstance(outputs, Tensor) else tuple(outputs)
    inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
    if grad_outputs is None or isinstance(grad_outputs, Tensor):
        grad_outputs = (grad_outputs,) * len(outputs) if grad_outputs is None else (grad_outputs,)
    if len(grad_outputs) != len(outputs):
        raise ValueError(f"grad: got {len(grad_outputs)} grad_outputs for {len(outputs)} outputs")
    for index, tensor in enumerate(inputs):
        if not tensor.requires_grad:
            raise RuntimeError(f"grad: input {index} does not require grad")
    for index, tensor in enumerate(outputs):
        if not tensor.requires_grad:
            raise RuntimeError(f"grad: output {index} does not require grad and has no grad_fn")
    root_grads = [_check_root_grad(o, g, "grad") for o, g in zip(outputs, grad_outputs)]
    capture = {id(t): None for t in inputs}
    retain = create_graph if retain_graph is None else retain_graph
    run_backward(outputs, root_grads, retain, create_graph, capture)
    results = []
    for index, tensor in enumerate(inputs):
        result = capture[id(tensor)]
        if result is None and not allow_unused:
            raise RuntimeError(
                f"grad: input {index} (shape {tuple(tensor.shape)}) was not used to compute the outputs; "
                "pass allow_unused=True to get None for it"
            )
        results.append(result)
    return tuple(results)
