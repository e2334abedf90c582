"""`tinygrad_edu.utils`, as `torch.utils`: `data` (Dataset, DataLoader, samplers)."""

from tinygrad_edu.utils import data

__all__ = ["data"]
