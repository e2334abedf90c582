"""`tinygrad_edu.nn.functional` (import as F): the torch-shaped functions layers and models call.

Most are compositions of the primitive ops, so their gradients need no extra code: cross_entropy is
log_softmax, then picking each row's target entry, then a mean.
"""

from __future__ import annotations

import numpy as np

from tinygrad_edu.creation import _generator
from tinygrad_edu.ops import activation as A
from tinygrad_edu.ops import linalg as L
from tinygrad_edu.ops import normalization as N
from tinygrad_edu.tensor import Tensor, int64

_REDUCTIONS = ("mean", "sum", "none")


IGNORE_INDEX = -100  # targets equal to this are left out of a loss (torch's ignore_index default)


def _check_reduction(reduction: str, op: str) -> None:
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{op}: reduction must be one of {_REDUCTIONS}, not {reduction!r}")


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
    return L.Linear.apply(input, weight, bias)  # one op: x @ W.T with the bias added in place


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
    return N.LayerNorm.apply(input, weight, bias, dims, eps)


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
    output = N.LayerNorm.apply(grouped, None, None, (2,), eps).reshape(*input.shape)
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
    count = int(np.prod([input.shape[d] for d in dims]))
    if training:
        if count <= 1:
            raise ValueError(
                f"batch_norm: expected more than 1 value per channel when training, got input {tuple(input.shape)}"
            )
        if running_mean is not None and running_var is not None:
            # move the running estimates towards this batch's statistics (unbiased variance, as torch)
            data = input.data
            running_mean.data[...] = (1 - momentum) * running_mean.data + momentum * data.mean(axis=dims)
            running_var.data[...] = (1 - momentum) * running_var.data + momentum * data.var(axis=dims, ddof=1)
            running_mean._version += 1
            running_var._version += 1
        # one fused op (tinygrad_edu/ops/normalization.py), like layer_norm, over the batch dimensions
        return N.BatchNorm.apply(input, weight, bias, dims, eps)
    if running_mean is None or running_var is None:
        raise ValueError("batch_norm: evaluation mode needs running_mean and running_var")
    output = (input - running_mean.reshape(channel_shape)) / (running_var.reshape(channel_shape) + eps).sqrt()
    if weight is not None:
        output = output * weight.reshape(channel_shape)
    if bias is not None:
        output = output + bias.reshape(channel_shape)
    return output


# ------------------------------------------------------------------------------------------------
# losses


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    ids = tensor.data if isinstance(tensor, Tensor) else np.asarray(tensor)
    if ids.dtype.kind not in "iu":
        raise TypeError(f"one_hot: expects an integer tensor, not {ids.dtype}")
    if num_classes < 0:
        num_classes = int(ids.max()) + 1 if ids.size else 0
    if ids.size and (ids.min() < 0 or ids.max() >= num_classes):
        raise IndexError(f"one_hot: class values must be in [0, {num_classes}), got {ids.min()}..{ids.max()}")
    return Tensor._wrap((ids[..., None] == np.arange(num_classes)).astype(int64))


def _classes_last(log_probs: Tensor) -> Tensor:
    """(N, C, d1, ...) -> (N * d1 * ..., C); (N, C) and (C,) -> (N, C) and (1, C)."""
    if log_probs.ndim == 1:
        return log_probs.reshape(1, -1)
    if log_probs.ndim == 2:
        return log_probs
    if log_probs.ndim > 2:
        log_probs = log_probs.permute(0, *range(2, log_probs.ndim), 1)
    return log_probs.reshape(-1, log_probs.shape[-1])


def nll_loss(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    ignore_index: int = IGNORE_INDEX,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Tensor:
    """Negative log-likelihood of `target` class indices under log-probabilities `input`.

    input: (C,), (N, C) or (N, C, d1, ...) with classes on dim 1; target: (), (N) or (N, d1, ...).
    Targets equal to `ignore_index` contribute nothing and are left out of the mean's denominator.
    """
    _check_reduction(reduction, "nll_loss")
    targets = target.data if isinstance(target, Tensor) else np.asarray(target)
    if targets.dtype.kind not in "iu":
        raise TypeError(f"nll_loss: class-index targets must be integers (int64), not {targets.dtype}")
    expected = input.shape[:1] + input.shape[2:] if input.ndim >= 2 else ()
    if tuple(targets.shape) != tuple(expected):
        raise ValueError(
            f"nll_loss: input of shape {tuple(input.shape)} needs a target of shape {expected}, got {tuple(targets.shape)}"
        )
    rows = _classes_last(input)  # (M, C)
    num_classes = rows.shape[1]
    flat_targets = targets.reshape(-1)
    kept = flat_targets != ignore_index
    kept_targets = flat_targets[kept]
    if kept_targets.size and (kept_targets.min() < 0 or kept_targets.max() >= num_classes):
        bad = kept_targets.min() if kept_targets.min() < 0 else kept_targets.max()
        raise IndexError(f"nll_loss: target {bad} is out of range for {num_classes} classes")
    kept_rows = np.flatnonzero(kept)

    if weight is None and label_smoothing == 0.0 and reduction != "none":
        # the common case, kept short: pick log p(target) of every kept row and average
        picked = rows[kept_rows, kept_targets]
        total = picked.sum()
        if reduction == "sum":
            return -total
        return total * (-1.0 / kept_rows.size if kept_rows.size else float("nan"))  # torch: nan if none kept

    class_weight = (
        np.ones(num_classes, dtype=input.dtype) if weight is None else weight.data.astype(input.dtype)
    )
    row_weight = np.zeros(flat_targets.shape, dtype=input.dtype)
    row_weight[kept_rows] = class_weight[kept_targets]
    safe_targets = np.where(kept, flat_targets, 0)
    losses = -rows[np.arange(rows.shape[0]), safe_targets] * Tensor._wrap(row_weight)
    if label_smoothing > 0.0:
        # part of the target mass is spread evenly over all classes
        smooth = -(rows * Tensor._wrap(class_weight)).sum(dim=1) * Tensor._wrap(kept.astype(input.dtype))
        losses = (1.0 - label_smoothing) * losses + (label_smoothing / num_classes) * smooth
    if reduction == "none":
        return losses.reshape(targets.shape)
    if reduction == "sum":
        return losses.sum()
    total_weight = float(row_weight.sum())
    return losses.sum() * (1.0 / total_weight if total_weight else float("nan"))  # torch: nan if none kept


def cross_entropy(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    ignore_index: int = IGNORE_INDEX,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Tensor:
    """Cross entropy between logits `input` and `target`, as torch.nn.functional.cross_entropy.

    Classes are on dim 1 ((N, C) or (N, C, d1, ...)) or dim 0 for an unbatched (C,) input. `target` is
    class indices (integers; `ignore_index` entries are skipped) or class probabilities (floats, same
    shape as input). `label_smoothing` mixes the target with the uniform distribution.
    """
    _check_reduction(reduction, "cross_entropy")
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must be in [0, 1], got {label_smoothing}")
    if input.ndim == 0:
        raise ValueError("cross_entropy: input must have a class dimension, got a 0-d tensor")
    class_dim = 0 if input.ndim == 1 else 1
    log_probs = input.log_softmax(class_dim)
    target_data = target.data if isinstance(target, Tensor) else np.asarray(target)
    if target_data.dtype.kind != "f":
        return nll_loss(log_probs, target, weight, ignore_index, reduction, label_smoothing)

    # probabilities as targets
    if tuple(target_data.shape) != tuple(input.shape):
        raise ValueError(
            f"cross_entropy: probability targets must have the input's shape {tuple(input.shape)}, got {tuple(target_data.shape)}"
        )
    probs = target if isinstance(target, Tensor) else Tensor._wrap(target_data)
    num_classes = input.shape[class_dim]
    if label_smoothing > 0.0:
        probs = probs * (1.0 - label_smoothing) + label_smoothing / num_classes
    weighted = log_probs * probs
    if weight is not None:
        weighted = weighted * weight.reshape((-1,) + (1,) * (input.ndim - class_dim - 1))
    losses = -weighted.sum(dim=class_dim)
    if reduction == "none":
        return losses
    if reduction == "sum":
        return losses.sum()
    return losses.sum() * (1.0 / max(1, losses.data.size))


def fused_cross_entropy(
    input: Tensor, target: Tensor, ignore_index: int = IGNORE_INDEX, reduction: str = "mean"
) -> Tensor:
    """`cross_entropy` for (N, C) logits and N class indices, computed as one op: the same value and
    gradient, in about three passes over the logits instead of ten and with one saved array instead
    of four. Use it where the logits are large (a language model's (tokens, vocabulary) head); the
    composite `cross_entropy` draws as log_softmax -> pick -> mean, which is better for learning."""
    if reduction not in ("mean", "sum"):
        raise ValueError(f"fused_cross_entropy: reduction must be 'mean' or 'sum', not {reduction!r}")
    targets = target.data if isinstance(target, Tensor) else np.asarray(target)
    if input.ndim != 2 or targets.dtype.kind not in "iu":
        raise ValueError(
            f"fused_cross_entropy: expects (N, C) logits and N integer class indices, got input "
            f"{tuple(input.shape)} and target {tuple(targets.shape)} {targets.dtype}"
        )
    if targets.shape != input.shape[:1]:
        raise ValueError(
            f"nll_loss: input of shape {tuple(input.shape)} needs a target of shape {input.shape[:1]}, "
            f"got {tuple(targets.shape)}"
        )
    kept_rows = np.flatnonzero(targets != ignore_index)
    kept_targets = targets[kept_rows]
    num_classes = input.shape[1]
    if kept_targets.size and (kept_targets.min() < 0 or kept_targets.max() >= num_classes):
        bad = kept_targets.min() if kept_targets.min() < 0 else kept_targets.max()
        raise IndexError(f"nll_loss: target {bad} is out of range for {num_classes} classes")
    if reduction == "sum":
        scale = 1.0
    else:
        scale = 1.0 / kept_rows.size if kept_rows.size else float("nan")  # torch: nan when all ignored
    return A.CrossEntropyRows.apply(input, kept_targets, kept_rows, scale)


def mse_loss(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    _check_reduction(reduction, "mse_loss")
    if isinstance(target, Tensor) and target.shape != input.shape:
        raise ValueError(
            f"mse_loss: input {tuple(input.shape)} and target {tuple(target.shape)} must have the same shape"
        )
    diff = input - target
    squared = diff * diff
    if reduction == "none":
        return squared
    return squared.sum() if reduction == "sum" else squared.mean()


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
