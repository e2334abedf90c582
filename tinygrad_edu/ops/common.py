"""Helpers shared by the ops: undoing broadcasting in backward."""

from __future__ import annotations


def unbroadcast(grad, shape: tuple):
    """Sum `grad` down to `shape`, undoing numpy broadcasting.

    If `x` of shape (3, 1) was broadcast to (2, 3, 4) in the forward pass, each element of x was used
    2 * 4 times, so its gradient is the sum of the gradient over those copies: sum over the leading
    axis that was added and over the axis where x had size 1.
    Derivation: docs/derivations.md#broadcasting-and-unbroadcast
    """
    grad_shape = grad.data.shape
    if grad_shape == shape:
        return grad
    extra = len(grad_shape) - len(shape)
    axes = tuple(range(extra)) + tuple(
        [extra + i for i, size in enumerate(shape) if size == 1 and grad_shape[extra + i] != 1]
    )
    if axes:
        grad = grad.sum(dim=axes)
    return grad.reshape(shape)


def broadcast_error(op: str, a, b) -> ValueError:
    return ValueError(f"{op}: shapes {tuple(a.shape)} and {tuple(b.shape)} cannot be broadcast together")
