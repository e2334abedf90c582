"""`tinygrad_edu.nn.functional` (import as F): the torch-shaped functions layers and models call.

Most are compositions of the primitive ops, so their gradients need no extra code. The losses
(cross_entropy, nll_loss, mse_loss, one_hot) are in `losses.py` and reached from here as `F.*`.
"""

from __future__ import annotations

import numpy as np

from tinygrad_edu.nn.losses import (  # noqa: F401  (F.cross_entropy and the other losses live there)
    IGNORE_INDEX,
    cross_entropy,
    fused_cross_entropy,
    mse_loss,
    nll_loss,
    one_hot,
)
from tinygrad_edu.ops import linalg, normalization
from tinygrad_edu.ops.common import sum_over
from tinygrad_edu.tensor.random import _generator
from tinygrad_edu.tensor.tensor import Tensor

# ------------------------------------------------------------------------------------------------
# activations


def relu(input: Tensor) -> Tensor:
    return input.relu()


def tanh(input: Tensor) -> Tensor:
    return input.tanh()


def sigmoid(input: Tensor) -> Tensor:
    return input.sigmoid()


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    return input.gelu(approximate=approximate)


def softmax(input: Tensor, dim: int) -> Tensor:
    return input.softmax(dim)


def log_softmax(input: Tensor, dim: int) -> Tensor:
    return input.log_softmax(dim)


# ------------------------------------------------------------------------------------------------
# layers as functions


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """input @ weight.T + bias, with weight stored (out_features, in_features) as in torch."""
    if input.shape[-1] != weight.shape[-1]:
        raise ValueError(
            f"linear: input has {input.shape[-1]} features (shape {tuple(input.shape)}) but the weight "
            f"expects {weight.shape[-1]} (weight shape {tuple(weight.shape)})"
        )
    return linalg.Linear.apply(input, weight, bias)  # one op: x @ W.T with the bias added in place


def embedding(input: Tensor, weight: Tensor) -> Tensor:
    """Rows of `weight` picked by the integer ids in `input`: shape input.shape + (embedding_dim,).
    Its gradient is a scatter-add: docs/derivations.md#embedding"""
    ids = input.data if isinstance(input, Tensor) else np.asarray(input)
    if ids.dtype.kind not in "iu":
        raise TypeError(f"embedding: indices must be integers, not {ids.dtype}")
    rows = weight.shape[0]
    if ids.size and (ids.min() < 0 or ids.max() >= rows):
        bad = ids.min() if ids.min() < 0 else ids.max()
        raise IndexError(f"embedding: index {bad} is out of range for an embedding with {rows} rows")
    return weight[ids]


def dropout(input: Tensor, p: float = 0.5, training: bool = True, generator=None) -> Tensor:
    """Zero each element with probability p and scale the rest by 1/(1-p), so the expectation is kept."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout: p must be between 0 and 1, got {p}")
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return input * 0.0
    keep = _generator(generator).random(input.shape) >= p
    return input * Tensor._wrap((keep / (1.0 - p)).astype(input.dtype))


def layer_norm(
    input: Tensor,
    normalized_shape,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise over the last len(normalized_shape) dimensions: (x - mean) / sqrt(var + eps).
    Derivation: docs/derivations.md#layernorm-and-groupnorm"""
    normalized_shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    if tuple(input.shape[-len(normalized_shape) :]) != normalized_shape:
        raise ValueError(
            f"layer_norm: input of shape {tuple(input.shape)} does not end with normalized_shape {normalized_shape}"
        )
    dims = tuple(range(input.ndim - len(normalized_shape), input.ndim))
    # one fused op (tinygrad_edu/ops/normalization.py): the composite (x - mean) / sqrt(var + eps) *
    # weight + bias costs ten full-size arrays forward and twenty backward
    return normalization.LayerNorm.apply(input, weight, bias, dims, eps)


def group_norm(
    input: Tensor,
    num_groups: int,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Split the C channels (dim 1) of each sample into `num_groups` groups and normalise each group
    over its channels and positions; then scale and shift per channel. One group: every channel and
    position of a sample together (LayerNorm over (C, *)); C groups: each channel alone (InstanceNorm).
    Derivation: docs/derivations.md#layernorm-and-groupnorm"""
    if input.ndim < 2 or input.shape[1] % num_groups:
        raise ValueError(
            f"group_norm: expected an input (N, C, *) with C divisible by num_groups={num_groups}, "
            f"got shape {tuple(input.shape)}"
        )
    batch, channels = input.shape[0], input.shape[1]
    grouped = input.reshape(batch, num_groups, -1)  # each row: one group's channels and positions
    output = normalization.LayerNorm.apply(grouped, None, None, (2,), eps).reshape(*input.shape)
    channel_shape = (1, channels) + (1,) * (input.ndim - 2)
    if weight is not None:
        output = output * weight.reshape(channel_shape)
    if bias is not None:
        output = output + bias.reshape(channel_shape)
    return output


def batch_norm(
    input: Tensor,
    running_mean: Tensor | None,
    running_var: Tensor | None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise each channel (dim 1) over the batch (and length) dimensions.

    Training uses the batch's statistics and moves the running estimates towards them (the running
    variance is the unbiased one, as torch); evaluation uses the running estimates.
    """
    if input.ndim not in (2, 3):
        raise ValueError(f"batch_norm: expected a (N, C) or (N, C, L) input, got shape {tuple(input.shape)}")
    dims = (0,) if input.ndim == 2 else (0, 2)
    channel_shape = (1, input.shape[1]) + (1,) * (input.ndim - 2)
    count = input.shape[0] * (input.shape[2] if input.ndim == 3 else 1)
    if training:
        if count <= 1:
            raise ValueError(
                f"batch_norm: expected more than 1 value per channel when training, got input {tuple(input.shape)}"
            )
        statistics = None
        if running_mean is not None and running_var is not None:
            # move the running estimates towards this batch's statistics (unbiased variance, as torch);
            # the op reuses the centered input and the variance instead of computing them again
            data = input.data
            batch_mean = sum_over(data, dims, True)  # BLAS sums over the batch rows
            batch_mean *= 1.0 / count
            centered = data - batch_mean
            batch_var = sum_over(np.square(centered), dims, True)
            batch_var *= 1.0 / count
            statistics = (centered, batch_var)
            mean, var = running_mean._inplace("batch_norm"), running_var._inplace("batch_norm")
            mean *= 1 - momentum
            mean += momentum * batch_mean.reshape(-1)
            var *= 1 - momentum
            var += (momentum * count / (count - 1)) * batch_var.reshape(-1)
        # one fused op (tinygrad_edu/ops/normalization.py), like layer_norm, over the batch dimensions
        return normalization.BatchNorm.apply(input, weight, bias, dims, eps, statistics)
    if running_mean is None or running_var is None:
        raise ValueError("batch_norm: evaluation mode needs running_mean and running_var")
    output = (input - running_mean.reshape(channel_shape)) / (running_var.reshape(channel_shape) + eps).sqrt()
    if weight is not None:
        output = output * weight.reshape(channel_shape)
    if bias is not None:
        output = output + bias.reshape(channel_shape)
    return output


# ------------------------------------------------------------------------------------------------
# attention


def scaled_dot_product_attention(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    attn_mask: Tensor | None = None,
    dropout_p: float = 0.0,
    is_causal: bool = False,
    scale: float | None = None,
    enable_gqa: bool = False,
) -> Tensor:
    """softmax(Q K^T * scale + mask) V over the last two dimensions, as torch's function (which
    returns only the result; `tg.nn.scaled_dot_product_attention` also returns the probabilities).

    scale defaults to 1/sqrt(D). attn_mask: bool (True where attending is allowed) or additive floats.
    is_causal: query i sees keys 0..i only. dropout_p is applied to the probabilities whenever it is
    positive (pass `p if self.training else 0.0`, as with torch).
    """
    if is_causal and attn_mask is not None:
        raise ValueError("scaled_dot_product_attention: pass either attn_mask or is_causal=True, not both")
    if enable_gqa:
        raise NotImplementedError("scaled_dot_product_attention: enable_gqa is not supported")
    if query.shape[-1] != key.shape[-1] or key.shape[-2] != value.shape[-2]:
        raise ValueError(
            f"scaled_dot_product_attention: query {tuple(query.shape)}, key {tuple(key.shape)} and value "
            f"{tuple(value.shape)} do not fit together"
        )
    scale = 1.0 / np.sqrt(query.shape[-1]) if scale is None else scale
    scores = (query @ key.transpose(-2, -1)) * float(scale)
    target, source = query.shape[-2], key.shape[-2]
    if is_causal:
        allowed = np.tril(np.ones((target, source), dtype=bool))
        scores = scores.masked_fill(Tensor._wrap(~allowed), float("-inf"))
    elif attn_mask is not None:
        if attn_mask.dtype == np.bool_:
            scores = scores.masked_fill(~attn_mask, float("-inf"))
        else:
            scores = scores + attn_mask
    probs = scores.softmax(dim=-1)
    return dropout(probs, dropout_p, training=dropout_p > 0.0) @ value
