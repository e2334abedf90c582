"""The training-health dashboard: one PNG from the records of a `health.HealthReport`.

Six panels (how to read them: docs/health.md):
  activations at the last report step (histograms) | saturated fraction over steps | attention entropy
  grad:data ratio over steps                       | update:data over steps (1e-3) | gradient norm, clips
Matplotlib is imported when a dashboard is drawn, not when the report is made; the figure is drawn on
its own canvas (no pyplot, no display needed) and written atomically.
"""

from __future__ import annotations

import math
import os

import numpy as np

from tinygrad_edu.files import atomic_path

MAX_LEGEND = 10  # more lines than this: a colour ramp (dark = first layer) and a short legend


def _colours(count: int):
    from matplotlib import colormaps

    ramp = colormaps["viridis"]
    return [ramp(0.9 * i / max(1, count - 1)) for i in range(count)]


def _weights(records: list[dict]) -> list[str]:
    """The parameters to draw: the matrices (weights, embeddings), or everything when there are none."""
    params = records[-1]["params"]
    matrices = [name for name, p in params.items() if len(p["shape"]) >= 2]
    return matrices or list(params)


def _legend(ax, count: int) -> None:
    if count == 0:
        return
    if count <= MAX_LEGEND:
        ax.legend(fontsize=7)
    else:
        ax.text(
            0.01, 0.01, f"{count} layers: dark = first, yellow = last", transform=ax.transAxes, fontsize=7
        )


def _empty(ax, message: str) -> None:
    ax.text(0.5, 0.5, message, ha="center", va="center", transform=ax.transAxes, fontsize=9, color="#555")
    ax.set_xticks([])
    ax.set_yticks([])


def _plot_activations(ax_hist, ax_sat, records: list[dict]) -> None:
    names = list(records[-1]["activations"]) if records else []
    if not names:
        for ax in (ax_hist, ax_sat):
            _empty(ax, "no nn.Tanh, nn.GELU or nn.ReLU modules in the model")
        return
    colours = _colours(len(names))
    for colour, name in zip(colours, names):
        s = records[-1]["activations"][name]
        counts = np.asarray(s["histogram"]["counts"], dtype=float)
        edges = np.linspace(s["histogram"]["low"], s["histogram"]["high"], len(counts) + 1)
        density = counts / max(1.0, counts.sum()) / (edges[1] - edges[0])
        label = f"{name}: std {s['std']:.2f}, sat {s['saturated']:.0%}, dead {s['dead_units']}/{s['units']}"
        ax_hist.plot((edges[:-1] + edges[1:]) / 2, density, color=colour, linewidth=1, label=label)
        steps = [r["step"] for r in records if name in r["activations"]]
        saturated = [100 * r["activations"][name]["saturated"] for r in records if name in r["activations"]]
        ax_sat.plot(steps, saturated, color=colour, marker=".", linewidth=1, label=name)
    ax_hist.set(title=f"activations at step {records[-1]['step']}", xlabel="output value", ylabel="density")
    ax_sat.set(title="saturated fraction (%)", xlabel="step", ylabel="% of outputs")
    ax_sat.set_ylim(bottom=0)
    _legend(ax_hist, len(names))
    _legend(ax_sat, len(names))


def _plot_attention(ax, records: list[dict]) -> None:
    layers = records[-1]["attention"] if records else {}
    if not layers:
        _plot_activation_grads(ax, records)
        return
    colours = _colours(len(layers))
    for colour, (name, heads) in zip(colours, layers.items()):
        ax.plot(range(len(heads)), heads, color=colour, marker="o", linewidth=1, label=name)
    ax.set(title=f"attention entropy per head at step {records[-1]['step']}", xlabel="head", ylabel="nats")
    ax.set_xticks(range(len(next(iter(layers.values())))))
    keys = records[-1].get("attention_keys")
    if keys:
        ax.axhline(
            math.log(keys),
            color="black",
            linestyle="--",
            linewidth=1,
            label=f"log {keys}: uniform over all keys",
        )
        ax.set_ylim(0, 1.05 * math.log(keys))
    _legend(ax, len(layers) + 1)


def _plot_activation_grads(ax, records: list[dict]) -> None:
    """Without attention, the third panel shows the gradient arriving at each activation's output."""
    names = [n for n, s in records[-1]["activations"].items() if "grad_std" in s]
    if not names:
        _empty(ax, "no attention (nn.SelfAttention) and no activation gradients in the model")
        return
    for colour, name in zip(_colours(len(names)), names):
        rows = [
            (r["step"], r["activations"][name].get("grad_std", math.nan))
            for r in records
            if name in r["activations"]
        ]
        ax.plot([a for a, _ in rows], [b for _, b in rows], color=colour, marker=".", linewidth=1, label=name)
    ax.set_yscale("log")
    ax.set(title="gradient at the activations, std (no attention here)", xlabel="step", ylabel="std (log)")
    _legend(ax, len(names))


def _plot_params(ax_grad, ax_update, records: list[dict]) -> None:
    names = _weights(records)
    colours = _colours(len(names))
    for colour, name in zip(colours, names):
        rows = [(r["step"], r["params"][name]) for r in records if name in r["params"]]
        steps = [step for step, _ in rows]
        ax_grad.plot(steps, [p["grad_data"] for _, p in rows], color=colour, linewidth=1, label=name)
        ax_update.plot(
            steps,
            [p.get("update_data_log10", math.nan) for _, p in rows],
            color=colour,
            linewidth=1,
            label=name,
        )
    ax_grad.set_yscale("log")
    ax_grad.set(title="grad:data ratio, std(grad) / std(param)", xlabel="step", ylabel="ratio (log scale)")
    ax_update.axhline(-3, color="black", linestyle="--", linewidth=1, label="-3 (rule of thumb)")
    ax_update.set(title="update:data ratio, log10 std(update) / std(param)", xlabel="step", ylabel="log10")
    _legend(ax_grad, len(names))
    _legend(ax_update, len(names))


def _plot_grad_norm(ax, records: list[dict]) -> None:
    steps = [r["step"] for r in records]
    clipped = any("clip" in r for r in records)
    norms = [r["grad_norm"] for r in records]
    ax.plot(steps, norms, color="C0", marker=".", label="after clipping" if clipped else "all parameters")
    if any("grad_norm_before_clip" in r for r in records):
        before = [r.get("grad_norm_before_clip", math.nan) for r in records]
        ax.plot(steps, before, color="C1", marker=".", linewidth=1, label="before clipping")
    clips = [r["clip"] for r in records if "clip" in r]
    title = "total gradient norm"
    if clips:
        ax.axhline(clips[-1]["max_norm"], color="black", linestyle="--", linewidth=1, label="clip at")
        events = sum(c["events"] for c in clips)
        total = sum(c["steps"] for c in clips)
        title += f" (clipped {events} of {total} steps)"
        twin = ax.twinx()
        fraction = [100 * c["events"] / max(1, c["steps"]) for c in clips]
        twin.bar([r["step"] for r in records if "clip" in r], fraction, width=max(1, _spacing(steps)) * 0.6,
                 color="C3", alpha=0.25)  # fmt: skip
        twin.set_ylabel("% of steps clipped (bars)", fontsize=8)
        twin.set_ylim(0, 100)
    finite = [n for n in norms if n > 0 and math.isfinite(n)]
    if finite and max(finite) > 10 * min(finite):
        ax.set_yscale("log")
    ax.set(title=title, xlabel="step", ylabel="norm")
    ax.legend(fontsize=7)


def _spacing(steps: list[int]) -> float:
    return float(np.median(np.diff(steps))) if len(steps) > 1 else 1.0


def plot_dashboard(records: list[dict], path: str | os.PathLike, title: str = "") -> str:
    """Draw the six panels for `records` and write them to `path`."""
    if not records:
        raise ValueError("HealthReport.save_png: nothing recorded yet (run at least one step)")
    from matplotlib.figure import Figure

    figure = Figure(figsize=(17, 9.5))
    axes = figure.subplots(2, 3)
    _plot_activations(axes[0, 0], axes[0, 1], records)
    _plot_attention(axes[0, 2], records)
    _plot_params(axes[1, 0], axes[1, 1], records)
    _plot_grad_norm(axes[1, 2], records)
    every = _spacing([r["step"] for r in records])
    figure.suptitle((title + ": " if title else "") + f"training health, recorded every {every:g} steps")
    figure.tight_layout()
    with atomic_path(path) as temporary:
        figure.savefig(temporary, format="png", dpi=90)
    return os.fspath(path)
