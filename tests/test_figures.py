"""The figures say what they show: guide lines named in the legend (not written over the data), the
best validation point ringed, a colour scale on attention grids, axis labels and a legend on the
moons plot. Each figure is caught as it is saved and its matplotlib objects inspected."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "examples"))

import training_common  # noqa: E402


@pytest.fixture
def saved(monkeypatch):
    """The figures passed to save_figure, kept open for inspection (nothing is written)."""
    figures = []
    monkeypatch.setattr(
        training_common, "save_figure", lambda figure, path, quiet=False: figures.append(figure)
    )
    yield figures
    import matplotlib.pyplot as plt

    plt.close("all")


def test_loss_plot_names_guide_lines_in_the_legend_and_rings_the_best_val(saved):
    series = {"train": ([1, 2, 3, 4], [3.0, 2.5, 2.2, 2.0]), "val": ([1, 2, 3, 4], [3.1, 2.6, 2.7, 2.9])}
    training_common.plot_curves("x.png", series, reference={"counts (train)": 2.45}, mark_best="val")
    (axes,) = saved[0].axes
    assert list(axes.texts) == []  # nothing written over the data
    labels = [text.get_text() for text in axes.get_legend().get_texts()]
    assert "counts (train): 2.4500" in labels
    best = [label for label in labels if label.startswith("best val")]
    assert best == ["best val: 2.6000 at step 2 (ends at 2.9000: overfitting after it)"]


def test_the_attention_grid_has_one_colour_scale(saved, monkeypatch):
    import plot_attention

    monkeypatch.setattr(plot_attention.training, "save_figure", lambda figure, path: saved.append(figure))
    maps = [np.random.default_rng(0).random((2, 4, 4)) for _ in range(2)]
    plot_attention.plot(maps, list(".emm"), Path("a.png"), "title")
    figure = saved[0]
    colorbars = [axes for axes in figure.axes if axes.get_label() == "<colorbar>"]
    assert len(colorbars) == 1 and colorbars[0].get_ylabel() == "attention weight"


def test_the_moons_plot_has_axis_labels_and_a_legend(tmp_path):
    import train_moons

    from tinygrad_edu.scalar_nn import MLP

    points, labels = train_moons.make_moons(20, seed=0)
    import matplotlib.pyplot as plt

    shown = []
    original = plt.close
    plt_close = lambda figure=None: shown.append(figure)  # noqa: E731  keep the figure for inspection
    try:
        plt.close = plt_close
        train_moons.save_decision_boundary(
            MLP(2, [4, 1]), np.asarray(points), np.asarray(labels), str(tmp_path / "m.png")
        )
    finally:
        plt.close = original
    axes = shown[0].axes[0]
    assert axes.get_xlabel() == "x1" and axes.get_ylabel() == "x2"
    assert len(axes.get_legend().get_texts()) == 2
    plt.close("all")
