"""Devices, as a CPU-only build of torch has them: every tensor lives on `device('cpu')`.

Programs written for torch pass `device=` to factories, call `.to(device)` and ask
`torch.cuda.is_available()`; here those calls are accepted for the CPU and refused for anything else
with one clear error, so a script written to fall back to the CPU runs unchanged.
"""

from __future__ import annotations


class device:
    """`tg.device('cpu')`; also accepts 'cpu:0' and another device object. Other types are refused."""

    __slots__ = ("type", "index")

    def __init__(self, type: str | device = "cpu", index: int | None = None) -> None:
        if isinstance(type, device):
            type, index = type.type, type.index
        if not isinstance(type, str):
            raise TypeError(f"device: expected a string like 'cpu', got {type!r}")
        name, _, number = type.partition(":")
        if number:
            index = int(number)
        if name != "cpu":
            raise RuntimeError(
                f"device: {type!r} is not available; tinygrad_edu runs on the CPU only (use 'cpu')"
            )
        self.type = name
        self.index = index

    def __eq__(self, other) -> bool:
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self) -> int:
        return hash((self.type, self.index))

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self) -> str:
        index = "" if self.index is None else f", index={self.index}"
        return f"device(type='{self.type}'{index})"


CPU = device("cpu")


def check_device(requested, op: str) -> device:
    """The device for a `device=` argument: None or anything naming the CPU gives the CPU."""
    if requested is None:
        return CPU
    try:
        return device(requested)
    except RuntimeError:
        raise RuntimeError(
            f"{op}: device {str(requested)!r} is not available; tinygrad_edu runs on the CPU only (use 'cpu')"
        ) from None
