"""Compare classifier runs of `train_classifier.py`: mean and spread over seeds, per model.

    python examples/compare_classifiers.py runs/cls_*                       # a Markdown table
    python examples/compare_classifiers.py runs/cls_* --plot comparison.png --json results.json

Each folder's metrics.json gives one run; runs are grouped by their "model" field (bow,
bert-scratch, bert-pretrained, ...). The table shows test macro-F1 and accuracy as mean ± standard
deviation over seeds with the range (lowest-highest), the fine-tuning time, and the majority-class
baseline on the same test split.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from tinygrad_edu.files import atomic_write

sys.path.insert(0, str(Path(__file__).resolve().parent))
import training_common as training  # noqa: E402

ORDER = ("bow", "bert-scratch", "bert-pretrained-frozen", "bert-pretrained")


def load_runs(folders: list[str]) -> dict[str, list[dict]]:
    groups: dict[str, list[dict]] = {}
    for folder in folders:
        path = Path(folder) / "metrics.json"
        if not path.is_file():
            raise FileNotFoundError(f"{path} not found: is {folder!r} a finished train_classifier.py run?")
        run = json.loads(path.read_text(encoding="utf-8"))
        groups.setdefault(run["model"], []).append(run)
    return dict(sorted(groups.items(), key=lambda item: ORDER.index(item[0]) if item[0] in ORDER else 99))


def summarize(groups: dict[str, list[dict]]) -> dict[str, dict]:
    summary = {}
    for model, runs in groups.items():
        row = {"seeds": sorted(run["seed"] for run in runs)}
        for key in ("test_macro_f1", "test_accuracy", "val_macro_f1", "seconds"):
            values = np.array([run[key] for run in runs], dtype=np.float64)
            row[key] = {
                "mean": float(values.mean()),
                "std": float(values.std(ddof=1)) if len(values) > 1 else 0.0,
                "min": float(values.min()),
                "max": float(values.max()),
            }
        row["test_per_class_f1"] = {
            name: float(np.mean([run["test_per_class_f1"][name] for run in runs]))
            for name in runs[0]["test_per_class_f1"]
        }
        row["baseline_macro_f1"], row["baseline_accuracy"] = (
            runs[0]["baseline_macro_f1"],
            runs[0]["baseline_accuracy"],
        )
        summary[model] = row
    return summary


def markdown_table(summary: dict[str, dict]) -> str:
    def cell(stats: dict) -> str:
        return f"{stats['mean']:.3f} ± {stats['std']:.3f} ({stats['min']:.3f}-{stats['max']:.3f})"

    lines = [
        "| model | seeds | test macro-F1 | test accuracy | validation macro-F1 | time per run |",
        "|---|---|---|---|---|---|",
    ]
    for model, row in summary.items():
        seconds = row["seconds"]["mean"]
        lines.append(
            f"| {model} | {len(row['seeds'])} | {cell(row['test_macro_f1'])} | {cell(row['test_accuracy'])} | "
            f"{row['val_macro_f1']['mean']:.3f} | {seconds / 60:.1f} min |"
        )
    first = next(iter(summary.values()))
    lines.append(
        f"| majority class (always 'comedy') | - | {first['baseline_macro_f1']:.3f} | "
        f"{first['baseline_accuracy']:.3f} | - | - |"
    )
    classes = list(first["test_per_class_f1"])
    lines += [
        "",
        "| model | " + " | ".join(f"test F1 {name}" for name in classes) + " |",
        "|---" * (len(classes) + 1) + "|",
    ]
    for model, row in summary.items():
        lines.append(
            f"| {model} | " + " | ".join(f"{row['test_per_class_f1'][name]:.3f}" for name in classes) + " |"
        )
    return "\n".join(lines)


def plot(path: Path, summary: dict[str, dict]) -> None:
    training.use_agg_backend()
    import matplotlib.pyplot as plt

    names = list(summary)
    means = [summary[name]["test_macro_f1"]["mean"] for name in names]
    lows = [summary[name]["test_macro_f1"]["mean"] - summary[name]["test_macro_f1"]["min"] for name in names]
    highs = [summary[name]["test_macro_f1"]["max"] - summary[name]["test_macro_f1"]["mean"] for name in names]
    figure, axes = plt.subplots(figsize=(max(6.4, 2.0 * len(names) + 1), 3.8))
    axes.bar(
        names,
        means,
        yerr=[lows, highs],
        capsize=6,
        color="tab:blue",
        alpha=0.8,
        label="mean (bars: range over seeds)",
    )
    baseline = next(iter(summary.values()))["baseline_macro_f1"]
    axes.axhline(baseline, color="gray", linestyle="--", label=f"majority class ({baseline:.3f})")
    for index, mean in enumerate(means):
        axes.text(index, mean / 2, f"{mean:.3f}", ha="center", color="white", fontweight="bold")
    axes.set(ylabel="test macro-F1", ylim=(0, 0.8), title="Which kind of play? Test split, unseen plays")
    axes.legend(loc="upper left", fontsize=8)
    training.save_figure(figure, path)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("runs", nargs="+", help="folders written by train_classifier.py")
    parser.add_argument("--plot", type=Path, help="also draw the macro-F1 of each model to this PNG")
    parser.add_argument("--json", type=Path, help="also write the summary as JSON")
    args = parser.parse_args(argv)
    summary = summarize(load_runs(args.runs))
    print(markdown_table(summary))
    if args.plot:
        plot(args.plot, summary)
    if args.json:
        with atomic_write(args.json, "w", encoding="utf-8") as file:
            file.write(json.dumps(summary, indent=2) + "\n")


if __name__ == "__main__":
    training.run_main(main)
