"""`torch.nn.parallel`: DistributedDataParallel exists so the import works; wrapping a model in it
raises one clear error, since tinygrad_edu trains in one process."""

from __future__ import annotations


class DistributedDataParallel:
    def __init__(self, module, *args, **kwargs) -> None:
        raise RuntimeError(
            "DistributedDataParallel: tinygrad_edu trains in one process; use the model itself"
        )
