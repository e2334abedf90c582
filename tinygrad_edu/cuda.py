"""`torch.cuda` as a CPU-only build of torch has it: no GPU is available, so `is_available()` is False
and scripts that check it fall back to the CPU. Seeding is accepted and does nothing (as torch does
without CUDA); anything that needs a GPU raises one clear error."""

from __future__ import annotations

import tinygrad_edu.amp as amp


def is_available() -> bool:
    return False


def device_count() -> int:
    return 0


def is_bf16_supported() -> bool:
    return False


def manual_seed(seed: int) -> None:
    """Accepted and ignored: there is no GPU generator to seed."""


def manual_seed_all(seed: int) -> None:
    """Accepted and ignored: there is no GPU generator to seed."""


def synchronize(device=None) -> None:
    raise RuntimeError("cuda.synchronize: no GPU is available; tinygrad_edu runs on the CPU only")


__all__ = ["amp", "device_count", "is_available", "is_bf16_supported", "manual_seed", "manual_seed_all"]
