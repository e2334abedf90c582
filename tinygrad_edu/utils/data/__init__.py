"""`tinygrad_edu.utils.data`, as `torch.utils.data`: a `Dataset` says how many samples there are and
how to get sample i; a sampler says in which order to visit them; a `DataLoader` walks the sampler,
groups samples into batches and stacks each batch into tensors with `collate_fn`.

    loader = DataLoader(TensorDataset(X, Y), batch_size=32, shuffle=True)
    for xb, yb in loader:
        ...
"""

from tinygrad_edu.utils.data.dataloader import DataLoader, default_collate
from tinygrad_edu.utils.data.dataset import Dataset, Subset, TensorDataset
from tinygrad_edu.utils.data.sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler

__all__ = [
    "BatchSampler",
    "DataLoader",
    "Dataset",
    "RandomSampler",
    "Sampler",
    "SequentialSampler",
    "Subset",
    "TensorDataset",
    "default_collate",
]
