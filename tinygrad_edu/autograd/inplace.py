"""In-place changes to a tensor that is part of a graph (`x[i] = v`, `x += y` or `x[mask] -= 1` on a
non-leaf), recorded so that backward stays right, as torch records them.

The tensor object keeps its identity (every name bound to it sees the new values) and gets a new
history: `op(old value, ...)`. Ops recorded earlier that took the tensor as an input point at the node
that produced its old value (graph nodes point at nodes, not at tensors), so their gradient still
reaches the old history with nothing to re-link. An earlier op that *saved* the tensor for backward
keeps it, and its backward raises the usual "modified in place" error, as torch's does.
"""

from __future__ import annotations

from collections.abc import Callable

from tinygrad_edu.autograd.tensor_base import TensorBase


def record_inplace(tensor: TensorBase, compute: Callable[[TensorBase], TensorBase]) -> None:
    """Give `tensor` the value and history of `compute(tensor's old value)` (ops on tensors), in place."""
    old = tensor._wrap(tensor.data)
    old._ctx, old.requires_grad = tensor._ctx, tensor.requires_grad
    new = compute(old)
    tensor.data, tensor._ctx, tensor.requires_grad = new.data, new._ctx, new.requires_grad
    tensor._version += 1
