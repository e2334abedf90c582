"""The `--health` option of the training scripts: a `tinygrad_edu.health.HealthReport` on the model,
written as health.png and health.jsonl beside loss.png. Without `--health` nothing is hooked.

    parser = training.make_parser(...)
    training_health.add_args(parser)
    ...
    health = training_health.start(model, args)           # None without --health
    ... loss.backward()
    training_health.optimizer_step(health, optimizer)     # optimizer.step(), measured on report steps
    ...
    training_health.finish(health, args, title)
"""

from __future__ import annotations

import argparse
from pathlib import Path

from tinygrad_edu.health import HealthReport


def add_args(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("training health")
    group.add_argument(
        "--health",
        action="store_true",
        help="record activations, gradients and update:data ratios per layer; write health.png beside loss.png",
    )
    group.add_argument(
        "--health-every", type=int, default=None, help="steps between health records (default: --steps / 50)"
    )


def start(model, args, max_grad_norm: float | None = None, first_step: int = 0) -> HealthReport | None:
    """The report for this run (records every --health-every steps), or None without --health."""
    if not args.health:
        return None
    every = args.health_every or max(1, args.steps // 50)
    if every < 1:
        raise ValueError(f"--health-every must be at least 1, got {every}")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    # a resumed run keeps counting from where it stopped
    return HealthReport(model, every, max_grad_norm, jsonl=out / "health.jsonl", start_step=first_step)


def optimizer_step(health: HealthReport | None, optimizer, grad_norm=None) -> None:
    """`optimizer.step()`, inside the report's measurement when there is one."""
    if health is None:
        optimizer.step()
        return
    with health.update(grad_norm=grad_norm):
        optimizer.step()


def finish(health: HealthReport | None, args, title: str) -> str | None:
    """Write health.png, print the last record's summary; the PNG's path (None without --health)."""
    if health is None or not health.records:
        return None
    health.close()
    path = health.save_png(Path(args.out) / "health.png", title=title)
    print(health.summary())
    print(f"health dashboard: {path} (numbers: {Path(args.out) / 'health.jsonl'})")
    return path
