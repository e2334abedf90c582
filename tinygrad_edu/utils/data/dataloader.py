"""`DataLoader`: batches from a dataset, in the sampler's order, stacked by `collate_fn`.

Batches are always made in this process: `num_workers` and `pin_memory` are accepted (so code written
for torch runs) and change nothing but speed there; the batches are the same either way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from tinygrad_edu.tensor import Tensor
from tinygrad_edu.tensor.creation import stack
from tinygrad_edu.utils.data.sampler import BatchSampler, RandomSampler, SequentialSampler


def default_collate(batch: list) -> Any:
    """Stack a list of samples the way torch does: tensors and numpy arrays are stacked along a new
    first dimension; Python ints become an int64 tensor and floats a float64 tensor; tuples and lists
    are collated position by position (and returned as a list), dicts key by key; strings stay a list."""
    elem = batch[0]
    if isinstance(elem, Tensor):
        return stack(batch, 0)
    if isinstance(elem, np.ndarray | np.generic):
        return stack([Tensor._wrap(np.asarray(b)) for b in batch], 0)
    if isinstance(elem, bool | int | float):
        return Tensor._wrap(np.array(batch, dtype=np.float64 if isinstance(elem, float) else None))
    if isinstance(elem, str | bytes):
        return batch
    if isinstance(elem, Mapping):
        return {key: default_collate([sample[key] for sample in batch]) for key in elem}
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # a namedtuple keeps its type
        return type(elem)(*(default_collate(list(field)) for field in zip(*batch)))
    if isinstance(elem, Sequence):
        if any(len(sample) != len(elem) for sample in batch):
            raise RuntimeError("default_collate: each element in list of batch should be of equal size")
        return [default_collate(list(field)) for field in zip(*batch)]
    raise TypeError(
        f"default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {type(elem).__name__}"
    )


class DataLoader:
    def __init__(
        self,
        dataset,
        batch_size: int | None = 1,
        shuffle: bool | None = None,
        sampler=None,
        batch_sampler=None,
        num_workers: int = 0,
        collate_fn: Callable | None = None,
        pin_memory: bool = False,
        drop_last: bool = False,
        timeout: float = 0,
        worker_init_fn: Callable | None = None,
        generator=None,
        *,
        prefetch_factor: int | None = None,
        persistent_workers: bool = False,
    ) -> None:
        if not isinstance(num_workers, int) or num_workers < 0:
            raise ValueError(f"DataLoader: num_workers option should be non-negative, got {num_workers!r}")
        if sampler is not None and shuffle:
            raise ValueError("DataLoader: sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None and (batch_size != 1 or shuffle or sampler is not None or drop_last):
            raise ValueError(
                "DataLoader: batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, and drop_last"
            )
        if sampler is None:
            sampler = RandomSampler(dataset, generator=generator) if shuffle else SequentialSampler(dataset)
        if batch_sampler is None and batch_size is not None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.dataset = dataset
        self.batch_size = (
            batch_size if batch_sampler is None or batch_size is None else batch_sampler.batch_size
        )
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.num_workers = num_workers
        self.pin_memory = pin_memory
        self.collate_fn = (
            collate_fn if collate_fn is not None else (default_collate if batch_sampler else _no_collate)
        )
        self.generator = generator

    def __iter__(self) -> Iterator[Any]:
        if self.batch_sampler is None:
            for index in self.sampler:
                yield self.collate_fn(self.dataset[index])
            return
        for indices in self.batch_sampler:
            yield self.collate_fn([self.dataset[i] for i in indices])

    def __len__(self) -> int:
        return len(self.batch_sampler if self.batch_sampler is not None else self.sampler)


def _no_collate(sample: Any) -> Any:
    """With batch_size=None each sample is returned as it is (numbers and arrays as tensors)."""
    if isinstance(sample, np.ndarray | bool | int | float):
        return Tensor._wrap(np.asarray(sample))
    return sample
