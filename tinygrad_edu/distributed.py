"""`torch.distributed`, as far as a one-process library has it: the names exist so a training script's
imports work, `is_available()` is False, and starting a process group raises one clear error."""

from __future__ import annotations


def is_available() -> bool:
    return False


def is_initialized() -> bool:
    return False


def init_process_group(*args, **kwargs) -> None:
    raise RuntimeError("distributed: tinygrad_edu trains in one process; run the script without torchrun")


def destroy_process_group(*args, **kwargs) -> None:
    raise RuntimeError("distributed: no process group exists; tinygrad_edu trains in one process")
