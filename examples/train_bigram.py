"""Bigram character models, by counting and by gradient descent (models/bigram.py), on a list of names.

    python examples/train_bigram.py                                 # data/names.txt
    python examples/train_bigram.py --data ../shared/data/makemore_names.txt --out runs/bigram

First counts every (current, next) character pair of the training split and reports the loss of the
smoothed count table; then trains the neural bigram (one 27x27 weight, softmax of a row = the next
character's probabilities) by full-batch gradient descent (--batch-size 0; the default lr 50 is right
for this tiny convex problem) and shows that it reaches the same loss. Writes the neural model to
runs/bigram/model.npz, the counting model to runs/bigram/counts.npz, the loss curve with the counts'
loss as a guide line, 20 sampled names, and one JSON line.
"""

from __future__ import annotations

from pathlib import Path

import makemore_common as common
import numpy as np
import training_health

import tinygrad_edu as tg
from models.bigram import BigramConfig, BigramCounts, BigramNN
from tinygrad_edu import training


def main(argv=None):
    parser = training.make_parser(
        __doc__, steps=400, batch_size=0, lr=50.0, out="runs/bigram", eval_interval=50
    )
    parser.add_argument("--smoothing", type=float, default=1.0, help="add-k smoothing of the counts")
    parser.add_argument(
        "--one-hot", action="store_true", help="one_hot(x) @ W instead of the row lookup W[x]"
    )
    training_health.add_args(parser)
    args = parser.parse_args(argv)
    training.check_positive(steps=args.steps, lr=args.lr, eval_interval=args.eval_interval)
    if args.batch_size < 0 or args.smoothing < 0:
        raise ValueError("--batch-size and --smoothing must not be negative")
    timer = training.Timer()
    data = common.NamesData.load(args.data, block_size=1)
    print(data.describe())
    config = BigramConfig(data.tokenizer.vocab_size, smoothing=args.smoothing, one_hot=args.one_hot)

    # 1. counting
    counts = BigramCounts(config).fit(*data.splits["train"])
    count_losses = data.split_losses(counts)
    print("counts: " + "  ".join(f"{k.replace('_loss', '')} {v:.4f}" for k, v in count_losses.items()))
    counts_path = training.save_checkpoint(
        Path(args.out) / "counts.npz", model_type="bigram_counts", config=config, model=counts,
        tokenizer=data.tokenizer, metrics=count_losses, extra={"task": "words", "data": data.path},
    )  # fmt: skip
    print(f"saved checkpoint: {counts_path}")

    # 2. the neural bigram: full batch (batch-size 0) or minibatches
    model = BigramNN(config, generator=tg.Generator(args.seed))
    optimizer = tg.optim.SGD(model.parameters(), lr=args.lr)
    if args.batch_size == 0:
        curve = train_full_batch(model, optimizer, data, args)
    else:
        curve = common.train_minibatches(model, optimizer, None, data, args, desc="train_bigram")
    gap = training.evaluate(model, *data.splits["train"]) - count_losses["train_loss"]
    print(f"neural - counts (train loss): {gap:+.4f}")
    return common.finish(
        model, model_type="bigram", config=config, data=data, args=args, curve=curve, timer=timer,
        title=f"neural bigram (zoomed in: it starts at {next(iter(curve.series().values()))[1][0]:.2f})",
        extra={
            "counts": {**count_losses, "checkpoint": str(counts_path)},
            "neural_minus_counts_train": gap,
            "reference": {"counts (train)": count_losses["train_loss"]},
            "ylim": (count_losses["train_loss"] - 0.05, count_losses["train_loss"] + 0.35),
        },
    )  # fmt: skip


def train_full_batch(model, optimizer, data, args):
    """Gradient descent on the whole training split at once (the loss is then exact at every step)."""
    X, Y = (tg.Tensor(a) for a in data.splits["train"])
    curve = training.LossCurve()
    bar = training.progress(args.steps, desc="train_bigram", disable=args.no_progress)
    health = training_health.start(model, args)
    for step in bar:
        _, loss = model(X, Y)
        optimizer.zero_grad()
        loss.backward()
        training_health.optimizer_step(health, optimizer)
        curve.add("train (full batch)", step, loss.item())
        bar.set_postfix(loss=f"{loss.item():.4f}")
        if (step + 1) % args.eval_interval == 0 or step + 1 == args.steps:
            val = data.split_losses(model).get("val_loss", np.nan)
            curve.add("val", step + 1, val)
            bar.write(f"step {step + 1:>5}/{args.steps}: train {loss.item():.4f}  val {val:.4f}")
    training_health.finish(health, args, "train_bigram")
    return curve


if __name__ == "__main__":
    training.run_main(main)
