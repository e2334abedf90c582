"""Train the deep character MLP with BatchNorm (models/mlp_bn.py) on a list of names.

    python examples/train_mlp_bn.py                                # 5 x 100 tanh layers, BatchNorm, 200k steps
    python examples/train_mlp_bn.py --no-batchnorm --out runs/mlp_nobn   # the same net without BatchNorm
    python examples/train_mlp_bn.py --steps 2000                   # a quick look

Minibatch SGD (batch 32, lr 0.5, dropped 10x at step 150k: BatchNorm lets the net take a step size
that the same net without it cannot). At evaluation BatchNorm uses its running
statistics. Prints train/val loss at intervals; at the end train/val/test loss, a checkpoint, a loss plot,
20 sampled names and one JSON line. See examples/diagnose_mlp_bn.py for what BatchNorm does inside.
"""

from __future__ import annotations

import makemore_common as common
import training_common as training

import tinygrad_edu as tg
from models.mlp_bn import MLPBN, MLPBNConfig


def main(argv=None):
    parser = training.make_parser(
        __doc__, steps=200_000, batch_size=32, lr=0.5, out="runs/mlp_bn", eval_interval=10_000
    )
    common.add_lr_decay_args(parser, decay_step=150_000)
    model_args = parser.add_argument_group("model")
    model_args.add_argument("--block-size", type=int, default=3, help="characters of context")
    model_args.add_argument("--n-embd", type=int, default=10, help="embedding size per character")
    model_args.add_argument("--n-hidden", type=int, default=100, help="units per hidden layer")
    model_args.add_argument("--n-layers", type=int, default=5, help="hidden layers")
    model_args.add_argument("--no-batchnorm", action="store_true", help="build the net without BatchNorm")
    args, resumed = common.parse_args(parser, argv, model_type="mlp_bn")
    training.check_positive(
        steps=args.steps, batch_size=args.batch_size, lr=args.lr, eval_interval=args.eval_interval,
        lr_decay_step=args.lr_decay_step, block_size=args.block_size, n_embd=args.n_embd,
        n_hidden=args.n_hidden, n_layers=args.n_layers,
    )  # fmt: skip
    if args.batch_size < 2 and not args.no_batchnorm:
        raise ValueError("--batch-size must be at least 2 with BatchNorm (it normalises over the batch)")
    tokenizer = resumed and training.tokenizer_from_dict(resumed["tokenizer"], resumed["path"])
    data = common.NamesData.load(args.data, args.block_size, tokenizer)
    print(data.describe())
    config = MLPBNConfig(
        data.tokenizer.vocab_size, args.block_size, args.n_embd, args.n_hidden, args.n_layers,
        batchnorm=not args.no_batchnorm,
    )  # fmt: skip
    model = MLPBN(config, generator=tg.Generator(args.seed))
    print(model)
    print(f"parameters: {training.count_parameters(model):,}")
    optimizer = tg.optim.SGD(model.parameters(), lr=args.lr)
    scheduler = tg.optim.lr_scheduler.StepLR(optimizer, step_size=args.lr_decay_step, gamma=args.lr_decay)
    run = common.Run(model, optimizer, scheduler, data, args, "mlp_bn", config, resumed)
    if not run.train(desc="train_mlp_bn"):
        return None
    title = "deep MLP " + ("with BatchNorm" if config.batchnorm else "without BatchNorm")
    return run.finish(title, extra={"batchnorm": config.batchnorm})


if __name__ == "__main__":
    training.run_main(main)
