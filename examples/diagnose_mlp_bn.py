"""Look inside a deep tanh MLP while it trains: the figures of makemore's "activations, gradients and
BatchNorm" lesson, for four set-ups side by side:

    BatchNorm + Kaiming init       no BatchNorm + Kaiming init
    BatchNorm + bad init           no BatchNorm + bad init      (bad: weights N(0, 1), not N(0, (5/3)^2/fan_in))

    python examples/diagnose_mlp_bn.py                         # 1000 steps each, figures in runs/diagnose/
    python examples/diagnose_mlp_bn.py --steps 3000 --batch-size 64

For each set-up, one PNG with four panels, taken after the short training run:
  1. histograms of each hidden layer's tanh outputs; the legend gives the saturated fraction
     (|t| > 0.97): saturated units pass almost no gradient, since d tanh(x)/dx = 1 - tanh(x)^2;
  2. histograms of the gradients arriving at those tanh outputs (similar widths across layers are good);
  3. the distribution of each weight matrix's gradient, with its grad:data ratio std(grad) / std(weight);
  4. the update:data ratio std(lr * grad) / std(weight) of each layer over the steps, on a log scale with
     the 1e-3 guide line: far below it a layer learns too slowly, far above it too fast.
Plus one PNG comparing the four loss curves. All paths are printed, and a summary table.
"""

from __future__ import annotations

from pathlib import Path

import makemore_common as common
import numpy as np
import training_common as training

import tinygrad_edu as tg
from models.mlp_bn import MLPBN, MLPBNConfig
from tinygrad_edu import nn

SETUPS = [  # (label, file name, batchnorm, kaiming init)
    ("BatchNorm, Kaiming init", "bn_kaiming", True, True),
    ("no BatchNorm, Kaiming init", "nobn_kaiming", False, True),
    ("BatchNorm, bad init N(0,1)", "bn_badinit", True, False),
    ("no BatchNorm, bad init N(0,1)", "nobn_badinit", False, False),
]
SATURATED = 0.97


def weight_layers(model: MLPBN) -> list[tuple[str, tg.Tensor]]:
    """The 2-D weights: the embedding table, then each Linear's weight ("linear 1" .. "output")."""
    weights = [p for p in model.parameters() if p.ndim == 2]
    names = ["embedding"] + [f"linear {i}" for i in range(1, len(weights) - 1)] + ["output linear"]
    return list(zip(names, weights))


def run_setup(args, data, batchnorm: bool, kaiming: bool):
    """Train one set-up for --steps steps; return the model, its loss curve and update:data ratios."""
    config = MLPBNConfig(
        data.tokenizer.vocab_size, args.block_size, args.n_embd, args.n_hidden, args.n_layers,
        batchnorm=batchnorm, init_gain=5 / 3 if kaiming else 1.0, kaiming=kaiming,
    )  # fmt: skip
    model = MLPBN(config, generator=tg.Generator(args.seed))
    optimizer = tg.optim.SGD(model.parameters(), lr=args.lr)
    X, Y = data.splits["train"]
    rng = np.random.default_rng(args.seed)
    weights = weight_layers(model)
    ratios = np.zeros((args.steps, len(weights)))  # log10 update:data per step and layer
    losses = []
    for step in training.progress(
        args.steps, desc="batchnorm" if batchnorm else "no batchnorm", disable=args.no_progress
    ):
        rows = rng.integers(0, len(X), size=args.batch_size)
        _, loss = model(tg.Tensor(X[rows]), tg.Tensor(Y[rows]))
        optimizer.zero_grad()
        loss.backward()
        for i, (_, w) in enumerate(weights):
            ratios[step, i] = np.log10(args.lr * w.grad.data.std() / w.data.std())
        optimizer.step()
        losses.append(loss.item())
    return model, losses, ratios


def inspect_batch(model: MLPBN, data, args):
    """One forward and backward pass with every layer's output kept: (tanh outputs, their grads)."""
    X, Y = data.splits["train"]
    # a larger batch than in training, so the histograms are smooth (BatchNorm still in training mode)
    rows = np.random.default_rng(args.seed + 1).integers(0, len(X), size=max(args.batch_size, 1000))
    model.record = True
    _, loss = model(tg.Tensor(X[rows]), tg.Tensor(Y[rows]))
    model.zero_grad()
    loss.backward()
    model.record = False
    tanh_outputs = [out for layer, out in model.outputs if isinstance(layer, nn.Tanh)]
    return [t.data for t in tanh_outputs], [t.grad.data for t in tanh_outputs]


def common_span(arrays) -> tuple[float, float]:
    """One histogram range for every layer: 99% of all values. Each layer on its own bins, a few
    outliers stretch the range and the rest of the layer collapses into a single spike."""
    limit = float(np.percentile(np.abs(np.concatenate([a.ravel() for a in arrays])), 99)) or 1e-12
    return -limit, limit


def plot_setup(path: Path, label: str, model: MLPBN, ratios, activations, gradients, args) -> Path:
    training.use_agg_backend()
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(2, 2, figsize=(14, 9))
    figure.suptitle(
        f"{label}: after {args.steps} steps (batch {args.batch_size}, lr {args.lr}); histograms over 1000 examples"
    )

    ax = axes[0, 0]
    for i, t in enumerate(activations):
        counts, edges = np.histogram(t, bins=50, range=(-1, 1), density=True)
        saturated = (np.abs(t) > SATURATED).mean()
        ax.plot(
            (edges[:-1] + edges[1:]) / 2,
            counts,
            label=f"layer {i + 1}: mean {t.mean():+.2f}, std {t.std():.2f}, saturated {saturated:.0%}",
        )
    ax.set(title=f"tanh outputs (saturated: |t| > {SATURATED})", xlabel="activation", ylabel="density")
    ax.legend(fontsize=8)

    ax = axes[0, 1]
    span = common_span(gradients)
    for i, g in enumerate(gradients):
        counts, edges = np.histogram(g, bins=50, range=span, density=True)
        ax.plot((edges[:-1] + edges[1:]) / 2, counts, label=f"layer {i + 1}: std {g.std():.2e}")
    ax.set(title="gradients at the tanh outputs", xlabel="gradient", ylabel="density")
    ax.legend(fontsize=8)

    ax = axes[1, 0]
    span = common_span([w.grad.data for _, w in weight_layers(model)])
    for name, w in weight_layers(model):
        g = w.grad.data
        counts, edges = np.histogram(g, bins=50, range=span, density=True)
        ax.plot(
            (edges[:-1] + edges[1:]) / 2,
            counts,
            label=f"{name} {tuple(w.shape)}: grad:data {g.std() / w.data.std():.2e}",
        )
    ax.set(title="weight gradients (legend: std(grad) / std(weight))", xlabel="gradient", ylabel="density")
    ax.legend(fontsize=8)

    ax = axes[1, 1]
    for i, (name, _) in enumerate(weight_layers(model)):
        ax.plot(10 ** ratios[:, i], linewidth=0.8, label=name)
    ax.axhline(1e-3, color="black", linestyle="--", linewidth=1, label="1e-3 guide")
    ax.set_yscale("log")
    ax.set(title="update:data ratio, std(lr * grad) / std(weight)", xlabel="step", ylabel="ratio (log scale)")
    ax.legend(fontsize=8)
    figure.tight_layout()
    return training.save_figure(figure, path)


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
    args = parser.parse_args(argv)
    training.check_positive(
        steps=args.steps, lr=args.lr, block_size=args.block_size, n_embd=args.n_embd, n_hidden=args.n_hidden,
        n_layers=args.n_layers,
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
        model, losses, ratios = run_setup(args, data, batchnorm, kaiming)
        activations, gradients = inspect_batch(model, data, args)
        plot = plot_setup(out / f"{filename}.png", label, model, ratios, activations, gradients, args)
        val = data.split_losses(model).get("val_loss", float("nan"))
        curves[label] = (list(range(len(losses))), losses)
        summary[filename] = {
            "val_loss": val,
            "saturated": [round(float((np.abs(t) > SATURATED).mean()), 3) for t in activations],
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
