"""Benchmark workload 1: our scalar engine against micrograd 0.1.0 (from PyPI) on the moons demo.

Same model shape (MLP(2, [16, 16, 1]), weights drawn after `random.seed(seed)`), the same 100 two-moons
points, the same SVM loss with L2 1e-4 and the same SGD schedule, `--steps` steps; the loss and the step
are examples/train_moons.py's, which run unchanged on micrograd's `Value` and `MLP`. Four engines are
timed in this process, in alternating rounds (the machine is shared, so a noisy neighbour slows all of
them), each figure the median step over all rounds:
  ours, fused              tinygrad_edu's MLP, each neuron one `dot` node (what the demo uses);
  ours, * and +            tinygrad_edu's MLP built from `*` and `+` nodes: micrograd's graph shape;
  ours, * and +, GC off    the same with Python's garbage collector off in the timed step;
  micrograd                micrograd 0.1.0 as users run it (the collector on);
  micrograd GC off         micrograd with the collector off in the timed step (its fastest).
"GC off" runs call gc.collect() after each step, outside the timed region; its time is shown in its
own column. That favours micrograd: our graph is freed by reference counting inside the timed step,
micrograd's cyclic graph only by that untimed collection. Ratios are micrograd's time over ours; the
like-for-like one is micrograd GC off over ours * and +, GC off (same graph, same collector setting).
The graph sizes are printed too: micrograd also makes a leaf node for every plain number it meets (the
inputs, the labels, the constants of the loss), which the same code gives ours as folded constants.
Prints a table and, last, one JSON line.

Run: python benchmarks/bench_scalar.py [--steps 20] [--rounds 3] [--seed 1337]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import statistics
import sys
import time

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO_ROOT, "examples"))  # reuse the demo's data, loss and step
sys.path.insert(0, REPO_ROOT)

from train_moons import make_moons, svm_loss, train_step  # noqa: E402

from tinygrad_edu.graph import topological_order  # noqa: E402
from tinygrad_edu.scalar_nn import MLP  # noqa: E402


def build(engine: str, seed: int):
    random.seed(seed)
    if engine.startswith("micrograd"):
        from micrograd.nn import MLP as MicrogradMLP

        return MicrogradMLP(2, [16, 16, 1])
    return MLP(2, [16, 16, 1], fused=engine == "ours, fused")


def _collector_off(engine: str) -> bool:
    return engine.endswith("GC off")


def graph_nodes(engine: str, seed: int, points: list, labels: list) -> int:
    """How many nodes one step's loss graph has (micrograd's nodes list their inputs in `_prev`)."""
    loss, _ = svm_loss(build(engine, seed), points, labels)
    inputs_of = (lambda node: node._prev) if engine.startswith("micrograd") else (lambda node: node._parents)
    return len(topological_order(loss, inputs_of))


def run(
    engine: str, steps: int, seed: int, points: list, labels: list
) -> tuple[list[float], list[float], float]:
    """Seconds of each training step of a fresh seeded model, seconds of each untimed gc.collect()
    after it (GC off runs only), and the final loss."""
    model = build(engine, seed)
    collector_off = _collector_off(engine)
    step_seconds, collect_seconds, loss = [], [], float("nan")
    for step in range(steps):
        if collector_off:
            gc.disable()
        start = time.perf_counter()
        loss, _ = train_step(model, points, labels, step)
        step_seconds.append(time.perf_counter() - start)
        if collector_off:
            gc.enable()
            start = time.perf_counter()
            gc.collect()  # outside the timed region: the garbage it left is still there
            collect_seconds.append(time.perf_counter() - start)
    return step_seconds, collect_seconds, loss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=20, help="training steps per run (default 20)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds (default 3)")
    parser.add_argument("--seed", type=int, default=1337)
    args = parser.parse_args()
    try:
        import micrograd  # noqa: F401
    except ImportError:
        sys.exit("error: bench_scalar needs micrograd 0.1.0 (pip install micrograd==0.1.0)")
    sys.setrecursionlimit(100_000)  # micrograd's backward walks its graph recursively

    moons, labels01 = make_moons(100, noise=0.1, seed=args.seed)
    points, labels = moons.tolist(), (labels01 * 2 - 1).tolist()
    engines = ["ours, fused", "ours, * and +", "ours, * and +, GC off", "micrograd", "micrograd GC off"]
    nodes = {name: graph_nodes(name, args.seed, points, labels) for name in engines}
    times: dict[str, list[float]] = {name: [] for name in engines}
    collect_times: dict[str, list[float]] = {name: [] for name in engines}
    losses: dict[str, float] = {}
    for _ in range(args.rounds):
        for name in engines:
            seconds, collect_seconds, losses[name] = run(name, args.steps, args.seed, points, labels)
            times[name] += seconds
            collect_times[name] += collect_seconds
    median = {name: statistics.median(values) for name, values in times.items()}
    collect = {name: statistics.median(values) for name, values in collect_times.items() if values}

    print(f"{'engine':<26}{'s/step':>10}{'untimed collect':>17}{'nodes':>8}{'final loss':>12}")
    for name in engines:
        collected = f"{collect[name]:.4f}" if name in collect else "-"
        print(f"{name:<26}{median[name]:>10.4f}{collected:>17}{nodes[name]:>8}{losses[name]:>12.6f}")
    fused, unfused, unfused_off = (
        median["ours, fused"],
        median["ours, * and +"],
        median["ours, * and +, GC off"],
    )
    print(
        f"micrograd GC off / ours * and +, GC off: {median['micrograd GC off'] / unfused_off:.2f}x  (goal >= 1.5x)"
    )
    print(f"micrograd GC off / ours * and +:         {median['micrograd GC off'] / unfused:.2f}x")
    print(f"micrograd GC off / ours fused:           {median['micrograd GC off'] / fused:.2f}x")
    print(f"micrograd / ours fused:                  {median['micrograd'] / fused:.1f}x")
    summary = {
        "workload": "micrograd_moons",
        "steps": args.steps,
        "rounds": args.rounds,
        "seed": args.seed,
        "s_per_step": {name: round(value, 5) for name, value in median.items()},
        "untimed_collect_s": {name: round(value, 5) for name, value in collect.items()},
        "graph_nodes": nodes,
        "final_loss": {name: round(value, 6) for name, value in losses.items()},
        "speedup_unfused_gc_off_vs_micrograd_gc_off": round(median["micrograd GC off"] / unfused_off, 2),
        "speedup_unfused_vs_micrograd_gc_off": round(median["micrograd GC off"] / unfused, 2),
        "speedup_fused_vs_micrograd_gc_off": round(median["micrograd GC off"] / fused, 2),
        "speedup_fused_vs_micrograd": round(median["micrograd"] / fused, 2),
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
