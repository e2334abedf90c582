"""What the example scripts share: flags, the one error convention, checkpoints of every model, the
evaluation loop, resuming, loss curves, progress bars and the final JSON line.

Imported by the scripts beside it (`python examples/train_mlp.py` puts this folder on the import path).
A training script built on it reads like this:

    import training_common as training

    def main(argv=None):
        parser = training.make_parser(__doc__, steps=200_000, batch_size=32, lr=0.1, out="runs/mlp")
        parser.add_argument("--n-embd", type=int, default=10, help="...")  # the model's own flags
        args = parser.parse_args(argv)
        ...                                                               # data, model, optimizer
        training.finish(...)                                              # checkpoint, plot, JSON

    if __name__ == "__main__":
        training.run_main(main)

Conventions every script follows (tools and tests rely on them):
- `--help` on every script; bad input ends the script with exit status 1 and ONE line on stderr,
  "error: <message>" naming the file or flag (`run_main`), and nothing half-written.
- A checkpoint is a `.npz` file written atomically by `tg.save` (`save_checkpoint` describes it), or,
  for Mini-BERT, a Hugging Face folder (config.json, model.safetensors, vocab.txt). `load_model` reads
  both and refuses a checkpoint of another kind of model in one line.
- A training checkpoint also records the run (flags, optimizer, schedule, random states, loss curve):
  `--resume` continues exactly, taking the data and model shape from that record.
- Plots are PNG files written atomically, and their paths are printed.
- The last line a script prints is one JSON object (`print_final_json`).
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

_REPO = Path(__file__).resolve().parent.parent
if str(_REPO) not in sys.path:  # run as `python examples/x.py` without installing the package
    sys.path.insert(0, str(_REPO))

from safetensors.numpy import load_file  # noqa: E402

import tinygrad_edu as tg  # noqa: E402
from models import MODELS, build_model  # noqa: E402
from models.bert import BertForMaskedLM  # noqa: E402
from tinygrad_edu.data import WordPieceTokenizer  # noqa: E402
from tinygrad_edu.files import atomic_write  # noqa: E402
from tinygrad_edu.nn import functional as F  # noqa: E402
from tinygrad_edu.nn.functional import IGNORE_INDEX  # noqa: E402

CHECKPOINT_FORMAT = "tinygrad_edu.model"  # the "format" field of a model checkpoint
BERT_FILES = ("config.json", "model.safetensors", "vocab.txt")  # a Mini-BERT checkpoint folder

# ------------------------------------------------------------------------------------------------
# command-line flags and errors


class HelpFormatter(argparse.RawDescriptionHelpFormatter, argparse.ArgumentDefaultsHelpFormatter):
    """--help keeps the script's docstring as written (its example commands) and shows each default
    once (not for flags whose help already says it, nor for flags without a default)."""

    def _get_help_string(self, action):
        help_text = action.help or ""
        if "default" in help_text or action.default in (None, False, argparse.SUPPRESS):
            return help_text
        return super()._get_help_string(action)


def make_parser(
    description: str | None,
    *,
    data: str = "data/names.txt",
    steps: int = 1000,
    batch_size: int = 32,
    lr: float = 0.1,
    seed: int = 42,
    out: str | None = "runs/run",
    eval_interval: int | None = None,
    resume: bool = True,
    interval_evaluations: bool = True,
) -> argparse.ArgumentParser:
    """An argparse parser with the flags every training script has; each script passes its own
    defaults and adds its model's flags. Relative paths are taken from the current directory.

    --data PATH, --steps N, --batch-size N, --lr LR, --seed S, --out DIR (unless `out` is None),
    --eval-interval N (unless `interval_evaluations` is False), --no-progress, and (with `resume`)
    --resume and --stop-after N."""
    parser = argparse.ArgumentParser(description=description, formatter_class=HelpFormatter)
    group = parser.add_argument_group("training (common to all scripts)")
    group.add_argument("--data", default=data, help="training text (for names: one word per line)")
    group.add_argument("--steps", type=int, default=steps, help="optimisation steps")
    group.add_argument("--batch-size", type=int, default=batch_size, help="examples per step")
    group.add_argument("--lr", type=float, default=lr, help="learning rate")
    group.add_argument("--seed", type=int, default=seed, help="seed for weights, batches and sampling")
    if out is not None:  # a script that writes nothing has no --out
        group.add_argument("--out", default=out, help="output folder for the checkpoint and plots")
    if interval_evaluations:
        group.add_argument(
            "--eval-interval",
            type=int,
            default=eval_interval if eval_interval is not None else max(1, (steps or 10) // 10),
            help="evaluate train/val loss (and save a checkpoint) every this many steps",
        )
    group.add_argument("--no-progress", action="store_true", help="no progress bar (log lines only)")
    if resume:
        group.add_argument(
            "--resume",
            action="store_true",
            help="continue the run in --out exactly where it stopped (data and model from its record)",
        )
        group.add_argument(
            "--stop-after", type=int, help="stop (with a checkpoint) after this many steps of this run"
        )
    return parser


def check_positive(**values: float) -> None:
    """Raise one ValueError naming the first flag that is not positive: check_positive(steps=args.steps)."""
    for name, value in values.items():
        if value is None or not value > 0:
            raise ValueError(f"--{name.replace('_', '-')} must be positive, got {value}")


def explicit_flags(parser: argparse.ArgumentParser, argv: Sequence[str] | None) -> set[str]:
    """The destinations of the flags the user actually typed (a flag at its default value counts)."""
    saved = {action.dest: action.default for action in parser._actions}
    try:
        for action in parser._actions:
            action.default = argparse.SUPPRESS
        given = vars(parser.parse_args(argv))
    finally:
        for action in parser._actions:
            action.default = saved[action.dest]
    return set(given)


def check_out_folder(out: str | os.PathLike, resume: bool = False) -> Path:
    """--out must be a folder (or not exist yet); checked before any work, so a typo costs nothing."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out {str(out)!r} is an existing file, not a folder")
    return out


def one_line(error: BaseException) -> str:
    text = str(error).strip()
    if isinstance(error, KeyError) and error.args:  # KeyError's str is the bare key in quotes
        text = f"missing key {error.args[0]!r}"
    first = text.splitlines()[0] if text else ""
    known = isinstance(
        error, ValueError | FileNotFoundError | KeyError | IndexError | RuntimeError | TypeError
    )
    return first if first and known else f"{type(error).__name__}: {first}".rstrip(": ")


def run_main(main: Callable[[], Any]) -> None:
    """Call `main()`; any failure ends the process with exit status 1 and one readable line
    ("error: ...") instead of a traceback. TINYGRAD_EDU_TRACEBACK=1 shows the traceback instead."""
    try:
        main()
    except KeyboardInterrupt:
        sys.exit("error: interrupted")
    except MemoryError:
        sys.exit("error: out of memory; try a smaller --batch-size or model")
    except Exception as error:
        if os.environ.get("TINYGRAD_EDU_TRACEBACK"):
            raise
        sys.exit(f"error: {one_line(error)}")


def module_help(doc: str | None, argv: Sequence[str] | None = None) -> None:
    """`python examples/<shared module>.py [--help]`: the module's description; it runs nothing."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.parse_args(argv)
    print((doc or "").strip())
    print("\n(this file holds code shared by the scripts beside it; run one of them)")


# ------------------------------------------------------------------------------------------------
# checkpoints: every model, one loader


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
                    words) or "text" for free text (GPT; sample.py continues --prompt), extra["data"]
                    is the training file (evaluate.py's default --data), extra["run"] the flags of the
                    run and extra["resume"] the training state --resume continues from.
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


def is_bert_folder(path: str | os.PathLike) -> bool:
    path = Path(path)
    return path.is_dir() and (path / "config.json").is_file() and not (path / "model.npz").exists()


def load_checkpoint(path: str | os.PathLike) -> dict:
    """Read a checkpoint written by `save_checkpoint` (a folder is searched for `model.npz`), or a
    Mini-BERT folder in Hugging Face's format (config.json, model.safetensors, vocab.txt), checked for
    the fields the tools read. One clear error (FileNotFoundError / ValueError) naming the file."""
    path = Path(path)
    if is_bert_folder(path):
        return _read_bert_folder(path)
    if path.is_dir():
        path = path / "model.npz"
    if not path.exists():
        raise FileNotFoundError(f"no checkpoint file {str(path)!r}")
    checkpoint = tg.load(path)
    if not isinstance(checkpoint, dict) or checkpoint.get("format") != CHECKPOINT_FORMAT:
        raise ValueError(f"{str(path)!r} is a tinygrad_edu file but not a model checkpoint (no model_type)")
    kinds = {"model_type": str, "config": dict, "state_dict": dict, "metrics": dict, "extra": dict}
    for key, kind in kinds.items():
        if not isinstance(checkpoint.get(key), kind):
            raise ValueError(f"{str(path)!r}: the checkpoint's {key!r} is missing or not a {kind.__name__}")
    if checkpoint.get("tokenizer") is not None and not isinstance(checkpoint["tokenizer"], dict):
        raise ValueError(f"{str(path)!r}: the checkpoint's 'tokenizer' is not a dict")
    checkpoint["path"] = str(path)
    return checkpoint


def _read_bert_folder(folder: Path) -> dict:
    """A Mini-BERT folder as a checkpoint dict (model_type "bert"), each file checked: config.json a
    JSON object, model.safetensors readable with finite float weights, vocab.txt present."""
    missing = [name for name in BERT_FILES if not (folder / name).is_file()]
    if missing:
        raise FileNotFoundError(
            f"{str(folder)!r} is a Mini-BERT folder without {', '.join(missing)} "
            "(train_bert.py writes config.json, model.safetensors and vocab.txt)"
        )
    config_path = folder / "config.json"
    try:
        config = json.loads(config_path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"{str(config_path)!r} is not valid JSON ({one_line(error)})") from None
    if not isinstance(config, dict):
        raise ValueError(f"{str(config_path)!r} does not hold a JSON object of settings")
    weights_path = folder / "model.safetensors"
    try:
        tensors = load_file(str(weights_path))
    except Exception as error:  # safetensors raises its own error types for a damaged file
        raise ValueError(
            f"{str(weights_path)!r} is not a readable safetensors file (truncated or corrupt: {one_line(error)})"
        ) from None
    for name, array in tensors.items():
        if array.dtype.kind != "f":
            raise ValueError(
                f"{str(weights_path)!r}: tensor {name!r} has dtype {array.dtype}, not a float type"
            )
        if not np.isfinite(array).all():
            raise ValueError(f"{str(weights_path)!r}: tensor {name!r} holds NaN or inf values")
    return {"format": "huggingface", "model_type": "bert", "config": config, "path": str(folder),
            "metrics": {}, "extra": {"task": "masked"}, "tokenizer": None}  # fmt: skip


def check_weights(state_dict: dict, model: tg.nn.Module, where: str) -> None:
    """Refuse weights a model should not be given: a float tensor stored as integers or complex
    numbers (never cast silently), or NaN/inf values (they would fail much later, far from here)."""
    own = model.state_dict()
    for key, value in state_dict.items():
        if key not in own:
            continue
        array = np.asarray(value.data if isinstance(value, tg.Tensor) else value)
        expected = own[key].dtype
        if array.dtype.kind != np.dtype(expected).kind:
            raise ValueError(f"{where}: weight {key!r} has dtype {array.dtype}, the model needs {expected}")
        if array.dtype.kind == "f" and not np.isfinite(array).all():
            raise ValueError(f"{where}: weight {key!r} holds NaN or inf values")


def build_from_checkpoint(checkpoint: dict, expect: str | Sequence[str] | None = None) -> tg.nn.Module:
    """The model a checkpoint describes, with its weights, in eval mode; `expect` names the model
    types the caller can use (another type is refused in one line)."""
    where = checkpoint.get("path", "checkpoint")
    model_type = checkpoint["model_type"]
    if model_type not in MODELS:
        raise ValueError(f"{where}: unknown model_type {model_type!r} (known: {', '.join(sorted(MODELS))})")
    if expect is not None:
        wanted = [expect] if isinstance(expect, str) else list(expect)
        if model_type not in wanted:
            raise ValueError(f"{where} holds a {model_type!r} model, not {' or '.join(map(repr, wanted))}")
    config_class = MODELS[model_type][0]
    names = {field.name for field in dataclasses.fields(config_class)}
    unknown = sorted(set(checkpoint["config"]) - names)
    if unknown:
        raise ValueError(f"{where}: the {model_type!r} config has unknown fields {unknown}")
    try:
        model = build_model(model_type, checkpoint["config"])
    except (TypeError, ValueError) as error:
        raise ValueError(f"{where}: cannot build a {model_type!r} model from its config: {error}") from None
    check_weights(checkpoint["state_dict"], model, where)
    try:
        model.load_state_dict(checkpoint["state_dict"])
    except RuntimeError as error:  # the missing / unexpected / mis-shaped keys, in one line
        details = " ".join(str(error).split("\n\t")[1:]).strip()
        raise ValueError(f"{where}: the weights do not fit a {model_type!r} model: {details}") from None
    model.eval()
    return model


# tokenizers a checkpoint can name in tokenizer["type"]; other modules may add theirs
TOKENIZERS: dict[str, Callable[[dict], Any]] = {}


def tokenizer_from_dict(state: dict | None, where: str = "checkpoint") -> Any:
    """Rebuild a tokenizer from the dict a checkpoint stored (dispatching on its "type")."""
    if state is None:
        return None
    if not TOKENIZERS:
        from tinygrad_edu.data.chars import CharTokenizer

        TOKENIZERS.setdefault("char", CharTokenizer.from_dict)
    kind = state.get("type")
    if kind not in TOKENIZERS:
        raise ValueError(f"{where}: unknown tokenizer type {kind!r} (known: {sorted(TOKENIZERS)})")
    try:
        return TOKENIZERS[kind](state)
    except (KeyError, TypeError, ValueError) as error:
        raise ValueError(f"{where}: the stored {kind!r} tokenizer is malformed ({one_line(error)})") from None


def load_model(path: str | os.PathLike, expect: str | Sequence[str] | None = None):
    """(model in eval mode, tokenizer, checkpoint dict) from a checkpoint file, run folder or
    Mini-BERT folder; a model of a type the caller cannot use (`expect`) is refused in one line."""
    checkpoint = load_checkpoint(path)
    if checkpoint["format"] == CHECKPOINT_FORMAT:  # a .npz: every model, rebuilt from the registry
        model = build_from_checkpoint(checkpoint, expect)
        return model, tokenizer_from_dict(checkpoint["tokenizer"], checkpoint["path"]), checkpoint
    folder = checkpoint["path"]
    wanted = [expect] if isinstance(expect, str) else list(expect or ["bert"])
    if "bert" not in wanted:
        raise ValueError(
            f"{folder!r} is a Mini-BERT folder (a masked language model), not {' or '.join(map(repr, wanted))}; "
            "use examples/fill_mask.py or examples/evaluate_bert.py"
        )
    try:
        model = BertForMaskedLM.from_pretrained(folder)
    except (RuntimeError, TypeError, ValueError, KeyError) as error:
        raise ValueError(f"{folder!r} is not a loadable Mini-BERT: {one_line(error)}") from None
    tokenizer = WordPieceTokenizer.from_file(Path(folder) / "vocab.txt")
    if tokenizer.vocab_size != model.config.vocab_size:
        raise ValueError(
            f"{folder!r}: vocab.txt holds {tokenizer.vocab_size} tokens but config.json says "
            f"vocab_size={model.config.vocab_size}"
        )
    return model.eval(), tokenizer, checkpoint


def count_parameters(model: tg.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


# ------------------------------------------------------------------------------------------------
# resuming a run


def run_record(args: argparse.Namespace, free: Iterable[str] = ()) -> dict:
    """The flags that define a run (all but `free` ones and those every run may change)."""
    # --health only watches the run, so a resumed run may turn it on or off
    skip = {"resume", "stop_after", "no_progress", "out", "health", "health_every", *free}
    return {key: value for key, value in vars(args).items() if key not in skip}


def apply_run_record(
    args: argparse.Namespace, given: set[str], record: dict, where: str
) -> argparse.Namespace:
    """--resume: take every recorded flag from the run's record; a flag typed now that contradicts
    the record is refused in one line."""
    for key, value in record.items():
        if key in given and getattr(args, key, value) != value:
            raise ValueError(
                f"--resume: the run in {where} used --{key.replace('_', '-')} {value}, not "
                f"{getattr(args, key)}; leave the flag out to continue it"
            )
        setattr(args, key, value)
    return args


def load_resume_checkpoint(path: Path, model_type: str) -> dict:
    """The checkpoint --resume continues from, checked to be a training checkpoint of this script."""
    if not path.exists():
        raise FileNotFoundError(f"--resume: no checkpoint at {str(path)!r} (train without --resume first)")
    checkpoint = load_checkpoint(path)
    if checkpoint["model_type"] != model_type:
        raise ValueError(
            f"--resume: {str(path)!r} holds a {checkpoint['model_type']!r} model, not {model_type!r}"
        )
    for key in ("run", "resume"):
        if not isinstance(checkpoint["extra"].get(key), dict):
            raise ValueError(f"--resume: {str(path)!r} has no record of its run to continue from")
    return checkpoint


class LossCurve:
    """Collects (step, value) points per named series: curve.add("train", step, loss)."""

    def __init__(self, series: dict | None = None) -> None:
        self.points: dict[str, tuple[list[int], list[float]]] = {}
        for name, (steps, values) in (series or {}).items():  # a resumed run's curve
            for step, value in zip(steps, values, strict=True):
                self.add(name, step, value)

    def add(self, name: str, step: int, value: float) -> None:
        steps, values = self.points.setdefault(name, ([], []))
        steps.append(int(step))
        values.append(float(value))

    def series(self) -> dict[str, tuple[list[int], list[float]]]:
        return self.points


# ------------------------------------------------------------------------------------------------
# progress, evaluation, timing


def progress(total: int, desc: str = "train", disable: bool = False, initial: int = 0):
    """A tqdm progress bar over range(initial, total); show the running loss with
    `bar.set_postfix(loss=...)`. Plain iteration when disabled."""
    from tqdm.auto import tqdm

    return tqdm(
        range(initial, total), desc=desc, disable=disable, dynamic_ncols=True, mininterval=0.5,
        initial=initial, total=total,
    )  # fmt: skip


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


def token_losses(model: tg.nn.Module, batch) -> dict[str, float]:
    """Summed cross entropy and count of the predicted tokens of one (inputs, targets) batch, for any
    model whose forward returns logits first (makemore models, GPT); targets equal to IGNORE_INDEX
    (padding) are left out, so every predicted token weighs the same."""
    inputs, targets = batch
    output = model(tg.Tensor(inputs))
    logits = output[0] if isinstance(output, tuple) else output
    targets = np.asarray(targets).reshape(-1)
    loss = F.cross_entropy(logits.reshape(len(targets), -1), tg.Tensor(targets), reduction="sum")
    return {"loss": float(loss.item()), "tokens": int((targets != IGNORE_INDEX).sum())}


def evaluate(
    model: tg.nn.Module,
    batches: Iterable,
    score: Callable[[tg.nn.Module, Any], dict[str, float]] = token_losses,
) -> dict[str, float]:
    """The one evaluation loop (makemore, GPT, Mini-BERT): eval mode, no graph, `score(model, batch)`
    gives summed values and a "tokens" count per batch; returns each value divided by the total count
    (the mean loss per predicted token, as one giant batch would give) and "tokens". The model's
    train/eval mode is restored afterwards."""
    was_training = model.training
    model.eval()
    totals: dict[str, float] = {}
    try:
        with tg.no_grad():
            for batch in batches:
                for key, value in score(model, batch).items():
                    totals[key] = totals.get(key, 0) + value
    finally:
        model.train(was_training)
    count = totals.pop("tokens", 0)
    if count == 0:
        raise ValueError("evaluate: nothing to evaluate (the split is empty)")
    return {**{key: value / count for key, value in totals.items()}, "tokens": int(count)}


def batches_of(inputs: np.ndarray, targets: np.ndarray, batch_size: int = 8192):
    """(inputs, targets) cut into consecutive batches."""
    for start in range(0, len(inputs), batch_size):
        yield inputs[start : start + batch_size], targets[start : start + batch_size]


def mean_loss(model: tg.nn.Module, inputs: np.ndarray, targets: np.ndarray, batch_size: int = 8192) -> float:
    """The mean loss per predicted token over a whole split (the common case of `evaluate`)."""
    return evaluate(model, batches_of(inputs, targets, batch_size))["loss"]


class Timer:
    """Wall time since construction, plus `before` seconds (a resumed run's earlier time)."""

    def __init__(self, before: float = 0.0) -> None:
        self.start, self.before = time.perf_counter(), before

    @property
    def seconds(self) -> float:
        return self.before + time.perf_counter() - self.start


# ------------------------------------------------------------------------------------------------
# figures


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


def best_point(curve: LossCurve, name: str = "val") -> tuple[int, float] | None:
    """(step, value) of the lowest point of a series, or None without it."""
    steps, values = curve.series().get(name, ([], []))
    if not values:
        return None
    index = int(np.argmin(values))
    return steps[index], values[index]


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
    mark_best: str | None = None,
) -> Path:
    """Plot named (x, y) series to a PNG. `smooth={"batch": 1000}` also draws that series' moving
    average over windows of 1000 points (raw points faint); `reference={"counts": 2.45}` draws
    horizontal guide lines, named in the legend; `ylim=(low, high)` zooms in on the part worth seeing;
    `mark_best="val"` rings that series' lowest point and labels it."""
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
    for (name, value), style in zip((reference or {}).items(), ("--", ":", "-.", (0, (5, 5)))):
        # named in the legend, not written on the plot, where it would cover the data
        axes.axhline(value, color="gray", linestyle=style, linewidth=1, label=f"{name}: {value:.4f}")
    if mark_best and mark_best in series and len(series[mark_best][1]):
        xs, ys = series[mark_best]
        best = int(np.argmin(ys))
        last = len(ys) - 1
        label = f"best {mark_best}: {ys[best]:.4f} at step {xs[best]:,}"
        if best < last:
            label += f" (ends at {ys[last]:.4f}: overfitting after it)"
        axes.plot(
            [xs[best]], [ys[best]], "o", markersize=12, markerfacecolor="none", color="black", label=label
        )
    if log_y:
        axes.set_yscale("log")
    if ylim is not None:
        axes.set_ylim(*ylim)
    axes.set(title=title, xlabel=xlabel, ylabel=ylabel)
    axes.grid(alpha=0.3)
    axes.legend(fontsize=8)
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


def finish(
    *,
    out: Path,
    losses: dict[str, float],
    save: Callable[[dict], Path],
    curve: LossCurve,
    title: str,
    samples: list[str],
    seconds: float,
    params: int,
    data: str,
    steps: int,
    smooth: dict[str, int] | None = None,
    reference: dict[str, float] | None = None,
    ylim: tuple[float, float] | None = None,
    extra: dict | None = None,
    show_samples: Callable[[list[str]], None] | None = None,
) -> dict:
    """The end of every training run: print the losses, save the checkpoint (`save(metrics)` returns
    its path), plot the loss curve (the best validation point marked), show the samples, and print the
    final JSON line. Returns that result."""
    for name, value in losses.items():
        print(f"{name.replace('_', ' ')}: {value:.4f}")
    metrics = {**losses, "params": params, "seconds": seconds, "steps": steps}
    checkpoint = save(metrics)
    print(f"saved checkpoint: {checkpoint}")
    best = best_point(curve)
    if best is not None and best[0] < steps and "val_loss" in losses and losses["val_loss"] > best[1] + 1e-3:
        print(
            f"note: the val loss was lowest ({best[1]:.4f}) at step {best[0]:,} and ends at "
            f"{losses['val_loss']:.4f}: the model overfits the training split after that point "
            "(train for fewer steps, or make it smaller)"
        )
    plot = plot_curves(
        out / "loss.png", curve.series(), title=title, smooth=smooth, reference=reference, ylim=ylim,
        mark_best="val",
    )  # fmt: skip
    (show_samples or (lambda texts: print("samples:", " ".join(texts))))(samples)
    result = {
        **losses,
        "params": params,
        "seconds": round(seconds, 2),
        "checkpoint": str(checkpoint),
        "plot": str(plot),
        "data": data,
        "steps": steps,
        "samples": samples,
        **(extra or {}),
    }
    print_final_json(result)
    return result


if __name__ == "__main__":
    run_main(lambda: module_help(__doc__))
