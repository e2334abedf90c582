"""Gradient checking: compare backward's gradients with finite differences.

If f is smooth, (f(x + eps) - f(x - eps)) / (2 eps) approximates df/dx with an error of order eps^2
(central differences). A gradient that disagrees with it points to a bug in some op's backward.

`gradcheck(fn, inputs)` is the public entry point; it dispatches on the type of the inputs:
`Value`s go to `_gradcheck_scalar`, `Tensor`s to the tensor version in `tinygrad_edu/autograd/gradcheck.py`
(Jacobians by central differences and by backward). `gradgradcheck` checks second derivatives of
Tensor functions.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from tinygrad_edu.scalar import Value


class GradcheckError(RuntimeError):
    """Raised when an analytic gradient and its finite-difference estimate disagree."""


def gradcheck(
    fn: Callable[..., Value],
    inputs,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
) -> bool:
    """Check d fn(*inputs) / d input for every input against central differences.

    For Tensor inputs (one Tensor or a sequence holding Tensors) every float64 input that requires
    grad is checked, element by element, for every output; see `tinygrad_edu.autograd.gradcheck`.

    Returns True when for each input |analytic - numerical| <= atol + rtol * |numerical|, else raises
    `GradcheckError` naming the input (index and label) and showing both values. Plain numbers among
    `inputs` are turned into `Value`s first.
    """
    if _has_tensor(inputs):
        from tinygrad_edu.autograd import gradcheck as tensor_gradcheck

        return tensor_gradcheck.gradcheck(fn, inputs, eps, atol, rtol, raise_exception)
    if len(inputs) == 0:
        raise ValueError("gradcheck: no inputs to check")
    if all(isinstance(x, (Value, int, float)) for x in inputs):
        return _gradcheck_scalar(fn, inputs, eps, atol, rtol)
    # Tensor inputs are dispatched here once the tensor gradcheck exists.
    kinds = ", ".join(sorted({type(x).__name__ for x in inputs}))
    raise TypeError(f"gradcheck: inputs must be Values, Tensors or numbers, got {kinds}")


def gradgradcheck(
    fn: Callable,
    inputs,
    grad_outputs=None,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
) -> bool:
    """Check second derivatives of a Tensor function: gradcheck of
    (inputs, v) -> autograd.grad(fn(*inputs), inputs, v, create_graph=True).
    `grad_outputs` (the v) default to random float64 tensors that require grad."""
    from tinygrad_edu.autograd import gradcheck as tensor_gradcheck

    return tensor_gradcheck.gradgradcheck(fn, inputs, grad_outputs, eps, atol, rtol, raise_exception)


def _has_tensor(inputs) -> bool:
    from tinygrad_edu.tensor import Tensor

    return isinstance(inputs, Tensor) or any(isinstance(x, Tensor) for x in inputs)


def _gradcheck_scalar(
    fn: Callable[..., Value], inputs: Sequence[Value | float], eps: float, atol: float, rtol: float
) -> bool:
    """gradcheck for scalar functions of `Value`s."""
    values = [x if isinstance(x, Value) else Value(x) for x in inputs]
    points = [v.data for v in values]  # where the gradient is checked

    def evaluate(at: list[float]) -> tuple[Value, list[Value]]:
        """fn at the point `at`, on fresh leaves with the inputs' labels."""
        leaves = [Value(x, label=v.label) for x, v in zip(at, values)]
        out = fn(*leaves)
        if not isinstance(out, Value):
            raise TypeError(f"gradcheck: fn must return a Value, got {type(out).__name__}")
        return out, leaves

    out, leaves = evaluate(points)
    out.backward()
    analytic = [leaf.grad for leaf in leaves]

    for index, value in enumerate(values):
        shifted_up, shifted_down = list(points), list(points)
        shifted_up[index] += eps
        shifted_down[index] -= eps
        numerical = (evaluate(shifted_up)[0].data - evaluate(shifted_down)[0].data) / (2 * eps)
        error = abs(analytic[index] - numerical)
        if not math.isfinite(analytic[index]) or not error <= atol + rtol * abs(numerical):
            name = f"input {index}" + (f" ({value.label!r})" if value.label else "")
            raise GradcheckError(
                f"gradcheck: gradient of {name} at {points[index]!r} is wrong: "
                f"analytic {analytic[index]!r}, numerical {numerical!r}, "
                f"difference {error:.3g} > atol {atol:g} + rtol {rtol:g} * |numerical|"
            )
    return True
