"""Bigram character models, by counting and by gradient descent (models/bigram.py), on a list of names.

    python examples/train_bigram.py                                 # data/names.txt
    python examples/train_bigram.py --batch-size 32 --lr 1 --steps 20000   # minibatches instead

First counts every (current, next) character pair of the training split and reports the loss of the
smoothed count table; then trains the neural bigram (one 27x27 weight, softmax of a row = the next
character's probabilities) by full-batch gradient descent (--batch-size 0; the default lr 50 is right
for this tiny convex problem) and shows that it reaches the same loss. Writes the neural model to
runs/bigram/model.npz, the counting model to runs/bigram/counts.npz, the loss curve with the counts'
loss as a guide line (named in the legend), 20 sampled names, and one JSON line.
"""

from __future__ import annotations

from pathlib import Path

import makemore_common as common
import training_common as training

import tinygrad_edu as tg
from models.bigram import BigramConfig, BigramCounts, BigramNN


def main(argv=None):
    parser = training.make_parser(
        __doc__, steps=400, batch_size=0, lr=50.0, out="runs/bigram", eval_interval=50
    )
    parser.add_argument("--smoothing", type=float, default=1.0, help="add-k smoothing of the counts")
    parser.add_argument(
        "--one-hot", action="store_true", help="one_hot(x) @ W instead of the row lookup W[x]"
    )
    args, resumed = common.parse_args(parser, argv, model_type="bigram")
    training.check_positive(steps=args.steps, lr=args.lr, eval_interval=args.eval_interval)
    if args.batch_size < 0 or args.smoothing < 0:
        raise ValueError("--batch-size and --smoothing must not be negative")
    tokenizer = resumed and training.tokenizer_from_dict(resumed["tokenizer"], resumed["path"])
    data = common.NamesData.load(args.data, block_size=1, tokenizer=tokenizer)
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
    run = common.Run(model, optimizer, None, data, args, "bigram", config, resumed)
    if not run.train(desc="train_bigram", full_batch=args.batch_size == 0):
        return None
    gap = training.mean_loss(model, *data.splits["train"]) - count_losses["train_loss"]
    print(f"neural - counts (train loss): {gap:+.4f}")
    start = next(iter(run.curve.series().values()))[1][0]
    return run.finish(
        f"neural bigram (zoomed in: it starts at {start:.2f})",
        extra={"counts": {**count_losses, "checkpoint": str(counts_path)}, "neural_minus_counts_train": gap},
        reference={"counts (train)": count_losses["train_loss"]},
        ylim=(count_losses["train_loss"] - 0.05, count_losses["train_loss"] + 0.35),
    )


if __name__ == "__main__":
    training.run_main(main)
