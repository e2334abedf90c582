"""Anomaly detection: find the first op whose forward output or backward gradient holds NaN.

    with tg.autograd.detect_anomaly():
        loss = model(x)
        loss.backward()

Inside the block every op checks its forward output, records the line of your code that called it
(only in this mode, so normal runs pay nothing), and every backward checks the gradients it returns.
The error names the op and points at that line.
"""

from __future__ import annotations

import contextlib
import os
import traceback

import numpy as np


class _AnomalyState:
    __slots__ = ("enabled", "in_backward")

    def __init__(self) -> None:
        self.enabled = False
        # True while the engine runs backward formulas: a nan made by the ops inside a backward is
        # reported by check_backward as that backward's fault, at the line of its forward
        self.in_backward = False


STATE = _AnomalyState()
_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class detect_anomaly(contextlib.ContextDecorator):
    """Context manager (or decorator) that turns anomaly detection on inside its block."""

    def __init__(self, check_nan: bool = True) -> None:
        self.check_nan = check_nan
        self._previous: list[bool] = []

    def __enter__(self) -> detect_anomaly:
        self._previous.append(STATE.enabled)
        STATE.enabled = self.check_nan
        return self

    def __exit__(self, *exc_info) -> None:
        STATE.enabled = self._previous.pop()


def user_stack() -> list[traceback.FrameSummary]:
    """The call stack without the frames inside tinygrad_edu itself: the learner's own lines."""
    frames = traceback.extract_stack()[:-1]
    return [f for f in frames if not os.path.abspath(f.filename).startswith(_PACKAGE_DIR)]


def _where(stack: list[traceback.FrameSummary] | None) -> str:
    if not stack:
        return "(no user frame recorded)"
    frame = stack[-1]
    return f'File "{frame.filename}", line {frame.lineno}, in {frame.name}\n    {frame.line}'


def _has_nan(array: np.ndarray) -> bool:
    """NaN only, as torch's anomaly mode: -inf is an ordinary value (a masked_fill(mask, -inf) before
    softmax, causal attention), and an inf that matters turns into a NaN a step later."""
    return array.dtype.kind in "fc" and bool(np.isnan(array).any())


def check_forward(ctx, result) -> None:
    if not STATE.in_backward and _has_nan(result.data):
        raise RuntimeError(
            f"detect_anomaly: {ctx.name()} returned nan in its forward output "
            f"(shape {tuple(result.shape)}). The op was called here:\n{_where(user_stack())}"
        )


def check_backward(ctx, grads: tuple) -> None:
    for index, grad in enumerate(grads):
        if grad is None:
            continue
        array = getattr(grad, "data", None)  # a Tensor's array; backward may also return arrays or numbers
        if not isinstance(array, np.ndarray):
            array = np.asarray(grad)
        if _has_nan(array):
            raise RuntimeError(
                f"detect_anomaly: {ctx.name()}Backward returned nan in the gradient of its "
                f"input {index} (shape {tuple(array.shape)}). The forward of this op was called "
                f"here:\n{_where(ctx._forward_stack)}"
            )
