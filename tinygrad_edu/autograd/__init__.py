"""Autograd: the `Function` mechanism, the backward engine, grad modes and anomaly detection.

Mirrors `torch.autograd`: `Function`, `grad`, `no_grad`, `enable_grad`, `set_grad_enabled`,
`detect_anomaly`.
"""

from tinygrad_edu.autograd.anomaly import detect_anomaly
from tinygrad_edu.autograd.engine import backward, grad
from tinygrad_edu.autograd.function import AccumulateGrad, Function
from tinygrad_edu.autograd.grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
)

__all__ = [
    "AccumulateGrad",
    "Function",
    "backward",
    "detect_anomaly",
    "enable_grad",
    "grad",
    "inference_mode",
    "is_grad_enabled",
    "no_grad",
    "set_grad_enabled",
]
