"""What the makemore scripts (train_bigram, train_mlp, train_mlp_bn) share on top of
`tinygrad_edu.training`: loading and splitting the word list, the minibatch training loop with its
progress bar and interval evaluations, and the closing report (losses, checkpoint, plot, samples, JSON).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:  # run as `python examples/x.py` without installing the package
    sys.path.insert(0, str(REPO_ROOT))

import training_health  # noqa: E402

import tinygrad_edu as tg  # noqa: E402
from tinygrad_edu import training  # noqa: E402
from tinygrad_edu.data import CharTokenizer, build_dataset, load_words, split_words  # noqa: E402

SPLITS = ("train", "val", "test")


@dataclass
class NamesData:
    """The words, their tokenizer, and the (X, Y) arrays of each split for one block size."""

    path: str
    words: list[str]
    tokenizer: CharTokenizer
    block_size: int
    splits: dict[str, tuple[np.ndarray, np.ndarray]]

    @classmethod
    def load(cls, path: str, block_size: int, tokenizer: CharTokenizer | None = None) -> NamesData:
        """Read, split and encode the words; the vocabulary comes from the data unless a tokenizer
        (e.g. a checkpoint's) is given."""
        words = load_words(path)
        tokenizer = tokenizer or CharTokenizer.from_words(words)
        parts = dict(zip(SPLITS, split_words(words)))
        splits = {name: build_dataset(part, tokenizer, block_size) for name, part in parts.items()}
        if len(splits["train"][0]) == 0:
            raise ValueError(f"data file {path} has too few words to train on")
        return cls(path, words, tokenizer, block_size, splits)

    def describe(self) -> str:
        sizes = ", ".join(f"{name} {len(self.splits[name][1]):,}" for name in SPLITS)
        return (
            f"data: {self.path}: {len(self.words):,} words, vocabulary {self.tokenizer.vocab_size} "
            f"({''.join(self.tokenizer.itos)}), examples: {sizes}"
        )

    def split_losses(self, model) -> dict[str, float]:
        """Each non-empty split's mean loss (empty splits, as with a tiny word list, are skipped)."""
        return {
            f"{name}_loss": training.evaluate(model, *self.splits[name])
            for name in SPLITS
            if len(self.splits[name][1])
        }


def add_lr_decay_args(parser, decay_step: int, decay: float = 0.1) -> None:
    parser.add_argument(
        "--lr-decay-step", type=int, default=decay_step, help="multiply the lr by --lr-decay at this step"
    )
    parser.add_argument("--lr-decay", type=float, default=decay, help="factor of the lr drop")


def train_minibatches(model, optimizer, scheduler, data: NamesData, args, desc: str):
    """Minibatch SGD on random batches of the training split, with a progress bar showing the
    running loss and train/val loss every `--eval-interval` steps. Returns the LossCurve."""
    X, Y = data.splits["train"]
    rng = np.random.default_rng(args.seed)
    curve = training.LossCurve()
    running = training.RunningLoss()
    bar = training.progress(args.steps, desc=desc, disable=args.no_progress)
    health = training_health.start(model, args)
    for step in bar:
        rows = rng.integers(0, len(X), size=args.batch_size)
        _, loss = model(tg.Tensor(X[rows]), tg.Tensor(Y[rows]))
        optimizer.zero_grad()
        loss.backward()
        training_health.optimizer_step(health, optimizer)
        if scheduler is not None:
            scheduler.step()
        value = loss.item()
        curve.add("batch", step, value)
        running.update(value)
        if step % 100 == 0:
            bar.set_postfix(loss=f"{running.value:.4f}", lr=f"{optimizer.param_groups[0]['lr']:.3g}")
        if (step + 1) % args.eval_interval == 0 or step + 1 == args.steps:
            losses = data.split_losses(model)
            curve.add("train", step + 1, losses["train_loss"])
            if "val_loss" in losses:
                curve.add("val", step + 1, losses["val_loss"])
            message = "  ".join(
                f"{k.replace('_loss', '')} {v:.4f}" for k, v in losses.items() if k != "test_loss"
            )
            bar.write(f"step {step + 1:>7}/{args.steps}: {message}")
    training_health.finish(health, args, desc)
    return curve


def finish(model, *, model_type: str, config, data: NamesData, args, curve, timer, title: str, extra=None):
    """The end of every makemore script: split losses, checkpoint, loss plot, 20 samples, final JSON."""
    losses = data.split_losses(model)
    for name, value in losses.items():
        print(f"{name.replace('_', ' ')}: {value:.4f}")
    out = Path(args.out)
    params = training.count_parameters(model)
    seconds = timer.seconds
    checkpoint = training.save_checkpoint(
        out / "model.npz",
        model_type=model_type,
        config=config,
        model=model,
        tokenizer=data.tokenizer,
        metrics={**losses, "params": params, "seconds": seconds, "steps": args.steps},
        extra={"task": "words", "data": data.path},
    )
    print(f"saved checkpoint: {checkpoint}")
    plot = training.plot_curves(
        out / "loss.png",
        curve.series(),
        title=f"{title}: loss on {Path(data.path).name}",
        smooth={"batch": max(1, min(1000, args.steps // 20))},
        reference=(extra or {}).get("reference"),
        ylim=(extra or {}).get("ylim"),
    )
    samples = model.sample(20, generator=tg.Generator(args.seed))
    names = [data.tokenizer.decode(ids) for ids in samples]
    print("samples:", " ".join(names))
    result = {
        **losses,
        "params": params,
        "seconds": round(seconds, 2),
        "checkpoint": str(checkpoint),
        "plot": str(plot),
        "data": data.path,
        "steps": args.steps,
        "samples": names,
    }
    result.update({k: v for k, v in (extra or {}).items() if k not in ("reference", "ylim")})
    training.print_final_json(result)
    return result
