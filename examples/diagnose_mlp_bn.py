"""Look inside a deep tanh MLP while it trains: the figures of makemore's "activations, gradients and
BatchNorm" lesson, for four set-ups side by side:

    BatchNorm + Kaiming init       no BatchNorm + Kaiming init
    BatchNorm + bad init           no BatchNorm + bad init      (bad: weights N(0, 1), not N(0, (5/3)^2/fan_in))

    python examples/diagnose_mlp_bn.py                         # 1000 steps each, figures in runs/diagnose/
    python examples/diagnose_mlp_bn.py --steps 3000 --batch-size 64

For each set-up, one training-health dashboard (`tinygrad_edu.health.HealthReport`, recorded every
--health-every steps; how to read it: docs/health.md): the tanh outputs' histograms and saturated fraction
(|t| > 0.97 passes almost no gradient, since d tanh(x)/dx = 1 - tanh(x)^2), the gradient arriving at those
outputs, each weight's grad:data ratio, the update:data ratio with the 1e-3 guide (log10 -3), and the
gradient norm. The numbers go to <set-up>.jsonl beside it. Plus one PNG comparing the four loss curves.
All paths are printed, and a summary table.
"""

from __future__ import annotations

from pathlib import Path

import makemore_common as common
import numpy as np
import training_common as training

import tinygrad_edu as tg
from models.mlp_bn import MLPBN, MLPBNConfig
from tinygrad_edu.health import HealthReport

SETUPS = [  # (label, file name, batchnorm, kaiming init)
    ("BatchNorm, Kaiming init", "bn_kaiming", True, True),
    ("no BatchNorm, Kaiming init", "nobn_kaiming", False, True),
    ("BatchNorm, bad init N(0,1)", "bn_badinit", True, False),
    ("no BatchNorm, bad init N(0,1)", "nobn_badinit", False, False),
]
SATURATED = 0.97


def run_setup(args, data, label: str, filename: str, batchnorm: bool, kaiming: bool):
    """Train one set-up for --steps steps under a health report; return the model, losses and report."""
    config = MLPBNConfig(
        data.tokenizer.vocab_size, args.block_size, args.n_embd, args.n_hidden, args.n_layers,
        batchnorm=batchnorm, init_gain=5 / 3 if kaiming else 1.0, kaiming=kaiming,
    )  # fmt: skip
    model = MLPBN(config, generator=tg.Generator(args.seed))
    optimizer = tg.optim.SGD(model.parameters(), lr=args.lr)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    health = HealthReport(
        model, every=args.health_every, saturation=SATURATED, jsonl=out / f"{filename}.jsonl"
    )
    X, Y = data.splits["train"]
    rng = np.random.default_rng(args.seed)
    losses = []
    for _ in training.progress(args.steps, desc=filename, disable=args.no_progress):
        rows = rng.integers(0, len(X), size=args.batch_size)
        _, loss = model(tg.Tensor(X[rows]), tg.Tensor(Y[rows]))
        optimizer.zero_grad()
        loss.backward()
        with health.update():
            optimizer.step()
        losses.append(loss.item())
    health.close()
    return model, losses, health


def main(argv=None):
    parser = training.make_parser(
        __doc__,
        steps=1000,
        batch_size=32,
        lr=0.1,
        out="runs/diagnose",
        interval_evaluations=False,
        resume=False,
    )
    model_args = parser.add_argument_group("model")
    model_args.add_argument("--block-size", type=int, default=3, help="characters of context")
    model_args.add_argument("--n-embd", type=int, default=10, help="embedding size per character")
    model_args.add_argument("--n-hidden", type=int, default=100, help="units per hidden layer")
    model_args.add_argument("--n-layers", type=int, default=5, help="hidden layers")
    parser.add_argument("--health-every", type=int, default=20, help="steps between health records")
    args = parser.parse_args(argv)
    training.check_positive(
        steps=args.steps, lr=args.lr, block_size=args.block_size, n_embd=args.n_embd, n_hidden=args.n_hidden,
        n_layers=args.n_layers, health_every=args.health_every,
    )  # fmt: skip
    training.check_out_folder(args.out)
    if args.batch_size < 2:
        raise ValueError("--batch-size must be at least 2 (BatchNorm normalises over the batch)")
    timer = training.Timer()
    data = common.NamesData.load(args.data, args.block_size)
    print(data.describe())
    out = Path(args.out)
    curves, summary = {}, {}
    for label, filename, batchnorm, kaiming in SETUPS:
        model, losses, health = run_setup(args, data, label, filename, batchnorm, kaiming)
        plot = health.save_png(
            out / f"{filename}.png", title=f"{label}, batch {args.batch_size}, lr {args.lr}"
        )
        last = health.records[-1]
        val = data.split_losses(model).get("val_loss", float("nan"))
        curves[label] = (list(range(len(losses))), losses)
        summary[filename] = {
            "val_loss": val,
            "saturated": [round(stats["saturated"], 3) for stats in last["activations"].values()],
            "update_data_log10": {
                name: round(p["update_data_log10"], 2)
                for name, p in last["params"].items()
                if len(p["shape"]) == 2
            },
            "plot": str(plot),
        }
        print(f"{label:32s} val {val:.4f}  saturated per layer {summary[filename]['saturated']}")
    comparison = training.plot_curves(
        out / "losses.png", curves, title=f"batch loss over the first {args.steps} steps",
        smooth={label: max(1, min(100, args.steps // 10)) for label in curves},
    )  # fmt: skip
    training.print_final_json({"setups": summary, "losses_plot": str(comparison), "seconds": timer.seconds})


if __name__ == "__main__":
    training.run_main(main)
