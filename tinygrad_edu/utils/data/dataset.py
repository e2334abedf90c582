"""Datasets: anything with `__len__` and `__getitem__(i)` (subclass `Dataset` to say so)."""

from __future__ import annotations

from collections.abc import Sequence

from tinygrad_edu.tensor import Tensor


class Dataset:
    """Base class of map-style datasets: define `__getitem__(index)` and `__len__()`."""

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")


class TensorDataset(Dataset):
    """Sample i is `(t[i] for t in tensors)`; all tensors must have the same first dimension."""

    def __init__(self, *tensors: Tensor) -> None:
        if not tensors:
            raise ValueError("TensorDataset: expected at least one tensor")
        sizes = [t.shape[0] if t.ndim else None for t in tensors]
        if any(size != sizes[0] for size in sizes) or sizes[0] is None:
            raise ValueError(f"TensorDataset: size mismatch between tensors (first dimensions {sizes})")
        self.tensors = tensors

    def __getitem__(self, index):
        return tuple(tensor[index] for tensor in self.tensors)

    def __len__(self) -> int:
        return self.tensors[0].shape[0]


class Subset(Dataset):
    """The samples of `dataset` at `indices`, in that order."""

    def __init__(self, dataset: Dataset, indices: Sequence[int]) -> None:
        self.dataset = dataset
        self.indices = indices

    def __getitem__(self, index):
        return self.dataset[self.indices[index]]

    def __len__(self) -> int:
        return len(self.indices)
