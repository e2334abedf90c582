"""Workload 2 of ../shared/BENCHMARKS.md: milliseconds per makemore MLP training step, ours against
torch (../shared/bench/torch_makemore_mlp.py, imported and run in this process), plain and BatchNorm
variants, in one run; then our resident memory over 20,000 steps (it must stay flat: graphs are freed).

The step is the reference's exactly: sample a batch of 32 (contexts of 3) from 200,000 random-int
examples, embed (27 x 10), concatenate, Linear 30 -> 200 (+ bias, or bias-free + BatchNorm1d(200)),
tanh, Linear 200 -> 27, cross-entropy, backward, SGD lr 0.1 written as `p.data += -lr * p.grad`.
Ours is timed in two spellings:
  "raw":    the reference's own style with tg tensors (C, W1, b1, W2, b2; same initialisation);
  "module": models/mlp.py's MLP (nn.Embedding, nn.Linear) with tg.optim.SGD, as train_mlp.py runs.
Rounds alternate (ours, torch, ours, torch, ...) so a noisy neighbour slows both sides; each figure
is the median over all timed steps. Both sides use --threads threads (numpy's BLAS through
OMP_NUM_THREADS/OPENBLAS_NUM_THREADS, set before numpy is imported; torch.set_num_threads).

Run: python benchmarks/bench_makemore_step.py [--rounds 5] [--steps 400] [--memory-steps 20000]
     [--floor] [--shared ../shared]
Prints a table and, last, one JSON line.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds per variant")
    parser.add_argument("--steps", type=int, default=400, help="timed steps per round and side")
    parser.add_argument("--warmup", type=int, default=100, help="untimed steps per side first")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--memory-steps", type=int, default=20_000, help="steps of ours for the RSS check (0: skip)"
    )
    parser.add_argument("--floor", action="store_true", help="also run the hand-written numpy floor")
    parser.add_argument("--shared", default=str(ROOT.parent / "shared"), help="the shared material folder")
    return parser.parse_args(argv)


ARGS = parse_args()
for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[variable] = str(ARGS.threads)  # before numpy is imported

import numpy as np  # noqa: E402

sys.path.insert(0, str(ROOT))
import tinygrad_edu as tg  # noqa: E402
from models.mlp import MLP, MLPConfig  # noqa: E402
from tinygrad_edu.nn import functional as F  # noqa: E402

VOCAB, BLOCK, N_EMBD, N_HIDDEN, BATCH, LR, N = 27, 3, 10, 200, 32, 0.1, 200_000


def rss_mb() -> float:
    """This process's resident memory now (VmRSS), in MB."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


class OursRaw:
    """The reference step, line for line, with tg tensors."""

    def __init__(self, X, Y, bn: bool, seed: int = 2147483647):
        g = tg.Generator(seed)
        self.X, self.Y, self.bn, self.g = X, Y, bn, g
        self.C = tg.randn(VOCAB, N_EMBD, generator=g)
        self.W1 = tg.randn(N_EMBD * BLOCK, N_HIDDEN, generator=g) * (5 / 3) / (N_EMBD * BLOCK) ** 0.5
        self.W2 = tg.randn(N_HIDDEN, VOCAB, generator=g) * 0.01
        self.b2 = tg.randn(VOCAB, generator=g) * 0
        self.params = [self.C, self.W1, self.W2, self.b2]
        if bn:
            self.bnlayer = tg.nn.BatchNorm1d(N_HIDDEN)
            self.all_params = self.params + list(self.bnlayer.parameters())
        else:
            self.b1 = tg.randn(N_HIDDEN, generator=g) * 0.01
            self.params.append(self.b1)
            self.all_params = self.params
        for p in self.params:
            p.requires_grad = True

    def step(self) -> float:
        ix = tg.randint(0, N, (BATCH,), generator=self.g)
        Xb, Yb = self.X[ix], self.Y[ix]
        emb = self.C[Xb]
        embcat = emb.view(emb.shape[0], -1)
        hpreact = self.bnlayer(embcat @ self.W1) if self.bn else embcat @ self.W1 + self.b1
        h = hpreact.tanh()
        logits = h @ self.W2 + self.b2
        loss = F.cross_entropy(logits, Yb)
        for p in self.all_params:
            p.grad = None
        loss.backward()
        for p in self.all_params:
            p.data += -LR * p.grad.data
        return loss


class OursModule:
    """models/mlp.py with tg.optim.SGD: what examples/train_mlp.py runs (plain variant only)."""

    def __init__(self, X, Y, seed: int = 0):
        self.X, self.Y = X.data, Y.data
        self.model = MLP(MLPConfig(VOCAB, BLOCK, N_EMBD, N_HIDDEN), generator=tg.Generator(seed))
        self.optimizer = tg.optim.SGD(self.model.parameters(), lr=LR)
        self.rng = np.random.default_rng(seed)

    def step(self):
        rows = self.rng.integers(0, N, size=BATCH)
        _, loss = self.model(tg.Tensor(self.X[rows]), tg.Tensor(self.Y[rows]))
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        return loss


def timed(step, count: int) -> list[float]:
    times = []
    for _ in range(count):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return times


def load_reference(shared: Path):
    path = shared / "bench" / "torch_makemore_mlp.py"
    if not path.is_file():
        sys.exit(f"error: reference script not found: {path} (pass --shared)")
    spec = importlib.util.spec_from_file_location("torch_makemore_mlp", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> None:
    args = ARGS
    shared = Path(args.shared)
    reference = load_reference(shared)
    torch = reference.torch
    torch.set_num_threads(args.threads)

    gd = torch.Generator().manual_seed(42)  # the reference's data, shared by both sides
    Xtr = torch.randint(0, VOCAB, (N, BLOCK), generator=gd)
    Ytr = torch.randint(0, VOCAB, (N,), generator=gd)
    X, Y = tg.Tensor(Xtr.numpy()), tg.Tensor(Ytr.numpy())

    results: dict = {"workload": "makemore_mlp (BENCHMARKS.md #2)", "threads": args.threads,
                     "torch": torch.__version__, "numpy": np.__version__}  # fmt: skip
    for variant in ("plain", "bn"):
        sides = {"ours raw": OursRaw(X, Y, bn=variant == "bn")}
        if variant == "plain":
            sides["ours module"] = OursModule(X, Y)
        times = {name: [] for name in [*sides, "torch"]}
        for side in sides.values():
            timed(side.step, args.warmup)
        reference.run(variant, Xtr, Ytr, VOCAB, 10, args.warmup, 1)  # torch warm-up
        for _ in range(args.rounds):
            for name, side in sides.items():
                times[name] += timed(side.step, args.steps)
            # the reference's own timed loop, run for one round; it reports the median of its steps
            out = reference.run(variant, Xtr, Ytr, VOCAB, args.steps, 0, 2147483647)
            times["torch"].append(out["ms_per_step_median"] / 1000)
        medians = {name: 1000 * statistics.median(values) for name, values in times.items()}
        results[variant] = {
            "ms_per_step": {name: round(ms, 4) for name, ms in medians.items()},
            "ratio_to_torch": {name: round(ms / medians["torch"], 3) for name, ms in medians.items() if name != "torch"},
        }  # fmt: skip

    if args.floor:
        floor = subprocess.run(
            [sys.executable, str(shared / "bench" / "numpy_makemore_floor.py")], capture_output=True, text=True,
            env={**os.environ},
        )  # fmt: skip
        if floor.returncode == 0:
            floor_result = json.loads(floor.stdout.strip().splitlines()[-1])
            results["numpy_floor_ms"] = floor_result.get("plain", {}).get("ms_per_step_median")

    if args.memory_steps:
        side = OursRaw(X, Y, bn=False)
        samples = []
        for step in range(args.memory_steps):
            side.step()
            if step % 1000 == 0 or step == args.memory_steps - 1:
                samples.append(rss_mb())
        results["memory"] = {
            "steps": args.memory_steps,
            "rss_mb_first": round(samples[0], 1),
            "rss_mb_last": round(samples[-1], 1),
            "rss_mb_max": round(max(samples), 1),
            "samples_every_1000_steps": [round(s, 1) for s in samples],
        }

    print(f"{'variant':8} {'side':12} {'ms/step':>9} {'x torch':>8}")
    for variant in ("plain", "bn"):
        for name, ms in results[variant]["ms_per_step"].items():
            ratio = results[variant]["ratio_to_torch"].get(name, 1.0)
            print(f"{variant:8} {name:12} {ms:9.4f} {ratio:8.3f}")
    if "numpy_floor_ms" in results:
        print(f"numpy floor (plain, hand-written): {results['numpy_floor_ms']} ms/step")
    if "memory" in results:
        memory = results["memory"]
        print(f"RSS over {memory['steps']:,} steps of ours: first {memory['rss_mb_first']} MB, "
              f"last {memory['rss_mb_last']} MB, max {memory['rss_mb_max']} MB")  # fmt: skip
    print(json.dumps(results))


if __name__ == "__main__":
    main()
