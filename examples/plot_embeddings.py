"""Plot the learned character embeddings of a saved model as a 2-D scatter, one label per character.

    python examples/plot_embeddings.py --checkpoint runs/mlp/model.npz            # -> runs/mlp/embeddings.png
    python examples/plot_embeddings.py --checkpoint runs/mlp_bn/model.npz --out emb.png

With n_embd = 2 the two coordinates are plotted as they are; with more, the table is projected on its
two principal components (PCA: the directions of largest variance), and the axis labels say how much
of the variance they keep. Characters the model treats alike (the vowels, say) end up close together.
Works for every model with an embedding table `wte` (MLP, BatchNorm MLP, GPT) and for the neural
bigram, whose weight rows are its embeddings.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import training_common as training

CHARACTER_MODELS = ("bigram_counts", "bigram", "mlp", "mlp_bn", "gpt")  # models of characters


def project_2d(table: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """(N, D) -> (N, 2): as it is for D = 2, else the top-2 principal components."""
    if table.shape[1] == 2:
        return table, ["dimension 0", "dimension 1"]
    centered = table - table.mean(axis=0)
    _, singular, directions = np.linalg.svd(centered, full_matrices=False)  # rows of `directions`: PCs
    explained = singular**2 / (singular**2).sum()
    labels = [f"principal component {i + 1} ({explained[i]:.0%} of variance)" for i in range(2)]
    return centered @ directions[:2].T, labels


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=training.HelpFormatter)
    parser.add_argument("--checkpoint", required=True, help="model.npz (or the run folder holding it)")
    parser.add_argument("--out", help="PNG path (default: embeddings.png beside the checkpoint)")
    args = parser.parse_args(argv)
    model, tokenizer, checkpoint = training.load_model(args.checkpoint, expect=CHARACTER_MODELS)
    if hasattr(model, "wte"):
        table = model.wte.weight.data
    elif checkpoint["model_type"] == "bigram":
        table = model.weight.data
    else:
        raise ValueError(f"a {checkpoint['model_type']!r} model has no embedding table to plot")
    points, axis_labels = project_2d(table.astype(np.float64))
    characters = [tokenizer.decode([i]) for i in range(len(points))]

    training.use_agg_backend()
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(7, 7))
    # small dots with the character beside each: letters that sit close together stay readable,
    # and the word boundary "." (drawn last, in red) is never hidden under a letter
    letters = [i for i, char in enumerate(characters) if char != "."]
    axes.scatter(points[letters, 0], points[letters, 1], s=30, color="tab:blue", zorder=2)
    for i in letters:
        axes.annotate(characters[i], points[i], xytext=(4, 4), textcoords="offset points", fontsize=12)
    for i in (i for i, char in enumerate(characters) if char == "."):
        axes.scatter(*points[i], s=60, color="tab:red", marker="s", zorder=3, label='"." (word boundary)')
        axes.legend(loc="best", fontsize=9)
    axes.set(xlabel=axis_labels[0], ylabel=axis_labels[1])
    axes.set_title(f"character embeddings of the {checkpoint['model_type']} model ({table.shape[1]}-D)")
    axes.grid(alpha=0.3)
    out = Path(args.out) if args.out else Path(args.checkpoint).with_name("embeddings.png")
    if Path(args.checkpoint).is_dir() and not args.out:
        out = Path(args.checkpoint) / "embeddings.png"
    training.save_figure(figure, out)
    training.print_final_json(
        {"plot": str(out), "model_type": checkpoint["model_type"], "dims": table.shape[1]}
    )


if __name__ == "__main__":
    training.run_main(main)
