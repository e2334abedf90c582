"""`torch.amp` / `torch.cuda.amp` on the CPU: mixed precision is not available here.

`GradScaler` exists so that a training loop written as `scaler.scale(loss).backward();
scaler.step(optimizer); scaler.update()` runs unchanged: it is always disabled (as torch's CUDA
scaler disables itself when no GPU is present), so it passes the loss and the step straight through.
`autocast` with `enabled=False` is a no-op; enabled, it refuses, since nothing here computes in
reduced precision automatically.
"""

from __future__ import annotations

import warnings

from tinygrad_edu.device import check_device


class GradScaler:
    def __init__(
        self,
        device: str = "cuda",
        init_scale: float = 2.0**16,
        growth_factor: float = 2.0,
        backoff_factor: float = 0.5,
        growth_interval: int = 2000,
        enabled: bool = True,
    ) -> None:
        if enabled:
            warnings.warn(
                "GradScaler is enabled, but there is no GPU here: disabling it (no loss scaling)",
                stacklevel=2,
            )

    def is_enabled(self) -> bool:
        return False

    def scale(self, outputs):
        return outputs

    def unscale_(self, optimizer) -> None:
        """Nothing to undo: gradients were never scaled."""

    def step(self, optimizer, *args, **kwargs):
        return optimizer.step(*args, **kwargs)

    def update(self, new_scale=None) -> None:
        """Nothing to update while disabled."""

    def get_scale(self) -> float:
        return 1.0

    def state_dict(self) -> dict:
        return {}

    def load_state_dict(self, state_dict: dict) -> None:
        """A disabled scaler has no state."""


class autocast:
    """`with autocast(device_type, dtype, enabled=False):` changes nothing; enabled it raises."""

    def __init__(
        self, device_type: str = "cpu", dtype=None, enabled: bool = True, cache_enabled=None
    ) -> None:
        check_device(device_type, "autocast")
        if enabled:
            raise RuntimeError(
                "autocast: mixed precision is not supported in tinygrad_edu; use contextlib.nullcontext() "
                "or autocast(..., enabled=False)"
            )

    def __enter__(self) -> autocast:
        return self

    def __exit__(self, *exc_info) -> None:
        return None

    def __call__(self, fn):
        return fn
