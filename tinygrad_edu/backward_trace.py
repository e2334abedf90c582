"""Record a backward pass step by step: what each node receives and what it sends to each input.

`trace_backward(root)` replays the backward pass of `root`'s graph, in the same order as the engine
(`scalar.backward_order` for a `Value`, `graph.topological_order` visited in reverse for a `Tensor`),
and writes down at every step:
- the node processed and its upstream gradient d(root)/d(node), complete at that point,
- for each input: the local derivative, the contribution sent to that input, and the input's
  running sum (its gradient so far) after adding it; a node used twice gets two contributions.

Nothing here is a second implementation of calculus:
- a `Value` carries its local derivatives (`_local`, computed by its op in the forward pass); the
  step is the engine's own chain rule, `contribution = local * upstream`, summed into the input;
- a `Tensor` step calls the op's real backward function (`node.backward(node, upstream)`), as
  `Tensor.backward()` does. Its local derivative is a Jacobian, too big to show; the trace records
  `node.backward(ones)`, the derivative of the sum of the output with respect to the input, which
  for an element-wise op is exactly d(out)/d(in) element by element.

The replay leaves every `.grad` untouched, so it works before `backward()` has run. A tensor graph
must still hold its saved tensors: build the trace before `loss.backward()`, or after
`loss.backward(retain_graph=True)`. Gradient hooks (`register_hook`) are not applied.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tinygrad_edu.autograd.function import SavedOutput
from tinygrad_edu.autograd.grad_mode import no_grad
from tinygrad_edu.autograd.tensor_base import AccumulateGrad, TensorBase
from tinygrad_edu.graph import topological_order
from tinygrad_edu.scalar import backward_order


@dataclass
class Contribution:
    """What one step sends to one input of the node it processes."""

    input: int  # index of the input in Trace.nodes
    local: Any  # d(node)/d(input): a float, or for a tensor the array grad_fn.backward(ones)
    contribution: Any  # the gradient sent to the input at this step
    running_sum: Any  # the input's gradient after adding the contribution
    count: int  # how many contributions the input has received so far (2 on its second use)


@dataclass
class Step:
    """One node processed by backward: its (complete) upstream gradient and what it sent back."""

    node: int  # index in Trace.nodes
    upstream: Any  # d(root)/d(node)
    contributions: list[Contribution] = field(default_factory=list)


@dataclass
class Trace:
    """A backward pass written down. `nodes` are in topological order (inputs first, root last);
    `inputs[i]` lists the indices of node i's inputs; `steps` run from the root back to the leaves;
    `grads[i]` is node i's gradient at the end of the recorded steps."""

    kind: str  # "value" or "tensor"
    nodes: list
    inputs: list[list[int]]
    steps: list[Step]
    grads: dict[int, Any]
    total_steps: int  # steps of the whole graph; more than len(steps) when max_steps cut the trace


def _is_value(node: Any) -> bool:
    return hasattr(node, "_local")  # a scalar Value stores its local derivatives


def _node_of(item: Any) -> Any:
    """The autograd node an item of a tensor trace stands for: a tensor stands for the node that
    produced it (None for a leaf), a graph node for itself."""
    return item._ctx if isinstance(item, TensorBase) else item


def _item_of(node: Any) -> Any:
    """What the trace shows for a parent node: a leaf's accumulate-gradient node is shown as the leaf."""
    return node.variable if isinstance(node, AccumulateGrad) else node


def _tensor_inputs(item: Any) -> list[tuple[Any, int]]:
    """(input item, index of its gradient among the op's backward outputs) for each input that needs
    a gradient; empty for a leaf. Refuses a graph whose saved tensors backward has freed."""
    node = _node_of(item)
    if node is None or isinstance(node, AccumulateGrad):
        return []
    if node._released:
        raise RuntimeError(
            f"trace_backward: the graph's saved tensors were freed by backward() (at {node.name()}); "
            "make the page before calling loss.backward(), or call loss.backward(retain_graph=True)"
        )
    # backward returns one gradient per forward argument; the parents are the arguments that need one
    slots = [index for index, needed in enumerate(node.needs_input_grad) if needed]
    parents = [parent for parent in node._tensor_inputs if parent is not None]
    return [(_item_of(parent), slot) for parent, slot in zip(parents, slots)]


def node_value(item: Any) -> np.ndarray | None:
    """The forward value of a trace item: a tensor's data, an op's output when the op saved it for
    backward, else None (a graph of nodes keeps what backward needs, not every intermediate value)."""
    if isinstance(item, TensorBase):
        return item.data
    for saved in item._saved:
        if isinstance(saved, SavedOutput):
            return saved.array
    return None


def op_name(item: Any) -> str:
    """The op that produced a trace item ("" for a leaf)."""
    node = _node_of(item)
    return node.name() if node is not None else ""


def _output_like(item: Any) -> tuple[tuple, np.dtype]:
    if isinstance(item, TensorBase):
        return item.data.shape, item.data.dtype
    return item._output_shape, item._output_dtype


def _as_tensor_grad(grad: Any, like: Any, make: Any) -> Any:
    """A backward output as a tensor, as the engine wraps it (an op may return a numpy array)."""
    if hasattr(grad, "data") and hasattr(grad, "grad_fn"):
        return grad
    return make(np.asarray(grad, dtype=_output_like(like)[1]))


def _call_backward(item: Any, upstream: Any) -> tuple:
    node = _node_of(item)
    grads = node.backward(node, upstream)
    return grads if isinstance(grads, tuple) else (grads,)


def trace_backward(root: Any, max_steps: int | None = None) -> Trace:
    """Replay the backward pass of `root` (a `Value`, or a `Tensor` holding one number) and record
    every step. `max_steps` stops after that many steps (the ones nearest the root), for big graphs.
    A tensor trace's nodes are the root, the op nodes between and the leaf tensors."""
    if _is_value(root):
        order = backward_order(root)[::-1]  # inputs first, root last, like the tensor order below
        kind = "value"
    else:
        if not getattr(root, "requires_grad", False):
            raise RuntimeError("trace_backward: the root does not require grad, so it has no backward pass")
        if root.data.size != 1:
            raise RuntimeError(
                f"trace_backward: the root must hold one number (a loss), got shape {tuple(root.shape)}"
            )
        edges = {}  # id(item) -> _tensor_inputs(item), worked out once per item

        def inputs_of(item: Any) -> list[tuple[Any, int]]:
            if id(item) not in edges:
                edges[id(item)] = _tensor_inputs(item)
            return edges[id(item)]

        order = topological_order(root, lambda item: [arg for arg, _ in inputs_of(item)])
        kind = "tensor"
    index = {id(node): i for i, node in enumerate(order)}
    if kind == "value":
        inputs = [[index[id(parent)] for parent in node._parents] for node in order]
    else:
        inputs = [[index[id(arg)] for arg, _ in inputs_of(node)] for node in order]
    total_steps = sum(1 for node_inputs in inputs if node_inputs)

    grads: dict[int, Any] = {}
    counts: dict[int, int] = {}
    steps: list[Step] = []
    root_index = len(order) - 1
    make = None if kind == "value" else root._wrap
    if kind == "value":
        grads[root_index] = 1.0  # d(root)/d(root), as Value.backward seeds it
    else:
        grads[root_index] = make(np.ones_like(root.data))
    with no_grad():  # the backward formulas are Tensor ops: record no graph for them
        for position in range(root_index, -1, -1):
            if not inputs[position]:
                continue  # a leaf: its gradient is final, it has nothing to pass on
            if max_steps is not None and len(steps) >= max_steps:
                break
            node = order[position]
            upstream = grads.get(position)
            if upstream is None:  # not reached (cannot happen from a single root; kept for safety)
                continue
            step = Step(position, upstream)
            if kind == "value":
                for parent_index, local in zip(inputs[position], node._local):
                    contribution = local * upstream  # the engine's chain rule, as in Value.backward
                    _accumulate(step, grads, counts, parent_index, local, contribution)
            else:
                sent = _call_backward(node, upstream)
                shape, dtype = _output_like(node)
                local_grads = _call_backward(node, make(np.ones(shape, dtype)))
                for parent_index, (arg, slot) in zip(inputs[position], inputs_of(node)):
                    if sent[slot] is None:
                        continue
                    contribution = _as_tensor_grad(sent[slot], arg, make)
                    local = _as_tensor_grad(local_grads[slot], arg, make)
                    _accumulate(step, grads, counts, parent_index, local, contribution)
            steps.append(step)
    return Trace(kind, order, inputs, steps, grads, total_steps)


def _accumulate(step: Step, grads: dict, counts: dict, target: int, local: Any, contribution: Any) -> None:
    previous = grads.get(target)
    # the engine's sum: the first contribution is the gradient, later ones are added to it
    grads[target] = contribution if previous is None else previous + contribution
    counts[target] = counts.get(target, 0) + 1
    step.contributions.append(Contribution(target, local, contribution, grads[target], counts[target]))
