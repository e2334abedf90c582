"""Adam and AdamW: per-parameter step sizes from running estimates of the gradient's first two moments.

For each parameter p with gradient g, at step t (as torch.optim.Adam / AdamW):
    AdamW:  p = p * (1 - lr * weight_decay)          (decoupled weight decay)
    Adam:   g = g + weight_decay * p                 (L2 penalty folded into the gradient)
    m = beta1 * m + (1 - beta1) * g                  (mean of the gradient)
    v = beta2 * v + (1 - beta2) * g^2                (uncentered variance)
    p = p - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
The (1 - beta^t) factors undo the bias of m and v towards their zero starting values.
"""

from __future__ import annotations

import math

import numpy as np

from tinygrad_edu.autograd.grad_mode import no_grad
from tinygrad_edu.optim.optimizer import Optimizer
from tinygrad_edu.tensor import Tensor


class Adam(Optimizer):
    _decoupled_weight_decay = False

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        # foreach/fused/capturable choose among torch's kernels for one update rule; this numpy
        # implementation is that rule, so they are accepted and change nothing
        name = type(self).__name__
        if maximize or differentiable:
            raise NotImplementedError(f"{name}: maximize and differentiable are not supported")
        if lr < 0.0:
            raise ValueError(f"{name}: invalid learning rate: {lr}")
        if eps < 0.0:
            raise ValueError(f"{name}: invalid epsilon value: {eps}")
        for index, beta in enumerate(betas):
            if not 0.0 <= beta < 1.0:
                raise ValueError(f"{name}: invalid beta parameter at index {index}: {beta}")
        if weight_decay < 0.0:
            raise ValueError(f"{name}: invalid weight_decay value: {weight_decay}")
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay, amsgrad=amsgrad)
        super().__init__(params, defaults)

    @no_grad()
    def step(self) -> None:
        for group in self.param_groups:
            lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
            weight_decay, amsgrad = group["weight_decay"], group["amsgrad"]
            for param in group["params"]:
                if param.grad is None:
                    continue
                grad = param.grad.data
                state = self.state.get(param)
                if state is None:
                    state = self.state[param] = {
                        "step": 0,
                        "exp_avg": Tensor._wrap(np.zeros_like(param.data)),
                        "exp_avg_sq": Tensor._wrap(np.zeros_like(param.data)),
                    }
                    if amsgrad:
                        state["max_exp_avg_sq"] = Tensor._wrap(np.zeros_like(param.data))
                state["step"] += 1
                step = state["step"]
                if weight_decay != 0:
                    if self._decoupled_weight_decay:
                        param.data *= 1 - lr * weight_decay
                    else:
                        grad = grad + weight_decay * param.data
                exp_avg, exp_avg_sq = state["exp_avg"].data, state["exp_avg_sq"].data
                exp_avg += (1 - beta1) * (grad - exp_avg)  # lerp towards g, as torch computes it
                exp_avg_sq *= beta2
                exp_avg_sq += (1 - beta2) * (grad * grad)
                if amsgrad:
                    np.maximum(state["max_exp_avg_sq"].data, exp_avg_sq, out=state["max_exp_avg_sq"].data)
                    exp_avg_sq = state["max_exp_avg_sq"].data
                step_size = lr / (1 - beta1**step)
                denom = np.sqrt(exp_avg_sq) / math.sqrt(1 - beta2**step) + eps
                param._inplace("Adam.step")[...] -= step_size * (exp_avg / denom)


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter): the decay shrinks the weights directly
    instead of being added to the gradient, so it is not rescaled by Adam's per-parameter step size.
    The update derived: docs/derivations.md#adamw"""

    _decoupled_weight_decay = True

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        super().__init__(
            params,
            lr,
            betas,
            eps,
            weight_decay,
            amsgrad,
            foreach=foreach,
            maximize=maximize,
            capturable=capturable,
            differentiable=differentiable,
            fused=fused,
        )
