"""The fixed sinusoidal positional encoding of "Attention Is All You Need" (Vaswani et al., 2017).

Position p gets a vector of C numbers, one sine and one cosine per frequency:

    PE[p, 2i]     = sin(p * w_i)
    PE[p, 2i + 1] = cos(p * w_i),       w_i = base^(-2i / C),  i = 0 .. C/2 - 1

so the pair (2i, 2i+1) is a point on a circle turning at frequency w_i: from the fastest (one radian per
position) to the slowest (a full turn in about 2*pi*base positions). Moving k positions on turns every
pair by the angle k * w_i, a rotation that does not depend on p, so PE[p + k] = R(k) PE[p] and the dot
product PE[p] . PE[p + k] = sum_i cos(k * w_i) depends on the distance k only. Nothing is learned: the
table is a buffer, not a parameter, and it has a row for any position, even beyond the ones trained on.
"""

from __future__ import annotations

import numpy as np

from tinygrad_edu.nn import functional as F
from tinygrad_edu.nn.module import Module
from tinygrad_edu.tensor import DEFAULT_FLOAT, Tensor


def sinusoidal_encoding(num_positions: int, embedding_dim: int, base: float = 10000.0) -> np.ndarray:
    """The (num_positions, embedding_dim) table above, as a float64 numpy array (embedding_dim even)."""
    if embedding_dim < 2 or embedding_dim % 2:
        raise ValueError(f"sinusoidal_encoding: embedding_dim must be even and >= 2, got {embedding_dim}")
    frequencies = base ** (-np.arange(0, embedding_dim, 2) / embedding_dim)  # (C/2,) the w_i
    angles = np.arange(num_positions)[:, None] * frequencies[None, :]  # (P, C/2)
    table = np.empty((num_positions, embedding_dim))
    table[:, 0::2], table[:, 1::2] = np.sin(angles), np.cos(angles)
    return table


class SinusoidalPositionalEncoding(Module):
    """Looks positions up in the fixed sinusoid table, like `nn.Embedding(num_positions, embedding_dim)`
    does in a learned one, so either can be a model's position embedding. Nothing here is trained."""

    def __init__(self, num_positions: int, embedding_dim: int, base: float = 10000.0, dtype=None) -> None:
        super().__init__()
        self.num_positions, self.embedding_dim, self.base = num_positions, embedding_dim, base
        table = sinusoidal_encoding(num_positions, embedding_dim, base).astype(
            np.dtype(dtype or DEFAULT_FLOAT)
        )
        # not persistent: a checkpoint need not carry what the formula rebuilds
        self.register_buffer("weight", Tensor._wrap(table), persistent=False)

    def forward(self, positions: Tensor) -> Tensor:
        return F.embedding(positions, self.weight)

    def extra_repr(self) -> str:
        return f"{self.num_positions}, {self.embedding_dim}, base={self.base:g}"
