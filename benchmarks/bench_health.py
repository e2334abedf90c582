"""What the training-health report (`tinygrad_edu.health.HealthReport`) costs: training steps of the
makemore MLP+BatchNorm and of the char GPT, timed without a report and with one recording every
`--every` steps, in one run.

A timed step is forward + loss + zero_grad + backward + (GPT: clip_grad_norm_) + optimizer step; with a
report the optimizer step runs inside `report.update()` and report steps also copy the parameters and
compute the statistics. Each step's CPU time (process time, one thread: other programs on the machine
do not count) is measured; the variants alternate in blocks of `--block` steps. The overhead is
((every - 1) x median other step + median report step) / every, over the median step without a report.
Without a report the model has no hooks: the code path is the plain training step.

Run: python benchmarks/bench_health.py [--every 100] [--block 100] [--blocks 5]
Prints a table and one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")  # one thread: CPU time then measures the work itself

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import tinygrad_edu as tg  # noqa: E402
from models.gpt import GPT, GPTConfig  # noqa: E402
from models.mlp_bn import MLPBN, MLPBNConfig  # noqa: E402
from tinygrad_edu.health import HealthReport  # noqa: E402
from tinygrad_edu.nn.utils import clip_grad_norm_  # noqa: E402


def mlp_bn_task():
    model = MLPBN(MLPBNConfig(27, 3, 10, 100, 5), generator=tg.Generator(0))
    optimizer = tg.optim.SGD(model.parameters(), lr=0.1)
    rng = np.random.default_rng(0)

    def batch():
        return tg.Tensor(rng.integers(0, 27, (32, 3))), tg.Tensor(rng.integers(0, 27, (32,)))

    return "MLP+BatchNorm (5 x 100 tanh, batch 32)", model, optimizer, batch, None


def gpt_task():
    model = GPT(
        GPTConfig(block_size=16, vocab_size=27, n_layer=4, n_head=4, n_embd=64), generator=tg.Generator(0)
    )
    optimizer = tg.optim.AdamW(model.parameters(), lr=1e-3)
    rng = np.random.default_rng(0)

    def batch():
        ids = rng.integers(0, 27, (32, 17))
        return tg.Tensor(ids[:, :-1]), tg.Tensor(ids[:, 1:])

    return "GPT (4 layers, 64 wide, block 16, batch 32)", model, optimizer, batch, 1.0


def run_steps(model, optimizer, batch, clip, report, steps: int) -> list[tuple[bool, float]]:
    """(was it a report step, CPU seconds) for each step."""
    times = []
    for _ in range(steps):
        recording = report is not None and report.recording
        start = time.process_time()
        x, y = batch()
        _, loss = model(x, y)
        optimizer.zero_grad()
        loss.backward()
        norm = clip_grad_norm_(model.parameters(), clip) if clip else None
        if report is None:
            optimizer.step()
        else:
            with report.update(grad_norm=norm):
                optimizer.step()
        times.append((recording, time.process_time() - start))
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--every", type=int, default=100, help="steps between health records")
    parser.add_argument("--block", type=int, default=100, help="steps per block (variants alternate)")
    parser.add_argument("--blocks", type=int, default=4, help="blocks per variant")
    args = parser.parse_args()
    results = {}
    for make in (mlp_bn_task, gpt_task):
        # two copies of the same set-up: the report's hooks stay on its own model between its blocks
        name, model, optimizer, batch, clip = make()
        _, watched_model, watched_optimizer, watched_batch, _ = make()
        report = HealthReport(watched_model, every=args.every, max_grad_norm=clip)
        run_steps(model, optimizer, batch, clip, None, 10)  # warm-up
        plain, watched = [], []
        for _ in range(args.blocks):
            plain += [t for _, t in run_steps(model, optimizer, batch, clip, None, args.block)]
            watched += run_steps(watched_model, watched_optimizer, watched_batch, clip, report, args.block)
        off = statistics.median(plain)
        other = statistics.median([t for recording, t in watched if not recording])
        record = statistics.median([t for recording, t in watched if recording])
        amortised = ((args.every - 1) * other + record) / args.every
        results[name] = {
            "ms_step_off": 1000 * off,
            "ms_step_on_not_recording": 1000 * other,
            "ms_step_on_recording": 1000 * record,
            "overhead_percent": 100 * (amortised / off - 1),
            "records": len(report.records),
        }
    print(
        f"health report every {args.every} steps; CPU time per step, medians over {args.blocks} x {args.block} steps"
    )
    print(f"{'model':44s} {'off':>8s} {'on, other':>10s} {'on, record':>11s} {'overhead':>9s}")
    for name, r in results.items():
        print(
            f"{name:44s} {r['ms_step_off']:6.2f}ms {r['ms_step_on_not_recording']:8.2f}ms "
            f"{r['ms_step_on_recording']:9.2f}ms {r['overhead_percent']:+8.1f}%"
        )
    print(json.dumps({"every": args.every, "block": args.block, "blocks": args.blocks, "results": results}))


if __name__ == "__main__":
    main()
