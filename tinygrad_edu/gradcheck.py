"""Gradient checking: compare backward's gradients with finite differences.

If f is smooth, (f(x + eps) - f(x - eps)) / (2 eps) approximates df/dx with an error of order eps^2
(central differences). A gradient that disagrees with it points to a bug in some op's backward.

`gradcheck(fn, inputs)` dispatches on the type of the inputs: `Value`s (the scalar engine) are checked
input by input; for `Tensor`s, for every output `out_k` of `fn` and every input `x_i` that requires
grad, two Jacobians J[a, b] = d out_k[a] / d x_i[b] (rows: output elements, columns: input elements)
are built:

- numerical: central differences, column b = (fn(x + eps e_b) - fn(x - eps e_b)) / (2 eps);
- analytical: row a = the gradient that `autograd.grad` sends back from the one-hot vector e_a.

They must agree to `allclose(analytical, numerical, rtol, atol)`. Finite differences lose about half
the digits of the number type, so the tensor check runs in float64 only.

    x = tg.randn(3, 4, dtype=tg.float64, requires_grad=True)
    tg.gradcheck(lambda t: (t * t).tanh().sum(dim=1), (x,))     # True, or a GradcheckError

`gradgradcheck` checks second derivatives the same way: it runs the tensor gradcheck on the function
(inputs, v) -> autograd.grad(fn(inputs), inputs, v, create_graph=True), whose own gradient is
what `backward(create_graph=True)` computes.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from tinygrad_edu.autograd.engine import grad as autograd_grad
from tinygrad_edu.autograd.grad_mode import enable_grad, no_grad
from tinygrad_edu.scalar import Value
from tinygrad_edu.tensor import Tensor

__all__ = ["GradcheckError", "analytical_jacobians", "gradcheck", "gradgradcheck", "numerical_jacobians"]


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
    grad is checked, element by element, for every output; see `_gradcheck_tensor` below.

    Returns True when for each input |analytic - numerical| <= atol + rtol * |numerical|, else raises
    `GradcheckError` naming the input (index and label) and showing both values. Plain numbers among
    `inputs` are turned into `Value`s first.
    """
    if isinstance(inputs, Tensor) or any(isinstance(x, Tensor) for x in inputs):
        return _gradcheck_tensor(fn, inputs, eps, atol, rtol, raise_exception)
    if len(inputs) == 0:
        raise ValueError("gradcheck: no inputs to check")
    if all(isinstance(x, (Value, int, float)) for x in inputs):
        return _gradcheck_scalar(fn, inputs, eps, atol, rtol)
    kinds = ", ".join(sorted({type(x).__name__ for x in inputs}))
    raise TypeError(f"gradcheck: inputs must be Values, Tensors or numbers, got {kinds}")


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


# --------------------------------------------------------------------------------------------------
# Tensor functions


def _as_tuple(value: Any) -> tuple:
    return tuple(value) if isinstance(value, tuple | list) else (value,)


def _differentiable_inputs(inputs: tuple) -> list[int]:
    """Indices of the inputs gradcheck differentiates with respect to; checks they are float64."""
    indices = []
    for index, value in enumerate(inputs):
        if isinstance(value, Tensor) and value.requires_grad:
            if value.dtype != np.float64:
                raise GradcheckError(
                    f"gradcheck: input {index} requires grad but has dtype {value.dtype}; finite differences "
                    "need float64 (make it with dtype=tg.float64, or call .double())"
                )
            indices.append(index)
    if not indices:
        raise GradcheckError("gradcheck: no input requires grad, so there is nothing to check")
    return indices


def _outputs(fn: Callable, inputs: tuple) -> tuple:
    outputs = _as_tuple(fn(*inputs))
    for index, out in enumerate(outputs):
        if not isinstance(out, Tensor):
            raise GradcheckError(f"gradcheck: output {index} of fn is a {type(out).__name__}, not a Tensor")
    return outputs


def _is_differentiable(out: Tensor) -> bool:
    return out.dtype.kind == "f"


def numerical_jacobians(fn: Callable, inputs: tuple, input_indices: Sequence[int], eps: float) -> list[list]:
    """jacobians[k][j]: d out_k / d inputs[input_indices[j]] by central differences, shape
    (out_k.numel(), input.numel()). Each input is nudged in place and restored afterwards."""
    with no_grad():
        outputs = _outputs(fn, inputs)
    jacobians = [[np.zeros((out.numel(), inputs[i].numel())) for i in input_indices] for out in outputs]
    for column, input_index in enumerate(input_indices):
        data = inputs[input_index].data  # nudged in place, so non-contiguous layouts stay as they are
        for flat_index in range(data.size):
            position = np.unravel_index(flat_index, data.shape)
            original = data[position]
            try:
                data[position] = original + eps
                with no_grad():
                    plus = [out.data.astype(np.float64) for out in _outputs(fn, inputs)]
                data[position] = original - eps
                with no_grad():
                    minus = [out.data.astype(np.float64) for out in _outputs(fn, inputs)]
            finally:
                data[position] = original
            for k, (high, low) in enumerate(zip(plus, minus)):
                jacobians[k][column][:, flat_index] = ((high - low) / (2 * eps)).reshape(-1)
    return jacobians


def analytical_jacobians(fn: Callable, inputs: tuple, input_indices: Sequence[int]) -> list[list]:
    """jacobians[k][j]: d out_k / d inputs[input_indices[j]], row a computed by backward from the
    one-hot gradient e_a on out_k (a vector-Jacobian product per output element)."""
    with enable_grad():
        outputs = _outputs(fn, inputs)
    wrt = [inputs[i] for i in input_indices]
    jacobians = []
    for k, out in enumerate(outputs):
        rows = [np.zeros((out.numel(), x.numel())) for x in wrt]
        jacobians.append(rows)
        if not (out.requires_grad and _is_differentiable(out)):
            continue  # a constant output: its Jacobian is zero
        for flat_index in range(out.numel()):
            one_hot = np.zeros(out.numel(), dtype=out.dtype)
            one_hot[flat_index] = 1
            grads = autograd_grad(
                out, wrt, Tensor._wrap(one_hot.reshape(out.shape)), retain_graph=True, allow_unused=True
            )
            for j, (x, g) in enumerate(zip(wrt, grads)):
                if g is None:
                    continue
                if g.shape != x.shape:
                    raise GradcheckError(
                        f"gradcheck: the gradient of output {k} for input {input_indices[j]} has shape "
                        f"{tuple(g.shape)}, but the input has shape {tuple(x.shape)}"
                    )
                if g.dtype != x.dtype:
                    raise GradcheckError(
                        f"gradcheck: the gradient of output {k} for input {input_indices[j]} has dtype "
                        f"{g.dtype}, but the input is {x.dtype} (backward lost precision)"
                    )
                rows[j][flat_index] = g.data.reshape(-1)
    return jacobians


def _mismatch_message(k: int, i: int, numerical: np.ndarray, analytical: np.ndarray, atol, rtol) -> str:
    excess = np.abs(analytical - numerical) - (atol + rtol * np.abs(numerical))
    excess = np.where(np.isnan(excess), np.inf, excess)
    row, column = np.unravel_index(int(np.argmax(excess)), excess.shape)
    with np.printoptions(precision=6, suppress=True, linewidth=110, threshold=400):
        return (
            f"gradcheck: Jacobian mismatch for output {k} with respect to input {i}.\n"
            f"Worst entry d out[{row}] / d in[{column}]: numerical {numerical[row, column]:.8g}, "
            f"analytical {analytical[row, column]:.8g} (atol={atol}, rtol={rtol}).\n"
            f"Rows are output elements, columns input elements (both flattened).\n"
            f"numerical:\n{numerical}\nanalytical:\n{analytical}"
        )


def _gradcheck_tensor(
    fn: Callable,
    inputs: Any,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
) -> bool:
    """Check `fn`'s backward against central differences for every float64 input requiring grad.

    `fn(*inputs)` returns a Tensor or a tuple of Tensors; inputs that are not Tensors (numbers,
    index arrays) are passed through unchanged. Returns True, or raises `GradcheckError` naming the
    output and input whose Jacobians differ, with both Jacobians (or returns False when
    `raise_exception=False`).
    """
    inputs = _as_tuple(inputs)
    input_indices = _differentiable_inputs(inputs)
    analytical = analytical_jacobians(fn, inputs, input_indices)
    numerical = numerical_jacobians(fn, inputs, input_indices, eps)
    for k, (numerical_row, analytical_row) in enumerate(zip(numerical, analytical)):
        for j, input_index in enumerate(input_indices):
            if not np.allclose(analytical_row[j], numerical_row[j], rtol=rtol, atol=atol):
                if not raise_exception:
                    return False
                raise GradcheckError(
                    _mismatch_message(k, input_index, numerical_row[j], analytical_row[j], atol, rtol)
                )
    return True


def gradgradcheck(
    fn: Callable,
    inputs: Any,
    grad_outputs: Any = None,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
    seed: int = 0,
) -> bool:
    """Check second derivatives: gradcheck of (inputs, v) -> autograd.grad(fn(inputs), inputs, v,
    create_graph=True). `grad_outputs` (the v, one per output of fn) default to random float64
    tensors that require grad, so the check also covers the derivative with respect to v."""
    inputs = _as_tuple(inputs)
    input_indices = _differentiable_inputs(inputs)
    with no_grad():
        outputs = _outputs(fn, inputs)
    differentiable = [k for k, out in enumerate(outputs) if _is_differentiable(out)]
    if grad_outputs is None:
        rng = np.random.default_rng(seed)
        grad_outputs = tuple(
            Tensor(rng.standard_normal(outputs[k].shape), dtype=np.float64, requires_grad=True)
            for k in differentiable
        )
    grad_outputs = _as_tuple(grad_outputs)
    if len(grad_outputs) != len(differentiable):
        raise ValueError(
            f"gradgradcheck: got {len(grad_outputs)} grad_outputs for {len(differentiable)} outputs"
        )
    count = len(inputs)

    def first_derivatives(*args):
        with enable_grad():
            outs = _outputs(fn, args[:count])
            pairs = [(outs[k], v) for k, v in zip(differentiable, args[count:]) if outs[k].requires_grad]
            wrt = [args[i] for i in input_indices]
            if not pairs:
                return tuple(Tensor._wrap(np.zeros(x.shape)) for x in wrt)
            grads = autograd_grad(
                [o for o, _ in pairs], wrt, [v for _, v in pairs], create_graph=True, allow_unused=True
            )
        return tuple(Tensor._wrap(np.zeros(x.shape)) if g is None else g for x, g in zip(wrt, grads))

    return _gradcheck_tensor(first_derivatives, inputs + grad_outputs, eps, atol, rtol, raise_exception)
