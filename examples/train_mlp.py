"""Train the Bengio et al. 2003 character MLP (models/mlp.py) on a list of names, as in makemore.

    python examples/train_mlp.py                                   # data/names.txt, ~200k steps
    python examples/train_mlp.py --steps 2000 --n-hidden 100       # a quick look
    python examples/train_mlp.py --stop-after 5000                 # stop early (a checkpoint) ...
    python examples/train_mlp.py --resume                          # ... and continue exactly

Minibatch SGD (batch 32, lr 0.1, dropped 10x at step 100k). Prints train/val loss at intervals (and
saves a checkpoint); at the end the train/val/test loss, writes runs/mlp/model.npz and
runs/mlp/loss.png (the lowest validation loss ringed), samples 20 names and prints one JSON line.
On the 5,163 names of data/names.txt this model overfits: the validation loss is lowest well before the
end while the training loss keeps falling (the script says so at the end). Sample again later with
examples/sample.py --checkpoint runs/mlp/model.npz.
"""

from __future__ import annotations

import makemore_common as common
import training_common as training

import tinygrad_edu as tg
from models.mlp import MLP, MLPConfig


def main(argv=None):
    parser = training.make_parser(
        __doc__, steps=200_000, batch_size=32, lr=0.1, out="runs/mlp", eval_interval=10_000
    )
    common.add_lr_decay_args(parser, decay_step=100_000)
    model_args = parser.add_argument_group("model")
    model_args.add_argument("--block-size", type=int, default=3, help="characters of context")
    model_args.add_argument("--n-embd", type=int, default=10, help="embedding size per character")
    model_args.add_argument("--n-hidden", type=int, default=200, help="hidden tanh units")
    args, resumed = common.parse_args(parser, argv, model_type="mlp")
    training.check_positive(
        steps=args.steps, batch_size=args.batch_size, lr=args.lr, eval_interval=args.eval_interval,
        lr_decay_step=args.lr_decay_step, block_size=args.block_size, n_embd=args.n_embd, n_hidden=args.n_hidden,
    )  # fmt: skip
    tokenizer = resumed and training.tokenizer_from_dict(resumed["tokenizer"], resumed["path"])
    data = common.NamesData.load(args.data, args.block_size, tokenizer)
    print(data.describe())
    config = MLPConfig(data.tokenizer.vocab_size, args.block_size, args.n_embd, args.n_hidden)
    model = MLP(config, generator=tg.Generator(args.seed))
    print(model)
    print(f"parameters: {training.count_parameters(model):,}")
    optimizer = tg.optim.SGD(model.parameters(), lr=args.lr)
    scheduler = tg.optim.lr_scheduler.StepLR(optimizer, step_size=args.lr_decay_step, gamma=args.lr_decay)
    run = common.Run(model, optimizer, scheduler, data, args, "mlp", config, resumed)
    if not run.train(desc="train_mlp"):
        return None
    return run.finish("MLP")


if __name__ == "__main__":
    training.run_main(main)
