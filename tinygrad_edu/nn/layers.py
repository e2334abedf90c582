"""The layers: Linear, Embedding, LayerNorm, BatchNorm1d, Dropout, activations, Identity, Flatten.

Each layer owns its Parameters (and buffers), initialises them as torch does, and calls the matching
function of `tinygrad_edu.nn.functional` in `forward`. Every constructor takes `dtype=None` (float32)
and `generator=None` (a seeded `tg.Generator` for reproducible initial weights).
"""

from __future__ import annotations

import math

import numpy as np

import tinygrad_edu.nn.functional as F
import tinygrad_edu.nn.init as init
from tinygrad_edu.nn.module import Module
from tinygrad_edu.nn.parameter import Parameter
from tinygrad_edu.tensor import DEFAULT_FLOAT, Tensor


def _empty(shape: tuple, dtype) -> Parameter:
    dtype = np.dtype(dtype or DEFAULT_FLOAT)
    if dtype.kind != "f":
        raise TypeError(f"layer parameters must have a floating dtype, not {dtype}")
    return Parameter(Tensor._wrap(np.zeros(shape, dtype=dtype)))


class Linear(Module):
    """y = x @ W^T + b, with W of shape (out_features, in_features) as in torch.

    Initialised as torch: kaiming_uniform with a = sqrt(5), which works out to U(-1/sqrt(in), 1/sqrt(in))
    for the weight, and the same bound for the bias.
    """

    def __init__(
        self, in_features: int, out_features: int, bias: bool = True, dtype=None, generator=None
    ) -> None:
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        self.weight = _empty((out_features, in_features), dtype)
        self.bias = _empty((out_features,), dtype) if bias else None
        if not bias:
            self.register_parameter("bias", None)
        self.reset_parameters(generator)

    def reset_parameters(self, generator=None) -> None:
        init.kaiming_uniform_(self.weight, a=math.sqrt(5), generator=generator)
        if self.bias is not None:
            bound = 1 / math.sqrt(self.in_features) if self.in_features > 0 else 0
            init.uniform_(self.bias, -bound, bound, generator=generator)

    def forward(self, input: Tensor) -> Tensor:
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"
        )


class Embedding(Module):
    """A lookup table: row i of `weight` (num_embeddings, embedding_dim) is the vector of index i."""

    def __init__(self, num_embeddings: int, embedding_dim: int, dtype=None, generator=None) -> None:
        super().__init__()
        self.num_embeddings = num_embeddings
        self.embedding_dim = embedding_dim
        self.weight = _empty((num_embeddings, embedding_dim), dtype)
        self.reset_parameters(generator)

    def reset_parameters(self, generator=None) -> None:
        init.normal_(self.weight, generator=generator)

    def forward(self, input: Tensor) -> Tensor:
        return F.embedding(input, self.weight)

    def extra_repr(self) -> str:
        return f"{self.num_embeddings}, {self.embedding_dim}"


class LayerNorm(Module):
    """Normalise over the last dimensions (`normalized_shape`) of each sample, then scale and shift."""

    def __init__(
        self,
        normalized_shape,
        eps: float = 1e-5,
        elementwise_affine: bool = True,
        bias: bool = True,
        dtype=None,
        generator=None,
    ) -> None:
        super().__init__()
        if isinstance(normalized_shape, int):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        self.weight = init.ones_(_empty(self.normalized_shape, dtype)) if elementwise_affine else None
        self.bias = init.zeros_(_empty(self.normalized_shape, dtype)) if elementwise_affine and bias else None
        for name in ("weight", "bias"):
            if getattr(self, name) is None:
                self.register_parameter(name, None)

    def forward(self, input: Tensor) -> Tensor:
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (
            f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}, "
            f"bias={self.bias is not None}"
        )


class GroupNorm(Module):
    """Normalise each sample's channels (dim 1 of (N, C, *)) in `num_groups` groups, then scale and shift
    per channel. Unlike BatchNorm it never looks at the other samples of the batch, so train and eval
    modes agree. `GroupNorm(1, C)`: all channels together (LayerNorm-like); `GroupNorm(C, C)`: InstanceNorm.
    """

    def __init__(
        self, num_groups: int, num_channels: int, eps: float = 1e-5, affine: bool = True, dtype=None
    ) -> None:
        super().__init__()
        if num_channels % num_groups:
            raise ValueError(
                f"GroupNorm: num_channels={num_channels} is not divisible by num_groups={num_groups}"
            )
        self.num_groups, self.num_channels, self.eps, self.affine = num_groups, num_channels, eps, affine
        self.weight = init.ones_(_empty((num_channels,), dtype)) if affine else None
        self.bias = init.zeros_(_empty((num_channels,), dtype)) if affine else None
        if not affine:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def forward(self, input: Tensor) -> Tensor:
        return F.group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}"


class BatchNorm1d(Module):
    """Normalise each feature (channel C) over the batch, for inputs (N, C) or (N, C, L).

    In training mode it uses the batch's statistics and updates the running estimates
        running = (1 - momentum) * running + momentum * batch_statistic
    (the running variance uses the unbiased batch variance, as torch); in eval mode it uses the running
    estimates. `momentum=None` gives a cumulative average over `num_batches_tracked` batches.
    """

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        bias: bool = True,
        dtype=None,
        generator=None,
    ) -> None:
        super().__init__()
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        self.weight = init.ones_(_empty((num_features,), dtype)) if affine else None
        self.bias = init.zeros_(_empty((num_features,), dtype)) if affine and bias else None
        for name in ("weight", "bias"):
            if getattr(self, name) is None:
                self.register_parameter(name, None)
        if track_running_stats:
            float_dtype = np.dtype(dtype or DEFAULT_FLOAT)
            self.register_buffer("running_mean", Tensor._wrap(np.zeros(num_features, dtype=float_dtype)))
            self.register_buffer("running_var", Tensor._wrap(np.ones(num_features, dtype=float_dtype)))
            self.register_buffer("num_batches_tracked", Tensor._wrap(np.zeros((), dtype=np.int64)))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)

    def reset_running_stats(self) -> None:
        if self.track_running_stats:
            self.running_mean.data[...] = 0
            self.running_var.data[...] = 1
            self.num_batches_tracked.data[...] = 0

    def forward(self, input: Tensor) -> Tensor:
        if input.ndim not in (2, 3):
            raise ValueError(
                f"BatchNorm1d: expected 2D or 3D input (N, C) or (N, C, L), got shape {tuple(input.shape)}"
            )
        if input.shape[1] != self.num_features:
            raise ValueError(
                f"BatchNorm1d: input of shape {tuple(input.shape)} has {input.shape[1]} channels, "
                f"expected {self.num_features}"
            )
        momentum, training = self.momentum, self.training
        running_mean, running_var = self.running_mean, self.running_var  # each looked up once
        if training and self.track_running_stats:
            tracked = self.num_batches_tracked.data
            tracked += 1
            if momentum is None:
                momentum = 1.0 / float(tracked)
        momentum = 0.0 if momentum is None else momentum
        use_batch_stats = training or running_mean is None
        # running statistics are updated only in training with tracking on, and used only in eval
        track = not training or self.track_running_stats
        return F.batch_norm(
            input,
            running_mean if track else None,
            running_var if track else None,
            self.weight,
            self.bias,
            use_batch_stats,
            momentum,
            self.eps,
        )

    def extra_repr(self) -> str:
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
            f"bias={self.bias is not None}, track_running_stats={self.track_running_stats}"
        )


class Dropout(Module):
    """In training, zero each element with probability p and scale the rest by 1/(1-p); identity in eval."""

    def __init__(self, p: float = 0.5, inplace: bool = False, generator=None) -> None:
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"Dropout: probability has to be between 0 and 1, but got {p}")
        if inplace:  # torch's flag, kept in the signature: here every op makes a new array
            raise ValueError("Dropout: inplace=True is not supported; dropout returns a new tensor")
        self.p = p
        self.generator = generator

    def forward(self, input: Tensor) -> Tensor:
        return F.dropout(input, self.p, self.training, generator=self.generator)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace=False"


class ReLU(Module):
    def forward(self, input: Tensor) -> Tensor:
        return F.relu(input)


class Tanh(Module):
    def forward(self, input: Tensor) -> Tensor:
        return F.tanh(input)


class Sigmoid(Module):
    def forward(self, input: Tensor) -> Tensor:
        return input.sigmoid()


class GELU(Module):
    """x * Phi(x), exact (`approximate='none'`) or with the tanh approximation (`'tanh'`)."""

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', not {approximate!r}")
        self.approximate = approximate

    def forward(self, input: Tensor) -> Tensor:
        return F.gelu(input, approximate=self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class Softmax(Module):
    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        if self.dim is None:
            raise ValueError(
                "Softmax: construct it with the dimension to normalise over, e.g. Softmax(dim=-1)"
            )
        return F.softmax(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Identity(Module):
    """Returns its input; accepts and ignores any constructor arguments, as torch's."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__()

    def forward(self, input: Tensor) -> Tensor:
        return input


class Flatten(Module):
    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, input: Tensor) -> Tensor:
        return input.flatten(self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"
