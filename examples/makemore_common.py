"""What the makemore scripts (train_bigram, train_mlp, train_mlp_bn) share on top of
`training_common`: loading and splitting the word list, the minibatch training loop with its progress
bar, interval evaluations and resumable checkpoints, and the closing report.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import training_common as training
import training_health

import tinygrad_edu as tg
from tinygrad_edu.data import CharTokenizer, build_dataset, load_words, split_words

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
        try:
            splits = {name: build_dataset(part, tokenizer, block_size) for name, part in parts.items()}
        except (KeyError, ValueError) as error:
            raise ValueError(f"--data {path}: {training.one_line(error)}") from None
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
            f"{name}_loss": training.mean_loss(model, *self.splits[name])
            for name in SPLITS
            if len(self.splits[name][1])
        }


def add_lr_decay_args(parser, decay_step: int, decay: float = 0.1) -> None:
    parser.add_argument(
        "--lr-decay-step", type=int, default=decay_step, help="multiply the lr by --lr-decay at this step"
    )
    parser.add_argument("--lr-decay", type=float, default=decay, help="factor of the lr drop")


def parse_args(parser, argv, model_type: str):
    """Parse the flags; with --resume, the run's recorded flags (data, model shape, schedule) win and a
    contradicting flag is refused. Returns (args, the checkpoint resumed from or None)."""
    training_health.add_args(parser)
    args = parser.parse_args(argv)
    out = training.check_out_folder(args.out)
    resumed = None
    if args.resume:
        resumed = training.load_resume_checkpoint(out / "model.npz", model_type)
        given = training.explicit_flags(parser, argv)
        training.apply_run_record(args, given, resumed["extra"]["run"], str(out))
    if args.stop_after is not None:
        training.check_positive(stop_after=args.stop_after)
    return args, resumed


class Run:
    """A makemore training run: the model, its optimizer and schedule, the batch generator, the loss
    curve and the step reached, all saved in every checkpoint so that --resume continues exactly."""

    def __init__(self, model, optimizer, scheduler, data: NamesData, args, model_type: str, config, resumed):
        self.model, self.optimizer, self.scheduler, self.data, self.args = (
            model,
            optimizer,
            scheduler,
            data,
            args,
        )
        self.model_type, self.config = model_type, config
        self.out = Path(args.out)
        self.rng = np.random.default_rng(args.seed)  # the batches
        self.curve = training.LossCurve()
        self.step = 0
        self.timer = training.Timer()
        if resumed is not None:
            state = resumed["extra"]["resume"]
            if int(state["step"]) >= args.steps:
                raise ValueError(f"--resume: the run in {self.out} already finished its {args.steps} steps")
            training.check_weights(resumed["state_dict"], model, resumed["path"])
            model.load_state_dict(resumed["state_dict"])
            optimizer.load_state_dict(state["optimizer"])
            if scheduler is not None:
                scheduler.load_state_dict(state["scheduler"])
            self.rng.bit_generator.state = state["batch_rng"]
            self.curve = training.LossCurve(state["curve"])
            self.step = int(state["step"])
            self.timer = training.Timer(before=float(state["seconds"]))
            print(f"resumed from {resumed['path']} at step {self.step}")

    def save(self, metrics: dict) -> Path:
        state = {
            "step": self.step,
            "seconds": self.timer.seconds,
            "optimizer": self.optimizer.state_dict(),
            "scheduler": None if self.scheduler is None else self.scheduler.state_dict(),
            "batch_rng": self.rng.bit_generator.state,
            "curve": self.curve.series(),
        }
        return training.save_checkpoint(
            self.out / "model.npz", model_type=self.model_type, config=self.config, model=self.model,
            tokenizer=self.data.tokenizer, metrics=metrics,
            extra={"task": "words", "data": self.data.path, "run": training.run_record(self.args), "resume": state},
        )  # fmt: skip

    def train(self, desc: str, full_batch: bool = False) -> bool:
        """Train up to --steps (or --stop-after more steps): random minibatches of the training split
        (or the whole split at once), with a progress bar of the running loss, train/val loss and a
        checkpoint every --eval-interval steps. Returns False when stopped early by --stop-after."""
        args, model, optimizer = self.args, self.model, self.optimizer
        X, Y = self.data.splits["train"]
        end = args.steps if args.stop_after is None else min(args.steps, self.step + args.stop_after)
        running = training.RunningLoss()
        batch_name = "train (full batch)" if full_batch else "batch"
        bar = training.progress(end, desc=desc, disable=args.no_progress, initial=self.step)
        health = training_health.start(model, args, first_step=self.step)
        for step in bar:
            rows = slice(None) if full_batch else self.rng.integers(0, len(X), size=args.batch_size)
            _, loss = model(tg.Tensor(X[rows]), tg.Tensor(Y[rows]))
            optimizer.zero_grad()
            loss.backward()
            training_health.optimizer_step(health, optimizer)
            if self.scheduler is not None:
                self.scheduler.step()
            self.step = step + 1
            value = loss.item()
            self.curve.add(batch_name, step, value)
            running.update(value)
            if step % 100 == 0:
                bar.set_postfix(loss=f"{running.value:.4f}", lr=f"{optimizer.param_groups[0]['lr']:.3g}")
            if self.step % args.eval_interval == 0 or self.step == args.steps:
                losses = self.data.split_losses(model)
                if not full_batch:  # full batch: the batch loss already is the training loss
                    self.curve.add("train", self.step, losses["train_loss"])
                if "val_loss" in losses:
                    self.curve.add("val", self.step, losses["val_loss"])
                message = "  ".join(
                    f"{k.replace('_loss', '')} {v:.4f}" for k, v in losses.items() if k != "test_loss"
                )
                bar.write(f"step {self.step:>7}/{args.steps}: {message}")
                if self.step < args.steps:
                    self.save({"step": self.step})
        bar.close()
        training_health.finish(health, args, desc)
        if end < args.steps:
            path = self.save({"step": end})
            print(f"stopped at step {end} of {args.steps}; continue with --out {args.out} --resume")
            training.print_final_json({"step": end, "checkpoint": str(path)})
            return False
        return True

    def finish(self, title: str, extra: dict | None = None, reference=None, ylim=None) -> dict:
        """The end of every makemore script: split losses, checkpoint, loss plot, 20 samples, JSON."""
        samples = self.model.sample(20, generator=tg.Generator(self.args.seed))
        return training.finish(
            out=self.out,
            losses=self.data.split_losses(self.model),
            save=self.save,
            curve=self.curve,
            title=f"{title}: loss on {Path(self.data.path).name}",
            samples=[self.data.tokenizer.decode(ids) for ids in samples],
            seconds=self.timer.seconds,
            params=training.count_parameters(self.model),
            data=self.data.path,
            steps=self.args.steps,
            smooth={"batch": max(1, min(1000, self.args.steps // 20))},
            reference=reference,
            ylim=ylim,
            extra=extra,
        )


if __name__ == "__main__":
    training.run_main(lambda: training.module_help(__doc__))
