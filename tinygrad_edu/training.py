"""What every training script shares: flags, checkpoints, loss curves, progress bars, evaluation, and
the final JSON line. Written once here and called by `examples/train_*.py` (makemore, GPT, BERT).

A training script built on it reads like this:

    from tinygrad_edu import training

    def main(argv=None):
        parser = training.make_parser(__doc__, steps=200_000, batch_size=32, lr=0.1, out="runs/mlp")
        parser.add_argument("--n-embd", type=int, default=10)       # the model's own flags
        args = parser.parse_args(argv)
        ...                                                         # data, model, optimizer
        curve = training.LossCurve()
        for step in training.progress(args.steps, desc="train_mlp") as bar: ...
        training.save_checkpoint(out / "model.npz", model_type="mlp", config=config,
                                 model=model, tokenizer=tokenizer, metrics=metrics)
        training.plot_curves(out / "loss.png", curve.series(), title="MLP loss")
        training.print_final_json({...})

    if __name__ == "__main__":
        training.run_main(main)

Conventions every script follows (tools and tests rely on them):
- `--help` on every script; bad input ends the script with exit status 1 and ONE line on stderr,
  "error: <message>" (`run_main` does this for ValueError, FileNotFoundError, IndexError, KeyError).
- The checkpoint is one `.npz` file written atomically by `tg.save` (see `save_checkpoint` for its
  layout): `examples/sample.py` and `examples/evaluate.py` rebuild any registered model from it.
- Plots are PNG files written atomically, and their paths are printed.
- The last line a training script prints is one JSON object (`print_final_json`).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

import tinygrad_edu as tg
from tinygrad_edu.files import atomic_write

REPO_ROOT = Path(__file__).resolve().parent.parent
CHECKPOINT_FORMAT = "tinygrad_edu.model"  # the "format" field of a model checkpoint

# ------------------------------------------------------------------------------------------------
# command-line flags


class _HelpFormatter(argparse.RawDescriptionHelpFormatter, argparse.ArgumentDefaultsHelpFormatter):
    """--help keeps the script's docstring as written (its example commands) and shows defaults."""


def make_parser(
    description: str | None,
    *,
    data: str = "data/names.txt",
    steps: int = 1000,
    batch_size: int = 32,
    lr: float = 0.1,
    seed: int = 42,
    out: str = "runs/run",
    eval_interval: int | None = None,
) -> argparse.ArgumentParser:
    """An argparse parser with the flags every training script has; each script passes its own
    defaults and adds its model's flags. Relative paths are taken from the current directory.

    --data PATH, --steps N, --batch-size N, --lr LR, --seed S, --out DIR, --eval-interval N,
    --no-progress (plain log lines instead of a tqdm bar, for logs and CI)."""
    parser = argparse.ArgumentParser(description=description, formatter_class=_HelpFormatter)
    group = parser.add_argument_group("training (common to all scripts)")
    group.add_argument("--data", default=data, help="training text (for names: one word per line)")
    group.add_argument("--steps", type=int, default=steps, help="optimisation steps")
    group.add_argument("--batch-size", type=int, default=batch_size, help="examples per step")
    group.add_argument("--lr", type=float, default=lr, help="learning rate")
    group.add_argument("--seed", type=int, default=seed, help="seed for weights, batches and sampling")
    group.add_argument("--out", default=out, help="output folder for the checkpoint and plots")
    group.add_argument(
        "--eval-interval",
        type=int,
        default=eval_interval if eval_interval is not None else max(1, steps // 10),
        help="evaluate train/val loss every this many steps",
    )
    group.add_argument("--no-progress", action="store_true", help="no progress bar (log lines only)")
    return parser


def check_positive(**values: float) -> None:
    """Raise one ValueError naming the first flag that is not positive: check_positive(steps=args.steps)."""
    for name, value in values.items():
        if value is None or not value > 0:
            raise ValueError(f"--{name.replace('_', '-')} must be positive, got {value}")


def run_main(main: Callable[[], Any]) -> None:
    """Call `main()`; bad input (ValueError, FileNotFoundError, IndexError, KeyError) ends the process
    with exit status 1 and one readable line instead of a traceback."""
    try:
        main()
    except (ValueError, FileNotFoundError, IndexError, KeyError) as error:
        message = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        sys.exit(f"error: {message}")
    except KeyboardInterrupt:
        sys.exit("error: interrupted")


# ------------------------------------------------------------------------------------------------
# atomic files, checkpoints


# `atomic_write` (re-exported here for scripts) lives in tinygrad_edu/files.py


def _plain(config: Any) -> dict:
    """A dataclass config or a dict, as a dict of plain values that `tg.save` stores."""
    if dataclasses.is_dataclass(config) and not isinstance(config, type):
        return dataclasses.asdict(config)
    if isinstance(config, dict):
        return dict(config)
    raise TypeError(f"config must be a dataclass instance or a dict, got {type(config).__name__}")


def save_checkpoint(
    path: str | os.PathLike,
    *,
    model_type: str,
    config: Any,
    model: tg.nn.Module | None = None,
    state_dict: dict | None = None,
    tokenizer: Any = None,
    metrics: dict | None = None,
    extra: dict | None = None,
) -> Path:
    """Write a model checkpoint: one `.npz` file via `tg.save` (atomic: temp file, then rename).

    Layout (a plain nested dict, readable with `tg.load`):
        format      "tinygrad_edu.model"
        model_type  the name the model is registered under in `models.MODELS` ("mlp", "gpt", ...)
        config      the model's config dataclass as a dict (rebuilds the model: ConfigClass(**config))
        tokenizer   `tokenizer.to_dict()` (a dict with a "type" key, e.g. {"type": "char", ...}) or None
        state_dict  the model's `state_dict()` (weights and buffers, e.g. BatchNorm running stats)
        metrics     final losses and timings (optional)
        extra       anything else plain (optional). Read by the tools: extra["task"] is "words" for
                    models that emit "."-delimited words (makemore; sample.py then samples whole
                    words) or "text" for free text (GPT; sample.py continues --prompt), and
                    extra["data"] is the training file (evaluate.py's default --data).
    Models are rebuilt by `models.build_model(model_type, config)`, so a model type must be
    registered in `models.MODELS`; sampling calls the model's
    `generate(idx, max_new_tokens, temperature=..., top_k=..., generator=...)` (nanoGPT's signature).
    """
    if state_dict is None:
        if model is None:
            raise ValueError("save_checkpoint: give the model or its state_dict")
        state_dict = model.state_dict()
    if tokenizer is not None and not isinstance(tokenizer, dict):
        tokenizer = tokenizer.to_dict()
    checkpoint = {
        "format": CHECKPOINT_FORMAT,
        "model_type": model_type,
        "config": _plain(config),
        "tokenizer": tokenizer,
        "state_dict": state_dict,
        "metrics": dict(metrics or {}),
        "extra": dict(extra or {}),
    }
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tg.save(checkpoint, path)
    return path


def load_checkpoint(path: str | os.PathLike) -> dict:
    """Read a checkpoint written by `save_checkpoint` (a folder is searched for `model.npz`).
    Raises FileNotFoundError / ValueError with one clear line for a missing or foreign file."""
    path = Path(path)
    if path.is_dir():
        path = path / "model.npz"
    checkpoint = tg.load(path)
    if not isinstance(checkpoint, dict) or checkpoint.get("format") != CHECKPOINT_FORMAT:
        raise ValueError(f"{path} is a tinygrad_edu file but not a model checkpoint (no model_type)")
    return checkpoint


# tokenizers a checkpoint can name in tokenizer["type"]; other modules may add theirs
TOKENIZERS: dict[str, Callable[[dict], Any]] = {}


def tokenizer_from_dict(state: dict | None) -> Any:
    """Rebuild a tokenizer from the dict a checkpoint stored (dispatching on its "type")."""
    if state is None:
        return None
    if not TOKENIZERS:
        from tinygrad_edu.data.chars import CharTokenizer

        TOKENIZERS.setdefault("char", CharTokenizer.from_dict)
    kind = state.get("type")
    if kind not in TOKENIZERS:
        raise ValueError(f"unknown tokenizer type {kind!r} in checkpoint (known: {sorted(TOKENIZERS)})")
    return TOKENIZERS[kind](state)


def count_parameters(model: tg.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


# ------------------------------------------------------------------------------------------------
# progress, evaluation, timing


def progress(total: int, desc: str = "train", disable: bool = False):
    """A tqdm progress bar over range(total); show the running loss with `bar.set_postfix(loss=...)`.
    Falls back to a plain range when disabled."""
    from tqdm.auto import tqdm

    return tqdm(range(total), desc=desc, disable=disable, dynamic_ncols=True, mininterval=0.5)


class RunningLoss:
    """An exponential moving average of the batch loss (smooths the noisy per-batch values).
    The average is corrected for its zero start, as Adam's moments are."""

    def __init__(self, beta: float = 0.98) -> None:
        self.beta, self.average, self.count = beta, 0.0, 0

    def update(self, value: float) -> float:
        self.count += 1
        self.average = self.beta * self.average + (1 - self.beta) * value
        return self.value

    @property
    def value(self) -> float:
        return self.average / (1 - self.beta**self.count) if self.count else float("nan")


def evaluate(model: tg.nn.Module, inputs: np.ndarray, targets: np.ndarray, batch_size: int = 8192) -> float:
    """The mean loss of `model(inputs, targets)` over a whole split, in batches, in eval mode and
    under `no_grad` (no graph is built). Each batch is weighted by its number of examples, so the
    result equals the loss of one giant batch. The model's train/eval mode is restored afterwards."""
    return evaluate_batches(
        model,
        (
            (inputs[start : start + batch_size], targets[start : start + batch_size])
            for start in range(0, len(inputs), batch_size)
        ),
    )


def evaluate_batches(model: tg.nn.Module, batches: Iterable[tuple[np.ndarray, np.ndarray]]) -> float:
    """Like `evaluate`, over any iterable of (inputs, targets) numpy batches (e.g. sampled text windows)."""
    was_training = model.training
    model.eval()
    total, count = 0.0, 0
    try:
        with tg.no_grad():
            for inputs, targets in batches:
                _, loss = model(tg.Tensor(inputs), tg.Tensor(targets))
                total += float(loss.item()) * len(inputs)
                count += len(inputs)
    finally:
        model.train(was_training)
    if count == 0:
        raise ValueError("evaluate: the split is empty")
    return total / count


class Timer:
    """Wall time since construction: `timer.seconds`."""

    def __init__(self) -> None:
        self.start = time.perf_counter()

    @property
    def seconds(self) -> float:
        return time.perf_counter() - self.start


# ------------------------------------------------------------------------------------------------
# loss curves


class LossCurve:
    """Collects (step, value) points per named series: curve.add("train", step, loss)."""

    def __init__(self) -> None:
        self.points: dict[str, tuple[list[int], list[float]]] = {}

    def add(self, name: str, step: int, value: float) -> None:
        steps, values = self.points.setdefault(name, ([], []))
        steps.append(int(step))
        values.append(float(value))

    def series(self) -> dict[str, tuple[list[int], list[float]]]:
        return self.points


def use_agg_backend() -> None:
    """Draw without a display (scripts run on servers and in CI)."""
    import matplotlib

    matplotlib.use("Agg")


def save_figure(figure, path: str | os.PathLike, quiet: bool = False) -> Path:
    """Save a matplotlib figure as PNG atomically, close it, and print its path."""
    import matplotlib.pyplot as plt

    path = Path(path)
    with atomic_write(path) as file:
        figure.savefig(file, format="png", dpi=110, bbox_inches="tight")
    plt.close(figure)
    if not quiet:
        print(f"saved plot: {path}")
    return path


def plot_curves(
    path: str | os.PathLike,
    series: dict[str, tuple[Sequence[float], Sequence[float]]],
    *,
    title: str = "loss",
    xlabel: str = "step",
    ylabel: str = "loss",
    smooth: dict[str, int] | None = None,
    reference: dict[str, float] | None = None,
    log_y: bool = False,
    ylim: tuple[float, float] | None = None,
) -> Path:
    """Plot named (x, y) series to a PNG. `smooth={"batch": 1000}` also draws that series' moving
    average over windows of 1000 points (raw points faint); `reference={"counts": 2.45}` draws
    labelled horizontal guide lines; `ylim=(low, high)` zooms in on the part worth seeing."""
    use_agg_backend()
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(8, 4.8))
    for name, (xs, ys) in series.items():
        window = (smooth or {}).get(name, 0)
        if window > 1 and len(ys) > window:
            axes.plot(xs, ys, alpha=0.2, linewidth=0.5)
            kernel = np.ones(window) / window
            averaged = np.convolve(np.asarray(ys, dtype=np.float64), kernel, mode="valid")
            axes.plot(
                np.asarray(xs)[window - 1 :],
                averaged,
                color=axes.lines[-1].get_color(),
                label=f"{name} (mean of {window})",
            )
        else:
            axes.plot(xs, ys, marker="o" if len(xs) < 30 else None, markersize=3, label=name)
    for name, value in (reference or {}).items():
        axes.axhline(value, color="gray", linestyle="--", linewidth=1)
        axes.annotate(f"{name}: {value:.4f}", (axes.get_xlim()[0], value), va="top", fontsize=8)
    if log_y:
        axes.set_yscale("log")
    if ylim is not None:
        axes.set_ylim(*ylim)
    axes.set(title=title, xlabel=xlabel, ylabel=ylabel)
    axes.grid(alpha=0.3)
    axes.legend()
    return save_figure(figure, path)


# ------------------------------------------------------------------------------------------------
# output


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def print_final_json(result: dict) -> None:
    """Print `result` as one JSON object on one line: by convention the LAST line a script prints, so
    tools can read it with `json.loads(output.splitlines()[-1])`. Floats are rounded to 4 decimals
    (4 significant digits below 1e-3)."""

    def rounded(value: Any) -> Any:
        if isinstance(value, float):  # 4 decimals, but small values keep 4 significant digits
            return round(value, 4) if abs(value) >= 1e-3 else float(f"{value:.4g}")
        if isinstance(value, dict):
            return {k: rounded(v) for k, v in value.items()}
        if isinstance(value, list):
            return [rounded(v) for v in value]
        return value

    sys.stdout.flush()
    sys.stderr.flush()
    print(json.dumps(rounded(_jsonable(result))), flush=True)
