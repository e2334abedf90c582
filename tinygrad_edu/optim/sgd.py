"""Stochastic gradient descent with momentum, dampening, Nesterov momentum and L2 weight decay.

For each parameter p with gradient g (all as torch.optim.SGD):
    g = g + weight_decay * p
    buf = g                                           (first step)
    buf = momentum * buf + (1 - dampening) * g        (later steps)
    g = g + momentum * buf   if nesterov   else   buf
    p = p - lr * g
"""

from __future__ import annotations

import numpy as np

from tinygrad_edu.autograd.grad_mode import no_grad
from tinygrad_edu.optim.optimizer import Optimizer, required
from tinygrad_edu.tensor import Tensor


class SGD(Optimizer):
    def __init__(
        self,
        params,
        lr: float = required,  # type: ignore[assignment]
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
    ) -> None:
        if lr is not required and lr < 0.0:
            raise ValueError(f"SGD: invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"SGD: invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"SGD: invalid weight_decay value: {weight_decay}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("SGD: Nesterov momentum requires a momentum and zero dampening")
        defaults = dict(
            lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay, nesterov=nesterov
        )
        super().__init__(params, defaults)

    @no_grad()
    def step(self) -> None:
        for group in self.param_groups:
            lr, momentum, dampening = group["lr"], group["momentum"], group["dampening"]
            weight_decay, nesterov = group["weight_decay"], group["nesterov"]
            for param in group["params"]:
                if param.grad is None:
                    continue
                grad = param.grad.data
                if weight_decay != 0:
                    grad = grad + weight_decay * param.data
                if momentum != 0:
                    state = self.state.setdefault(param, {})
                    buffer = state.get("momentum_buffer")
                    if buffer is None:
                        buffer = state["momentum_buffer"] = Tensor._wrap(np.array(grad, dtype=param.dtype))
                    else:
                        buffer.data *= momentum
                        buffer.data += (1 - dampening) * grad
                    grad = grad + momentum * buffer.data if nesterov else buffer.data
                param._inplace("SGD.step")[...] -= lr * grad
