"""Backprop by hand: the character MLP's backward pass written tensor by tensor, checked against autograd.

    python examples/manual_backprop_mlp.py
    python examples/manual_backprop_mlp.py --steps 2000 --n-hidden 100

The forward pass of models/mlp.py is spelled out in small steps (the cross-entropy too), each
intermediate keeps its autograd gradient (`retain_grad`), and then every gradient is derived again by
hand in numpy, from the loss back to the embedding table. For each one the script prints the largest
difference from autograd; in float64 they all agree to ~1e-15 (the check fails above 1e-6).
Finally the hand-written gradients alone train the model for --steps steps, and the loss falls.

Shapes: B batch, T block_size, C n_embd, H n_hidden, V vocab_size.
"""

from __future__ import annotations

import makemore_common as common
import numpy as np
import training_common as training

import tinygrad_edu as tg
from models.mlp import MLP, MLPConfig

TOLERANCE = 1e-6


def forward(model: MLP, Xb: np.ndarray, Yb: np.ndarray) -> dict[str, tg.Tensor]:
    """The MLP's forward pass in atomic steps; returns every intermediate by name (loss last)."""
    C, W1, b1 = model.wte.weight, model.hidden.weight, model.hidden.bias  # W1 is (H, T*C), as nn.Linear
    W2, b2 = model.output.weight, model.output.bias
    B = len(Xb)
    steps = {}
    steps["emb"] = C[tg.Tensor(Xb)]  # (B, T, C)
    steps["embcat"] = steps["emb"].reshape(B, -1)  # (B, T*C)
    steps["hprebn"] = steps["embcat"] @ W1.T + b1  # (B, H)   (named hpreact in makemore)
    steps["h"] = steps["hprebn"].tanh()  # (B, H)
    steps["logits"] = steps["h"] @ W2.T + b2  # (B, V)
    # cross-entropy, step by step: subtract the row max (for stability), softmax, pick, average
    steps["logit_maxes"] = steps["logits"].max(1, keepdim=True)[0]  # (B, 1)
    steps["norm_logits"] = steps["logits"] - steps["logit_maxes"]  # (B, V)
    steps["counts"] = steps["norm_logits"].exp()  # (B, V)
    steps["counts_sum"] = steps["counts"].sum(1, keepdim=True)  # (B, 1)
    steps["counts_sum_inv"] = steps["counts_sum"] ** -1  # (B, 1)
    steps["probs"] = steps["counts"] * steps["counts_sum_inv"]  # (B, V)
    steps["logprobs"] = steps["probs"].log()  # (B, V)
    steps["loss"] = -steps["logprobs"][np.arange(B), Yb].mean()  # ()
    return steps


def manual_backward(model: MLP, steps: dict[str, tg.Tensor], Xb: np.ndarray, Yb: np.ndarray) -> dict:
    """d loss / d (every intermediate and parameter), in numpy, from the loss backwards."""
    v = {name: t.data for name, t in steps.items()}  # the forward values
    W1, W2 = model.hidden.weight.data, model.output.weight.data
    B = len(Xb)
    d = {}
    # loss = -mean_i logprobs[i, Y_i]: each picked entry gets -1/B, the others nothing
    d["logprobs"] = np.zeros_like(v["logprobs"])
    d["logprobs"][np.arange(B), Yb] = -1.0 / B
    d["probs"] = d["logprobs"] / v["probs"]  # d log(p) = 1/p
    # probs = counts * counts_sum_inv (broadcast over V): product rule, summing where it broadcast
    d["counts_sum_inv"] = (d["probs"] * v["counts"]).sum(1, keepdims=True)
    d["counts"] = d["probs"] * v["counts_sum_inv"]
    d["counts_sum"] = d["counts_sum_inv"] * -(v["counts_sum"] ** -2)  # d x^-1 = -x^-2
    d["counts"] = d["counts"] + d["counts_sum"]  # the sum passes its gradient to every term
    d["norm_logits"] = d["counts"] * v["counts"]  # d exp(x) = exp(x)
    d["logit_maxes"] = -d["norm_logits"].sum(1, keepdims=True)
    d["logits"] = d["norm_logits"].copy()
    # the max picks one entry per row: route the max's gradient there (it is ~0: the max cancels out)
    d["logits"][np.arange(B), v["logits"].argmax(1)] += d["logit_maxes"][:, 0]
    # logits = h @ W2.T + b2
    d["h"] = d["logits"] @ W2
    d["output.weight"] = d["logits"].T @ v["h"]
    d["output.bias"] = d["logits"].sum(0)
    d["hprebn"] = d["h"] * (1.0 - v["h"] ** 2)  # d tanh(x) = 1 - tanh(x)^2
    # hprebn = embcat @ W1.T + b1
    d["embcat"] = d["hprebn"] @ W1
    d["hidden.weight"] = d["hprebn"].T @ v["embcat"]
    d["hidden.bias"] = d["hprebn"].sum(0)
    d["emb"] = d["embcat"].reshape(v["emb"].shape)
    # emb = C[Xb]: every use of a row adds to that row's gradient (np.add.at adds repeated indices)
    d["wte.weight"] = np.zeros_like(model.wte.weight.data)
    np.add.at(d["wte.weight"], Xb, d["emb"])
    return d


def check(model: MLP, Xb: np.ndarray, Yb: np.ndarray) -> float:
    """Print hand-written vs autograd gradients; return the largest difference."""
    steps = forward(model, Xb, Yb)
    for tensor in steps.values():
        tensor.retain_grad()
    model.zero_grad()
    steps["loss"].backward()
    reference_loss = tg.nn.functional.cross_entropy(steps["logits"].detach(), tg.Tensor(Yb)).item()
    print(f"loss {steps['loss'].item():.6f} (F.cross_entropy: {reference_loss:.6f})")
    manual = manual_backward(model, steps, Xb, Yb)
    autograd = {name: t.grad.data for name, t in steps.items() if name != "loss"}
    autograd.update({name: p.grad.data for name, p in model.named_parameters()})
    print(f"{'gradient of':>16} {'shape':>14} {'max |manual - autograd|':>25}")
    worst = abs(steps["loss"].item() - reference_loss)
    for name, grad in manual.items():
        difference = float(np.abs(grad - autograd[name]).max())
        worst = max(worst, difference)
        flag = "ok" if difference < TOLERANCE else "MISMATCH"
        print(f"{name:>16} {str(grad.shape):>14} {difference:>25.3e}  {flag}")
    return worst


def main(argv=None):
    parser = training.make_parser(
        __doc__, steps=1000, batch_size=32, lr=0.1, out=None, interval_evaluations=False, resume=False
    )
    parser.add_argument("--n-hidden", type=int, default=64, help="hidden tanh units")
    args = parser.parse_args(argv)
    if args.steps < 0:
        raise ValueError(f"--steps must not be negative, got {args.steps}")
    training.check_positive(batch_size=args.batch_size, lr=args.lr, n_hidden=args.n_hidden)
    data = common.NamesData.load(args.data, block_size=3)
    print(data.describe())
    config = MLPConfig(data.tokenizer.vocab_size, 3, 10, args.n_hidden)
    model = MLP(config, generator=tg.Generator(args.seed)).double()  # float64: differences are round-off only
    X, Y = data.splits["train"]
    rng = np.random.default_rng(args.seed)
    rows = rng.integers(0, len(X), size=args.batch_size)
    worst = check(model, X[rows], Y[rows])
    print(
        f"largest difference: {worst:.3e} ({'all under' if worst < TOLERANCE else 'NOT all under'} {TOLERANCE})"
    )

    # the hand-written gradients are all it takes to train
    losses = []
    for _ in training.progress(args.steps, desc="manual SGD", disable=args.no_progress):
        rows = rng.integers(0, len(X), size=args.batch_size)
        with tg.no_grad():
            steps = forward(model, X[rows], Y[rows])
            grads = manual_backward(model, steps, X[rows], Y[rows])
            for name, p in model.named_parameters():
                p.data -= args.lr * grads[name]
        losses.append(steps["loss"].item())
    if losses:
        window = min(100, len(losses))
        print(f"manual-gradient training: batch loss {np.mean(losses[:window]):.4f} (first {window} steps) -> "
              f"{np.mean(losses[-window:]):.4f} (last {window})")  # fmt: skip
    training.print_final_json(
        {"max_difference": worst, "passed": worst < TOLERANCE, "train_loss_start": losses[0] if losses else None,
         "train_loss_end": float(np.mean(losses[-100:])) if losses else None}
    )  # fmt: skip
    if worst >= TOLERANCE:
        raise ValueError(f"a hand-written gradient differs from autograd by {worst:.3e}")


if __name__ == "__main__":
    training.run_main(main)
