"""In-place changes to a tensor that is part of a graph (`x[i] = v` or `x[mask] -= 1` on a non-leaf),
recorded so that backward stays right, as torch records them.

The tensor object keeps its identity (every name bound to it sees the new values) and gets a new
history: `op(old value, ...)`. Ops recorded earlier that took the tensor as an input used its old
value, so their gradient must reach the old history. torch's graph links ops to ops, so this holds
by construction there; this engine links ops to tensors, so those earlier ops are re-linked to a
tensor that holds the old history. They are found with `gc.get_referrers`, a scan of all objects
that is fine for this rare operation (never on the path of an ordinary forward or backward). An
earlier op that *saved* the tensor for backward keeps it, and its backward raises the usual
"modified in place" error, as torch's does.
"""

from __future__ import annotations

import gc

from tinygrad_edu.autograd.function import Function


def _relink_consumers(tensor, replacement) -> None:
    """Point recorded ops whose inputs include `tensor` at `replacement` instead (two scans in all)."""
    holders = [holder for holder in gc.get_referrers(tensor) if type(holder) is tuple]
    if not holders:
        return
    for owner in gc.get_referrers(*holders):
        # the op itself, or its attribute dict (what gc reports once Python has given the instance a
        # dict of its own); recorded ops are the ones with `needs_input_grad` set
        if isinstance(owner, Function):
            attributes = owner.__dict__
        elif type(owner) is dict and "needs_input_grad" in owner:
            attributes = owner
        else:
            continue
        for name in ("parents", "inputs"):
            holder = attributes.get(name)
            if any(holder is h for h in holders):
                attributes[name] = tuple(replacement if t is tensor else t for t in holder)


def record_inplace(tensor, op: type[Function], *args) -> None:
    """Give `tensor` the value and history of `op.apply(tensor's old value, *args)`, in place."""
    old = tensor._wrap(tensor.data)
    old._ctx, old.requires_grad = tensor._ctx, tensor.requires_grad
    if tensor.requires_grad:  # only then can recorded ops have it among their parents
        _relink_consumers(tensor, old)
    new = op.apply(old, *args)
    tensor.data, tensor._ctx, tensor.requires_grad = new.data, new._ctx, new.requires_grad
    tensor._version += 1
