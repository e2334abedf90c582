"""The whole default training of examples/train_mlp.py, ours against the same training in torch, in one
run: the wall-time ratio, and both final losses side by side.

Both sides do the same work: read and split the names (our data module, pure Python, shared), then
--steps steps of minibatch SGD (batch 32, lr 0.1, dropped 10x at step 100k) on the MLP (emb 10,
hidden 200, block 3, the same initialisation), with train/val evaluation every 10,000 steps, then the
final train/val/test losses. Ours is train_mlp.py's own `main` (so its wall time also includes the
checkpoints at each evaluation, the loss plot and 20 samples, which torch's side skips: a slight
handicap for ours);
torch's side is written below with torch.nn. Both use --threads threads. Figures reported: each
side's wall seconds, the ratio, and the losses.

Run: python benchmarks/bench_train_mlp.py [--data data/names.txt] [--steps 200000] [--threads 1]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=type(
            "Formatter", (argparse.RawDescriptionHelpFormatter, argparse.ArgumentDefaultsHelpFormatter), {}
        ),
    )
    parser.add_argument("--data", default=str(ROOT / "data" / "names.txt"), help="one name per line")
    parser.add_argument("--steps", type=int, default=200_000, help="training steps (both sides)")
    parser.add_argument("--threads", type=int, default=2, help="BLAS threads (both sides)")
    parser.add_argument(
        "--order", choices=["ours-first", "torch-first"], default="ours-first", help="which side runs first"
    )
    return parser.parse_args(argv)


ARGS = parse_args()
for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[variable] = str(ARGS.threads)

import numpy as np  # noqa: E402

sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "examples"))
import makemore_common as common  # noqa: E402
import train_mlp  # noqa: E402

EVAL_INTERVAL, DECAY_STEP, BATCH, LR = 10_000, 100_000, 32, 0.1


def run_ours(args) -> dict:
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        result = train_mlp.main(
            ["--data", args.data, "--steps", str(args.steps), "--out", out, "--no-progress",
             "--eval-interval", str(min(EVAL_INTERVAL, args.steps))]
        )  # fmt: skip
        seconds = time.perf_counter() - start
    return {"seconds": seconds, **{k: result[k] for k in ("train_loss", "val_loss", "test_loss")}}


def run_torch(args) -> dict:
    import torch

    torch.set_num_threads(args.threads)
    start = time.perf_counter()
    data = common.NamesData.load(args.data, 3)
    splits = {name: (torch.from_numpy(X), torch.from_numpy(Y)) for name, (X, Y) in data.splits.items()}
    V = data.tokenizer.vocab_size
    torch.manual_seed(42)
    model = torch.nn.ModuleDict(
        {
            "wte": torch.nn.Embedding(V, 10),
            "hidden": torch.nn.Linear(30, 200),
            "output": torch.nn.Linear(200, V),
        }
    )
    with torch.no_grad():  # the same scaled initialisation as models/mlp.py
        torch.nn.init.normal_(model["hidden"].weight, std=(5 / 3) / 30**0.5)
        torch.nn.init.normal_(model["hidden"].bias, std=0.01)
        torch.nn.init.normal_(model["output"].weight, std=0.01)
        torch.nn.init.zeros_(model["output"].bias)

    def loss_of(X, Y):
        hidden = torch.tanh(model["hidden"](model["wte"](X).view(len(X), -1)))
        return torch.nn.functional.cross_entropy(model["output"](hidden), Y)

    def evaluate(name):
        X, Y = splits[name]
        with torch.no_grad():
            total = sum(
                loss_of(X[i : i + 8192], Y[i : i + 8192]).item() * len(X[i : i + 8192])
                for i in range(0, len(X), 8192)
            )
        return total / len(X)

    optimizer = torch.optim.SGD(model.parameters(), lr=LR)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=DECAY_STEP, gamma=0.1)
    X, Y = splits["train"]
    rng = np.random.default_rng(42)
    for step in range(args.steps):
        rows = torch.from_numpy(rng.integers(0, len(X), size=BATCH))
        loss = loss_of(X[rows], Y[rows])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        scheduler.step()
        loss.item()  # ours reads every batch loss for the progress bar and curve; so does this side
        if (step + 1) % min(EVAL_INTERVAL, args.steps) == 0:
            evaluate("train"), evaluate("val")
    losses = {f"{name}_loss": evaluate(name) for name in ("train", "val", "test")}
    return {"seconds": time.perf_counter() - start, **losses}


def main() -> None:
    args = ARGS
    order = [("ours", run_ours), ("torch", run_torch)]
    if args.order == "torch-first":
        order.reverse()
    results = {name: runner(args) for name, runner in order}
    ratio = results["ours"]["seconds"] / results["torch"]["seconds"]
    print(f"{'side':6} {'seconds':>9} {'train':>7} {'val':>7} {'test':>7}")
    for name in ("ours", "torch"):
        r = results[name]
        print(
            f"{name:6} {r['seconds']:9.1f} {r['train_loss']:7.4f} {r['val_loss']:7.4f} {r['test_loss']:7.4f}"
        )
    print(f"wall-time ratio ours / torch: {ratio:.2f} ({args.steps:,} steps, {args.threads} threads)")
    summary = {"benchmark": "train_mlp whole training", "data": args.data, "steps": args.steps,
               "threads": args.threads, "ratio": round(ratio, 3),
               **{name: {k: round(v, 4) for k, v in r.items()} for name, r in results.items()}}  # fmt: skip
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
