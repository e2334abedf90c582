"""Autograd: `TensorBase` (what autograd needs of a tensor), the `Function` mechanism and the graph's
nodes, the backward engine, grad modes and anomaly detection. It imports nothing from the op or tensor
layers above it.

Mirrors `torch.autograd`: `Function`, `grad`, `no_grad`, `enable_grad`, `set_grad_enabled`,
`detect_anomaly`.
"""

from tinygrad_edu.autograd.anomaly import detect_anomaly
from tinygrad_edu.autograd.engine import backward, grad
from tinygrad_edu.autograd.function import Function
from tinygrad_edu.autograd.tensor_base import AccumulateGrad
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
