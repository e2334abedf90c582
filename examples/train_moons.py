"""Train a scalar MLP on two moons: the micrograd demo, on tinygrad_edu's `Value` engine.

MLP(2, [16, 16, 1]) on 100 points, SVM max-margin loss with L2 regularisation (1e-4), full-batch SGD
with a learning rate decaying from 1.0, 100 steps. It reaches 100% training accuracy, then saves a
picture of the decision boundary and prints its path.

Run: python examples/train_moons.py [--steps 100] [--seed 1337] [--out out/moons]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import time
from collections.abc import Sequence

import numpy as np

from tinygrad_edu import Value
from tinygrad_edu.files import atomic_path
from tinygrad_edu.scalar_nn import MLP


def make_moons(n_samples: int = 100, noise: float = 0.1, seed: int = 1337) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles with Gaussian noise; labels 0 (upper moon) and 1 (lower moon).

    The construction (and the order in which the random numbers are drawn) follows scikit-learn's
    `make_moons(shuffle=True)`, so the points match the reference benchmark exactly.
    """
    rng = np.random.RandomState(seed)
    n_upper = n_samples // 2
    n_lower = n_samples - n_upper
    angles_upper = np.linspace(0, np.pi, n_upper)
    angles_lower = np.linspace(0, np.pi, n_lower)
    # the upper moon is a half circle around (0, 0); the lower one is flipped and moved to (1, 0.5)
    upper = np.stack([np.cos(angles_upper), np.sin(angles_upper)], axis=1)
    lower = np.stack([1 - np.cos(angles_lower), 1 - np.sin(angles_lower) - 0.5], axis=1)
    points = np.concatenate([upper, lower])  # (n_samples, 2)
    labels = np.concatenate([np.zeros(n_upper, dtype=np.intp), np.ones(n_lower, dtype=np.intp)])
    order = rng.permutation(n_samples)
    points, labels = points[order], labels[order]
    points = points + rng.normal(scale=noise, size=points.shape)
    return points, labels


def svm_loss(
    model: MLP, points: Sequence[Sequence[float]], labels: Sequence[int], alpha: float = 1e-4
) -> tuple[Value, float]:
    """Mean hinge loss max(0, 1 - y * score) with labels y in {-1, +1}, plus alpha * sum(p^2).

    Returns the loss and the training accuracy (the fraction of points whose score has y's sign).
    """
    scores = [model(point) for point in points]
    hinge = [(1 - y * score).relu() for y, score in zip(labels, scores)]
    data_loss = sum(hinge) * (1.0 / len(hinge))
    reg_loss = alpha * sum(p * p for p in model.parameters())
    accuracy = sum((y > 0) == (score.data > 0) for y, score in zip(labels, scores)) / len(labels)
    return data_loss + reg_loss, accuracy


def train_step(
    model: MLP, points: list, labels: list, step: int, total_steps: int = 100
) -> tuple[float, float]:
    """One full-batch SGD step; the learning rate decays linearly from 1.0 (as in the micrograd demo)."""
    loss, accuracy = svm_loss(model, points, labels)
    model.zero_grad()
    loss.backward()
    learning_rate = 1.0 - 0.9 * step / total_steps
    for p in model.parameters():
        p.data -= learning_rate * p.grad
    return loss.data, accuracy


def save_decision_boundary(model: MLP, points: np.ndarray, labels: np.ndarray, path: str) -> None:
    """Colour the plane by the sign of the model's score, draw the points on top, write a PNG atomically."""
    import matplotlib

    matplotlib.use("Agg")  # no window: we only write a file
    import matplotlib.pyplot as plt

    h = 0.05
    x_min, x_max = points[:, 0].min() - 1, points[:, 0].max() + 1
    y_min, y_max = points[:, 1].min() - 1, points[:, 1].max() + 1
    grid_x, grid_y = np.meshgrid(np.arange(x_min, x_max, h), np.arange(y_min, y_max, h))
    scores = np.array([model([float(a), float(b)]).data for a, b in zip(grid_x.ravel(), grid_y.ravel())])
    fig, ax = plt.subplots(figsize=(6, 5))
    ax.contourf(grid_x, grid_y, (scores > 0).reshape(grid_x.shape), cmap=plt.cm.Spectral, alpha=0.8)
    colours = {0: plt.cm.Spectral(0.0), 1: plt.cm.Spectral(1.0)}  # the regions' colours, for each class
    for label, moon in ((0, "upper"), (1, "lower")):
        chosen = labels == label
        ax.scatter(points[chosen, 0], points[chosen, 1], color=colours[label], s=30, edgecolors="k",
                   label=f"label {label}, {moon} moon (shaded: where the model predicts it)")  # fmt: skip
    ax.set(xlabel="x1", ylabel="x2", title="MLP(2, [16, 16, 1]) decision boundary on two moons")
    ax.legend(loc="lower left", fontsize=8)
    ax.set_xlim(grid_x.min(), grid_x.max())
    ax.set_ylim(grid_y.min(), grid_y.max())
    try:
        with atomic_path(path) as temporary:  # readers never see a half-written file
            fig.savefig(temporary, dpi=100, format="png")
    finally:
        plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=100, help="SGD steps (default 100)")
    parser.add_argument("--seed", type=int, default=1337, help="seed for the data and the weights")
    parser.add_argument("--out", default="out/moons", help="folder for the decision-boundary PNG")
    args = parser.parse_args()
    if args.steps < 1:
        parser.error("--steps must be at least 1")

    from tqdm import tqdm

    random.seed(args.seed)  # the weights are drawn with Python's `random`
    points, labels01 = make_moons(100, noise=0.1, seed=args.seed)
    labels = (labels01 * 2 - 1).tolist()  # hinge loss wants labels in {-1, +1}
    point_list = points.tolist()  # plain floats: the scalar engine works on Python numbers
    model = MLP(2, [16, 16, 1])
    print(f"{model}: {len(model.parameters())} parameters")

    start = time.perf_counter()
    progress = tqdm(range(args.steps), desc="train", unit="step")
    for step in progress:
        loss, accuracy = train_step(model, point_list, labels, step)
        progress.set_postfix(loss=f"{loss:.4f}", acc=f"{accuracy:.0%}")
    seconds = time.perf_counter() - start
    # the progress bar shows the accuracy before the last update; measure the trained model
    final_loss, final_accuracy = svm_loss(model, point_list, labels)
    print(f"final loss {final_loss.data:.4f}, training accuracy {final_accuracy:.0%}")

    plot_path = os.path.join(args.out, "moons_decision_boundary.png")
    save_decision_boundary(model, points, labels01, plot_path)
    print(f"decision boundary saved to {plot_path}")
    summary = {
        "steps": args.steps,
        "seed": args.seed,
        "final_loss": round(final_loss.data, 6),
        "final_accuracy": final_accuracy,
        "seconds": round(seconds, 3),
        "plot": plot_path,
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
