"""Milliseconds per makemore MLP training step: ours against torch and MyGrad (both from PyPI, their
step written here in the same lines), plain and BatchNorm variants, in one run; then our resident
memory over many steps (it must stay flat: graphs are freed).

The step: sample a batch of 32 contexts of 3 characters from 200,000 random examples, embed them
(27 x 10), concatenate, Linear 30 -> 200 (+ bias, or bias-free + BatchNorm1d(200) in training mode),
tanh, Linear 200 -> 27, cross-entropy, backward, SGD with lr 0.1 written as `p.data -= lr * p.grad`.
Sides:
  ours          tg tensors in exactly that spelling, with F.cross_entropy;
  ours module   models/mlp.py's MLP (nn.Embedding, nn.Linear) with tg.optim.SGD (plain only);
  torch         torch 2.x tensors, the same lines, torch.nn.functional.cross_entropy;
  mygrad        MyGrad tensors (also numpy underneath), the same lines, softmax_crossentropy and
                mygrad's batchnorm (training statistics only: it keeps no running averages).
Rounds alternate between the sides, so a noisy neighbour slows all of them; each figure is the median
over every timed step. All sides use --threads threads (numpy's BLAS through OMP_NUM_THREADS and
OPENBLAS_NUM_THREADS, set before numpy is imported; torch.set_num_threads).

Run: python benchmarks/bench_makemore_step.py [--threads 1] [--rounds 5] [--steps 400]
     [--memory-steps 20000]
Prints a table of ms/step with ratios to torch and to MyGrad and, last, one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
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
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument(
        "--memory-steps", type=int, default=20_000, help="steps of ours for the RSS check (0: skip)"
    )
    return parser.parse_args(argv)


ARGS = parse_args() if __name__ == "__main__" else None
if ARGS is not None:
    for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[variable] = str(ARGS.threads)  # before numpy is imported

import numpy as np  # noqa: E402

sys.path.insert(0, str(ROOT))
import tinygrad_edu as tg  # noqa: E402
from models.mlp import MLP, MLPConfig  # noqa: E402
from tinygrad_edu.nn import functional as F  # noqa: E402

VOCAB, BLOCK, N_EMBD, N_HIDDEN, BATCH, LR, N = 27, 3, 10, 200, 32, 0.1, 200_000


def initial_weights(seed: int = 0) -> dict:
    """The same starting point for every side (float32 numpy arrays)."""
    rng = np.random.default_rng(seed)
    normal = lambda *shape: rng.standard_normal(shape).astype(np.float32)  # noqa: E731
    return {
        "C": normal(VOCAB, N_EMBD),
        "W1": normal(N_EMBD * BLOCK, N_HIDDEN) * np.float32((5 / 3) / (N_EMBD * BLOCK) ** 0.5),
        "b1": normal(N_HIDDEN) * np.float32(0.01),
        "W2": normal(N_HIDDEN, VOCAB) * np.float32(0.01),
        "b2": np.zeros(VOCAB, dtype=np.float32),
    }


class Ours:
    def __init__(self, X: np.ndarray, Y: np.ndarray, bn: bool, seed: int = 1):
        w = initial_weights()
        self.X, self.Y, self.bn, self.g = tg.tensor(X), tg.tensor(Y), bn, tg.Generator(seed)
        self.C, self.W1, self.W2, self.b2 = (
            tg.tensor(w[k], requires_grad=True) for k in ("C", "W1", "W2", "b2")
        )
        self.params = [self.C, self.W1, self.W2, self.b2]
        if bn:
            self.norm = tg.nn.BatchNorm1d(N_HIDDEN)
            self.params += list(self.norm.parameters())
        else:
            self.b1 = tg.tensor(w["b1"], requires_grad=True)
            self.params.append(self.b1)

    def step(self) -> float:
        ix = tg.randint(0, N, (BATCH,), generator=self.g)
        Xb, Yb = self.X[ix], self.Y[ix]
        emb = self.C[Xb]
        embcat = emb.view(emb.shape[0], -1)
        hpreact = self.norm(embcat @ self.W1) if self.bn else embcat @ self.W1 + self.b1
        h = hpreact.tanh()
        logits = h @ self.W2 + self.b2
        loss = F.cross_entropy(logits, Yb)
        for p in self.params:
            p.grad = None
        loss.backward()
        for p in self.params:
            p.data -= LR * p.grad.data
        return loss


class OursModule:
    """models/mlp.py with tg.optim.SGD: what examples/train_mlp.py runs (plain variant only)."""

    def __init__(self, X: np.ndarray, Y: np.ndarray, seed: int = 0):
        self.X, self.Y = X, Y
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


class Torch:
    def __init__(self, X: np.ndarray, Y: np.ndarray, bn: bool, seed: int = 1):
        import torch

        self.torch, self.F = torch, torch.nn.functional
        w = initial_weights()
        self.X, self.Y, self.bn = torch.from_numpy(X), torch.from_numpy(Y), bn
        self.g = torch.Generator().manual_seed(seed)
        self.C, self.W1, self.W2, self.b2 = (
            torch.tensor(w[k], requires_grad=True) for k in ("C", "W1", "W2", "b2")
        )
        self.params = [self.C, self.W1, self.W2, self.b2]
        if bn:
            self.norm = torch.nn.BatchNorm1d(N_HIDDEN)
            self.params += list(self.norm.parameters())
        else:
            self.b1 = torch.tensor(w["b1"], requires_grad=True)
            self.params.append(self.b1)

    def step(self):
        ix = self.torch.randint(0, N, (BATCH,), generator=self.g)
        Xb, Yb = self.X[ix], self.Y[ix]
        emb = self.C[Xb]
        embcat = emb.view(emb.shape[0], -1)
        hpreact = self.norm(embcat @ self.W1) if self.bn else embcat @ self.W1 + self.b1
        h = hpreact.tanh()
        logits = h @ self.W2 + self.b2
        loss = self.F.cross_entropy(logits, Yb)
        for p in self.params:
            p.grad = None
        loss.backward()
        for p in self.params:
            p.data -= LR * p.grad
        return loss


class MyGrad:
    def __init__(self, X: np.ndarray, Y: np.ndarray, bn: bool, seed: int = 1):
        import mygrad as mg
        from mygrad.nnet.layers import batchnorm
        from mygrad.nnet.losses import softmax_crossentropy

        self.mg, self.batchnorm, self.loss_fn = mg, batchnorm, softmax_crossentropy
        w = initial_weights()
        self.X, self.Y, self.bn, self.rng = X, Y, bn, np.random.default_rng(seed)
        self.C, self.W1, self.W2, self.b2 = (mg.tensor(w[k]) for k in ("C", "W1", "W2", "b2"))
        self.params = [self.C, self.W1, self.W2, self.b2]
        if bn:
            self.gamma = mg.tensor(np.ones(N_HIDDEN, dtype=np.float32))
            self.beta = mg.tensor(np.zeros(N_HIDDEN, dtype=np.float32))
            self.params += [self.gamma, self.beta]
        else:
            self.b1 = mg.tensor(w["b1"])
            self.params.append(self.b1)

    def step(self):
        ix = self.rng.integers(0, N, size=BATCH)
        Xb, Yb = self.X[ix], self.Y[ix]
        emb = self.C[Xb]
        embcat = emb.reshape(emb.shape[0], -1)
        if self.bn:
            hpreact = self.batchnorm(embcat @ self.W1, gamma=self.gamma, beta=self.beta, eps=1e-5)
        else:
            hpreact = embcat @ self.W1 + self.b1
        h = self.mg.tanh(hpreact)
        logits = h @ self.W2 + self.b2
        loss = self.loss_fn(logits, Yb)
        loss.backward()
        for p in self.params:
            p.data -= LR * p.grad
        return loss


def rss_mb() -> float:
    """This process's resident memory now (VmRSS), in MB."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def timed(step, count: int) -> list[float]:
    times = []
    for _ in range(count):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    args = ARGS
    import torch

    torch.set_num_threads(args.threads)
    data = np.random.default_rng(42)
    X = data.integers(0, VOCAB, (N, BLOCK), dtype=np.int64)
    Y = data.integers(0, VOCAB, (N,), dtype=np.int64)

    results: dict = {"workload": "makemore_mlp_step", "threads": args.threads, "torch": torch.__version__,
                     "numpy": np.__version__}  # fmt: skip
    for variant in ("plain", "bn"):
        bn = variant == "bn"
        sides = {"ours": Ours(X, Y, bn)}
        if not bn:
            sides["ours module"] = OursModule(X, Y)
        sides["torch"], sides["mygrad"] = Torch(X, Y, bn), MyGrad(X, Y, bn)
        for side in sides.values():
            timed(side.step, args.warmup)
        times = {name: [] for name in sides}
        for _ in range(args.rounds):
            for name, side in sides.items():
                times[name] += timed(side.step, args.steps)
        ms = {name: 1000 * statistics.median(values) for name, values in times.items()}
        results[variant] = {
            "ms_per_step": {name: round(value, 4) for name, value in ms.items()},
            "ratio_to_torch": {name: round(value / ms["torch"], 3) for name, value in ms.items()},
            "ratio_to_mygrad": {name: round(value / ms["mygrad"], 3) for name, value in ms.items()},
        }

    if args.memory_steps:
        side = Ours(X, Y, bn=False)
        samples = []
        for step in range(args.memory_steps):
            side.step()
            if step % 1000 == 0 or step == args.memory_steps - 1:
                samples.append(rss_mb())
        results["memory"] = {"steps": args.memory_steps, "rss_mb_first": round(samples[0], 1),
                             "rss_mb_last": round(samples[-1], 1), "rss_mb_max": round(max(samples), 1)}  # fmt: skip

    print(f"threads: {args.threads}")
    print(f"{'variant':8} {'side':12} {'ms/step':>9} {'x torch':>8} {'x mygrad':>9}")
    for variant in ("plain", "bn"):
        for name, value in results[variant]["ms_per_step"].items():
            to_torch, to_mygrad = (
                results[variant]["ratio_to_torch"][name],
                results[variant]["ratio_to_mygrad"][name],
            )
            print(f"{variant:8} {name:12} {value:9.4f} {to_torch:8.3f} {to_mygrad:9.3f}")
    if "memory" in results:
        memory = results["memory"]
        print(f"RSS over {memory['steps']:,} steps of ours: first {memory['rss_mb_first']} MB, "
              f"last {memory['rss_mb_last']} MB, max {memory['rss_mb_max']} MB")  # fmt: skip
    print(json.dumps(results))


if __name__ == "__main__":
    main()
