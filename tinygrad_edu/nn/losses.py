"""The losses of `tinygrad_edu.nn.functional` (reached as `F.cross_entropy`, `F.nll_loss`, ...).

cross_entropy is log_softmax, then nll_loss (picking each row's target entry and averaging), as in
torch: two nodes in the graph. nll_loss is one op (`ops/loss.py: NllLoss`) for class-index targets
without weights or smoothing, a composition of primitive ops otherwise; `fused_cross_entropy` is the
whole loss as one op, for large logits.
"""

from __future__ import annotations

import numpy as np

from tinygrad_edu.ops import loss
from tinygrad_edu.tensor.tensor import Tensor, int64

IGNORE_INDEX = -100  # targets equal to this are left out of a loss (torch's ignore_index default)
_REDUCTIONS = ("mean", "sum", "none")


def _check_reduction(reduction: str, op: str) -> None:
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{op}: reduction must be one of {_REDUCTIONS}, not {reduction!r}")


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
    low, high = (flat_targets.min(), flat_targets.max()) if flat_targets.size else (0, -1)
    if 0 <= low and high < num_classes and not low <= ignore_index <= high:
        # the common case, told by two reductions: every target in range, none ignored
        kept, kept_targets, kept_rows = None, flat_targets, np.arange(flat_targets.size)
    else:
        kept = flat_targets != ignore_index
        kept_targets = flat_targets[kept]
        if kept_targets.size and (kept_targets.min() < 0 or kept_targets.max() >= num_classes):
            bad = kept_targets.min() if kept_targets.min() < 0 else kept_targets.max()
            raise IndexError(f"nll_loss: target {bad} is out of range for {num_classes} classes")
        kept_rows = np.flatnonzero(kept)

    if weight is None and label_smoothing == 0.0 and reduction != "none":
        # the common case, one op as torch's NllLoss: pick log p(target) of every kept row and average
        scale = 1.0 if reduction == "sum" else 1.0 / kept_rows.size if kept_rows.size else float("nan")
        return loss.NllLoss.apply(rows, kept_rows, kept_targets, scale)  # torch: nan if none kept

    class_weight = (
        np.ones(num_classes, dtype=input.dtype) if weight is None else weight.data.astype(input.dtype)
    )
    row_weight = np.zeros(flat_targets.shape, dtype=input.dtype)
    row_weight[kept_rows] = class_weight[kept_targets]
    if kept is None:
        kept = np.ones(flat_targets.shape, dtype=bool)
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
    gradient, in about three passes over the logits instead of five and with one saved array instead
    of two. Use it where the logits are large (a language model's (tokens, vocabulary) head);
    `cross_entropy` draws as log_softmax -> nll_loss, as torch's does, which is better for learning."""
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
    return loss.CrossEntropyRows.apply(input, kept_targets, kept_rows, scale)


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
