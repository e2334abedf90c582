"""Helpers that act on a model's parameters: gradient clipping and flattening to one vector."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from tinygrad_edu.autograd.grad_mode import no_grad
from tinygrad_edu.tensor import Tensor


def _as_list(parameters) -> list[Tensor]:
    if isinstance(parameters, Tensor):
        return [parameters]
    return list(parameters)


def clip_grad_norm_(
    parameters: Iterable[Tensor] | Tensor,
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
) -> Tensor:
    """Scale all gradients together so that their joint norm is at most `max_norm`.

    The joint norm is the norm of the vector of per-parameter norms (the same as the norm of all
    gradients concatenated). Returns that total norm, measured before clipping, as a Tensor.
    """
    parameters = _as_list(parameters)  # once: a generator (model.parameters()) can be walked only once
    grads = [p.grad for p in parameters if p.grad is not None]
    if not grads:
        return Tensor(0.0)
    norm_type = float(norm_type)
    if norm_type == float("inf"):
        norms = [np.max(np.abs(g.data)) if g.data.size else np.zeros((), g.data.dtype) for g in grads]
        total_norm = np.max(np.stack(norms))
    else:
        norms = [np.linalg.norm(g.data.ravel(), ord=norm_type) for g in grads]
        total_norm = np.linalg.norm(np.stack(norms), ord=norm_type)
    total_norm = np.asarray(total_norm, dtype=grads[0].data.dtype)
    if error_if_nonfinite and not np.isfinite(total_norm):
        raise RuntimeError(
            f"clip_grad_norm_: the total norm of order {norm_type} of the gradients is non-finite ({total_norm}); "
            "pass error_if_nonfinite=False to clip anyway"
        )
    clip_coef = float(max_norm) / (float(total_norm) + 1e-6)
    if clip_coef < 1.0:
        for param in parameters:
            if param.grad is not None:
                # a new gradient tensor, not an in-place scale: gradient arrays may be shared or read-only views
                param.grad = Tensor._wrap(
                    param.grad.data * np.asarray(clip_coef, dtype=param.grad.data.dtype)
                )
    return Tensor._wrap(total_norm)


def clip_grad_value_(parameters: Iterable[Tensor] | Tensor, clip_value: float) -> None:
    """Clamp every gradient element to [-clip_value, clip_value]."""
    for param in _as_list(parameters):
        if param.grad is not None:
            param.grad = Tensor._wrap(np.clip(param.grad.data, -clip_value, clip_value))


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """All parameters flattened and joined into one 1-D tensor (a copy, not in the graph)."""
    return Tensor._wrap(np.concatenate([p.data.ravel() for p in parameters]))


def vector_to_parameters(vector: Tensor, parameters: Iterable[Tensor]) -> None:
    """Copy consecutive slices of `vector` back into the parameters, in place."""
    data = vector.data if isinstance(vector, Tensor) else np.asarray(vector)
    offset = 0
    for param in parameters:
        count = param.data.size
        if offset + count > data.size:
            raise ValueError(
                f"vector_to_parameters: the vector has {data.size} elements, too few for the parameters"
            )
        with no_grad():
            param._inplace("vector_to_parameters")[...] = data[offset : offset + count].reshape(param.shape)
        offset += count


def zero_grad(parameters: Iterable[Tensor], set_to_none: bool = True) -> None:
    """Clear the gradients of `parameters`: what `Module.zero_grad` and `Optimizer.zero_grad` do.
    The gradient is rebound (None, or a new zero array), not zeroed in place: gradient arrays may be
    shared or read-only views."""
    for param in parameters:
        if param.grad is not None:
            param.grad = None if set_to_none else Tensor._wrap(np.zeros_like(param.grad.data))
