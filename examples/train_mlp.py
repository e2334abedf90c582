"""Train the Bengio et al. 2003 character MLP (models/mlp.py) on a list of names, as in makemore.

    python examples/train_mlp.py                                   # data/names.txt, ~200k steps
    python examples/train_mlp.py --data ../shared/data/makemore_names.txt --out runs/mlp
    python examples/train_mlp.py --steps 2000 --n-hidden 100       # a quick look

Minibatch SGD (batch 32, lr 0.1, dropped 10x at step 100k). Prints train/val loss at intervals; at the
end the train/val/test loss, writes runs/mlp/model.npz and runs/mlp/loss.png, samples 20 names and
prints one JSON line. Sample again later with examples/sample.py --checkpoint runs/mlp/model.npz.
"""

from __future__ import annotations

import makemore_common as common
import training_health

import tinygrad_edu as tg
from models.mlp import MLP, MLPConfig
from tinygrad_edu import training


def main(argv=None):
    parser = training.make_parser(
        __doc__, steps=200_000, batch_size=32, lr=0.1, out="runs/mlp", eval_interval=10_000
    )
    common.add_lr_decay_args(parser, decay_step=100_000)
    training_health.add_args(parser)
    model_args = parser.add_argument_group("model")
    model_args.add_argument("--block-size", type=int, default=3, help="characters of context")
    model_args.add_argument("--n-embd", type=int, default=10, help="embedding size per character")
    model_args.add_argument("--n-hidden", type=int, default=200, help="hidden tanh units")
    args = parser.parse_args(argv)
    training.check_positive(
        steps=args.steps, batch_size=args.batch_size, lr=args.lr, eval_interval=args.eval_interval,
        lr_decay_step=args.lr_decay_step, block_size=args.block_size, n_embd=args.n_embd, n_hidden=args.n_hidden,
    )  # fmt: skip
    timer = training.Timer()
    data = common.NamesData.load(args.data, args.block_size)
    print(data.describe())
    config = MLPConfig(data.tokenizer.vocab_size, args.block_size, args.n_embd, args.n_hidden)
    model = MLP(config, generator=tg.Generator(args.seed))
    print(model)
    print(f"parameters: {training.count_parameters(model):,}")
    optimizer = tg.optim.SGD(model.parameters(), lr=args.lr)
    scheduler = tg.optim.lr_scheduler.StepLR(optimizer, step_size=args.lr_decay_step, gamma=args.lr_decay)
    curve = common.train_minibatches(model, optimizer, scheduler, data, args, desc="train_mlp")
    return common.finish(
        model, model_type="mlp", config=config, data=data, args=args, curve=curve, timer=timer, title="MLP"
    )


if __name__ == "__main__":
    training.run_main(main)
