"""Benchmark workload 1: our scalar engine against micrograd 0.1.0 on the micrograd moons demo.

Same model (MLP(2, [16, 16, 1]), weights drawn with `random.seed(seed)`), same 100 two-moons points,
same SVM loss with L2 1e-4, same SGD schedule, 20 steps. micrograd runs through the reference script
`../shared/bench/micrograd_moons.py` (in a subprocess, `--gc both`): once as users run it (Python's
default garbage collector) and once with the collector off in the timed region. Ours runs in this
process with the default collector, before and after micrograd (the machines are noisy, so we take
the median step over both runs). Our neurons use the fused `dot` node; the table also shows our
engine on micrograd's own graph shape (one node per `*` and `+`). Prints a table and one JSON line.

Run: python benchmarks/bench_scalar.py [--steps 20] [--seed 1337] [--shared ../shared]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO_ROOT, "examples"))  # reuse the demo's data and loss
sys.path.insert(0, REPO_ROOT)

from train_moons import make_moons, train_step  # noqa: E402

from tinygrad_edu.scalar_nn import MLP  # noqa: E402


def time_ours(steps: int, seed: int, fused: bool = True) -> tuple[list[float], float]:
    """Seconds of each training step of a fresh seeded model, and the final loss.

    fused=False builds each neuron from `*` and `+` nodes, the same graph as micrograd (65k nodes).
    """
    random.seed(seed)
    points, labels01 = make_moons(100, noise=0.1, seed=seed)
    labels = (labels01 * 2 - 1).tolist()
    points = points.tolist()
    model = MLP(2, [16, 16, 1], fused=fused)
    step_seconds, loss = [], float("nan")
    for step in range(steps):
        start = time.perf_counter()
        loss, _ = train_step(model, points, labels, step)
        step_seconds.append(time.perf_counter() - start)
    return step_seconds, loss


def run_micrograd(script: str, steps: int, seed: int) -> dict:
    """Run the reference script and parse its one JSON line."""
    command = [sys.executable, script, "--steps", str(steps), "--seed", str(seed), "--gc", "both"]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        sys.exit(
            f"bench_scalar: the micrograd reference failed ({' '.join(command)}):\n{result.stderr.strip()}"
        )
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=20, help="training steps per run (default 20)")
    parser.add_argument("--seed", type=int, default=1337)
    parser.add_argument(
        "--shared",
        default=os.path.join(REPO_ROOT, "..", "shared"),
        help="the shared reference folder holding bench/micrograd_moons.py (default ../shared)",
    )
    args = parser.parse_args()
    script = os.path.join(args.shared, "bench", "micrograd_moons.py")
    if not os.path.isfile(script):
        sys.exit(f"bench_scalar: reference script not found at {script}; pass --shared")

    first_run, our_loss = time_ours(args.steps, args.seed)
    reference = run_micrograd(script, args.steps, args.seed)
    second_run, _ = time_ours(args.steps, args.seed)
    unfused_run, unfused_loss = time_ours(args.steps, args.seed, fused=False)

    ours = statistics.median(first_run + second_run)
    micrograd_gc_on = reference["s_per_step_median"]
    micrograd_gc_off = reference["gc_off_s_per_step_median"]
    rows = [
        ("tinygrad_edu Value (default GC)", ours, our_loss),
        ("  same, unfused neurons (* and +)", statistics.median(unfused_run), unfused_loss),
        ("micrograd 0.1.0, default GC", micrograd_gc_on, reference["final_loss"]),
        ("micrograd 0.1.0, GC off", micrograd_gc_off, reference["gc_off_final_loss"]),
    ]
    print(f"{'engine':<34}{'s/step':>10}{'final loss':>12}")
    for name, seconds, loss in rows:
        print(f"{name:<34}{seconds:>10.4f}{loss:>12.6f}")
    print(f"speed-up vs micrograd (default GC): {micrograd_gc_on / ours:.1f}x   (goal >= 10x)")
    print(f"speed-up vs micrograd (GC off):     {micrograd_gc_off / ours:.2f}x  (goal >= 1.5x)")
    summary = {
        "workload": "micrograd_moons",
        "steps": args.steps,
        "seed": args.seed,
        "ours_s_per_step": round(ours, 5),
        "micrograd_s_per_step": micrograd_gc_on,
        "micrograd_gc_off_s_per_step": micrograd_gc_off,
        "speedup_vs_micrograd": round(micrograd_gc_on / ours, 2),
        "speedup_vs_micrograd_gc_off": round(micrograd_gc_off / ours, 2),
        "ours_unfused_s_per_step": round(statistics.median(unfused_run), 5),
        "ours_final_loss": round(our_loss, 6),
        "micrograd_final_loss": reference["final_loss"],
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
