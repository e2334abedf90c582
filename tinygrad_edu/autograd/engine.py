"""The backward pass: walk the graph of nodes from the outputs to the leaves, calling each node's backward.

`Tensor.backward()` and `autograd.grad()` both end here. The graph is made of nodes only: a
`Function` per op, pointing at its parents' nodes, and an `AccumulateGrad` per leaf. The walk is the
project's one topological order (`tinygrad_edu.graph`); visiting it in reverse guarantees a node's
gradient is complete (every use of its output has contributed) before it is passed further back.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

import tinygrad_edu.autograd.anomaly as anomaly
from tinygrad_edu.autograd.grad_mode import GRAD_STATE
from tinygrad_edu.autograd.tensor_base import AccumulateGrad, TensorBase
from tinygrad_edu.graph import topological_order


def _parents_of(node) -> tuple:
    return node.parents


def _graph_order(roots: Sequence) -> list:
    if len(roots) == 1:
        return topological_order(roots[0], _parents_of)
    top = object()  # a virtual node whose inputs are all the roots
    order = topological_order(top, lambda node: roots if node is top else node.parents)
    return order[:-1]


def node_of(tensor: TensorBase):
    """The graph node a tensor's gradient arrives at: the op that made it, or a leaf's AccumulateGrad."""
    return tensor._ctx if tensor._ctx is not None else tensor._grad_accumulator()


def _own_grad(grad: TensorBase, handed_out: set) -> TensorBase:
    """The gradient to store in a `.grad`, with its own writable memory as in torch.

    Backward formulas pass gradients on without copying (Add hands the same one to both inputs,
    Reshape and Expand hand on views), so a gradient may share memory with another `.grad` or with the
    caller's `gradient=`. Copy it only then: a view, an array already handed out, or a 0-d array
    (numpy gives those read-only).
    """
    array = grad.data
    if array.base is not None or id(array) in handed_out or not array.ndim:
        grad = grad._wrap(array.copy())
    handed_out.add(id(grad.data))
    return grad


def _run_hooks(hooks: dict, grad: TensorBase) -> TensorBase:
    for hook in list(hooks.values()):
        replacement = hook(grad)
        if replacement is not None:
            if not isinstance(replacement, TensorBase) or replacement.shape != grad.shape:
                raise RuntimeError(
                    f"hook {getattr(hook, '__name__', hook)!r} returned "
                    f"{_describe_grad(replacement)} for a gradient of shape {tuple(grad.shape)}; "
                    "a hook may only return None or a Tensor of the gradient's shape"
                )
            grad = replacement
    return grad


def _accumulate(tensor: TensorBase, grad: TensorBase, create_graph: bool, handed_out: set) -> None:
    if tensor.grad is not None:
        tensor.grad = tensor.grad + grad
    else:
        tensor.grad = grad if create_graph else _own_grad(grad, handed_out)


def run_backward(
    roots: Sequence,
    root_grads: Sequence[TensorBase],
    retain_graph: bool,
    create_graph: bool,
    capture: dict | None = None,
) -> None:
    """Propagate `root_grads` back from the nodes `roots`.

    Without `capture`, gradients accumulate into `.grad` of leaves (and of tensors that called
    `retain_grad()`). With `capture` (a dict whose keys are nodes), the gradients arriving at exactly
    those nodes are stored in it and no `.grad` is touched: that is `autograd.grad`.
    """
    grads: dict = {}
    for root, grad in zip(roots, root_grads):
        grads[root] = grad if root not in grads else grads[root] + grad
    handed_out = {id(grad.data) for grad in root_grads}  # arrays some caller or `.grad` already holds
    order = _graph_order(roots)
    grad_enabled = GRAD_STATE.enabled
    GRAD_STATE.enabled = create_graph  # record the backward ops only for higher-order gradients
    in_backward = anomaly.STATE.in_backward
    anomaly.STATE.in_backward = True
    try:
        for node in reversed(order):
            grad = grads.pop(node, None)
            if grad is None:
                continue
            if node._backward_hooks:
                grad = _run_hooks(node._backward_hooks, grad)
            leaf = type(node) is AccumulateGrad
            if capture is not None:
                if node in capture:
                    capture[node] = grad
                if leaf:
                    continue
            elif leaf:
                _accumulate(node.variable, grad, create_graph, handed_out)
                continue
            elif node._retained is not None:
                tensor = node._retained()
                if tensor is not None:
                    _accumulate(tensor, grad, create_graph, handed_out)
            if node._released:
                raise node.second_backward_error()
            _propagate(node, grad, grads)
            if not retain_graph:
                node.release()
    finally:
        GRAD_STATE.enabled = grad_enabled
        anomaly.STATE.in_backward = in_backward


def _propagate(node, grad: TensorBase, grads: dict) -> None:
    """Call the node's backward and add each input's gradient to what its parent node has so far."""
    input_grads = node.backward(node, grad)
    if type(input_grads) is not tuple:
        input_grads = (input_grads,)
    needs = node.needs_input_grad
    if len(input_grads) != len(needs):
        raise RuntimeError(
            f"{node.name()}.backward returned {len(input_grads)} gradient(s), but forward took "
            f"{len(needs)} input(s); return one per input (None for non-tensors)"
        )
    if anomaly.STATE.enabled:
        anomaly.check_backward(node, input_grads)
    parents = node.parents
    position = 0  # parents[position] is the node of the next input that needs a gradient
    for index, needed in enumerate(needs):
        if not needed:
            continue
        parent = parents[position]
        position += 1
        input_grad = input_grads[index]
        if input_grad is None:
            continue
        if type(parent) is AccumulateGrad:
            shape, dtype = parent.variable.data.shape, parent.variable.data.dtype
        else:
            shape, dtype = parent._output_shape, parent._output_dtype
        if not isinstance(input_grad, TensorBase):
            input_grad = grad._wrap(np.asarray(input_grad, dtype=dtype))
        if input_grad.data.shape != shape:
            raise RuntimeError(
                f"{node.name()}.backward returned a gradient of shape {tuple(input_grad.shape)} for "
                f"input {index}, which has shape {tuple(shape)}"
            )
        previous = grads.get(parent)
        grads[parent] = input_grad if previous is None else previous + input_grad


def _describe_grad(value) -> str:
    if hasattr(value, "shape"):
        return f"a {type(value).__name__} of shape {tuple(value.shape)}"
    return f"a {type(value).__name__}"


def _check_root_grad(output: TensorBase, grad, name: str) -> TensorBase:
    if grad is None:
        if output.data.size != 1:
            raise RuntimeError(
                f"{name}: grad can be implicitly created only for scalar outputs, but the output has "
                f"shape {tuple(output.shape)}; pass gradient= (a tensor of that shape)"
            )
        return output._wrap(np.ones_like(output.data))
    if not isinstance(grad, TensorBase):
        grad = type(output)(grad, dtype=output.dtype)
    if grad.shape != output.shape:
        raise RuntimeError(
            f"{name}: gradient has shape {tuple(grad.shape)} but the output has shape {tuple(output.shape)}"
        )
    return grad


def backward(tensor: TensorBase, gradient=None, retain_graph: bool | None = None, create_graph: bool = False):
    """What `tensor.backward()` does: accumulate d tensor / d leaf into every leaf's `.grad`."""
    if not tensor.requires_grad:
        raise RuntimeError(
            "backward: this tensor does not require grad and has no grad_fn (was it computed under "
            "no_grad, or from tensors without requires_grad=True?)"
        )
    root_grad = _check_root_grad(tensor, gradient, "backward")
    retain = create_graph if retain_graph is None else retain_graph
    run_backward([node_of(tensor)], [root_grad], retain, create_graph)


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
    outputs = (outputs,) if isinstance(outputs, TensorBase) else tuple(outputs)
    inputs = (inputs,) if isinstance(inputs, TensorBase) else tuple(inputs)
    if grad_outputs is None or isinstance(grad_outputs, TensorBase):
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
    input_nodes = [node_of(t) for t in inputs]
    capture = dict.fromkeys(input_nodes)
    retain = create_graph if retain_graph is None else retain_graph
    run_backward([node_of(o) for o in outputs], root_grads, retain, create_graph, capture)
    results = []
    for index, (tensor, node) in enumerate(zip(inputs, input_nodes)):
        result = capture[node]
        if result is None and not allow_unused:
            raise RuntimeError(
                f"grad: input {index} (shape {tuple(tensor.shape)}) was not used to compute the outputs; "
                "pass allow_unused=True to get None for it"
            )
        results.append(result)
    return tuple(results)
