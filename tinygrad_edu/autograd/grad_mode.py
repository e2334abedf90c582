"""Whether operations record a graph for backpropagation: `no_grad`, `enable_grad`, `set_grad_enabled`.

The state is one flag read by every `Function.apply`. Inference, optimizer updates and the backward
pass itself (unless `create_graph=True`) run with it off, so they build no graph and cost nothing extra.
"""

from __future__ import annotations

import contextlib


class _GradState:
    __slots__ = ("enabled",)

    def __init__(self) -> None:
        self.enabled = True


GRAD_STATE = _GradState()


def is_grad_enabled() -> bool:
    """True when new operations are recorded for backward."""
    return GRAD_STATE.enabled


class set_grad_enabled(contextlib.ContextDecorator):
    """Turn graph recording on or off, as a context manager or a decorator (like torch's)."""

    def __init__(self, mode: bool) -> None:
        self.mode = bool(mode)
        self._previous: list[bool] = []

    def __enter__(self) -> set_grad_enabled:
        self._previous.append(GRAD_STATE.enabled)
        GRAD_STATE.enabled = self.mode
        return self

    def __exit__(self, *exc_info) -> None:
        GRAD_STATE.enabled = self._previous.pop()


class no_grad(set_grad_enabled):
    """`with no_grad():` or `@no_grad()`: operations inside build no graph (inference, weight updates)."""

    def __init__(self) -> None:
        super().__init__(False)


class enable_grad(set_grad_enabled):
    """Turn recording back on inside a `no_grad` region."""

    def __init__(self) -> None:
        super().__init__(True)


class inference_mode(set_grad_enabled):
    """`with inference_mode():` or `@inference_mode()`: no graph is recorded, as under no_grad (torch
    also skips its version counting for speed; this core has nothing to gain from that).
    `inference_mode(False)` leaves the grad mode as it is."""

    def __init__(self, mode: bool = True) -> None:
        super().__init__(False)
        self.active = bool(mode)

    def __enter__(self) -> inference_mode:
        self._previous.append(GRAD_STATE.enabled)
        if self.active:
            GRAD_STATE.enabled = False
        return self
