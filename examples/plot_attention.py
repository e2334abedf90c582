"""Draw the attention maps of a trained GPT for one string: a grid of heatmaps, one row per layer and
one column per head. Cell (i, j) of a map is how much the character at position i attended to the
character at position j; everything above the diagonal is zero, because the model is causal.

    python examples/plot_attention.py --checkpoint runs/gpt_names --text emma
    python examples/plot_attention.py --checkpoint runs/gpt_shakespeare --text "To be, or not to be" --out attn.png

For a names model the string is read as a name, so it starts with the "." boundary the model saw at
the start of every training name.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import training_common as training

import tinygrad_edu as tg


def attention_for_text(checkpoint_path: str, text: str):
    """(list of per-layer (H, T, T) arrays, the characters on the axes) for `text`."""
    if not text:
        raise ValueError("--text is empty")
    model, tokenizer, checkpoint = training.load_model(checkpoint_path, expect="gpt")
    if checkpoint["extra"].get("task") == "words":
        text = "." + text  # names are read after the "." start token
    unknown = sorted(set(text) - set(tokenizer.itos))
    if unknown:
        raise ValueError(f"--text: the model's vocabulary lacks {unknown}")
    ids = tokenizer.encode(text)
    block_size = model.config.block_size
    if len(ids) > block_size:
        raise ValueError(f"--text has {len(ids)} characters; this model reads at most {block_size}")
    with tg.no_grad(), model.capture_attention():
        model(tg.tensor([ids], dtype=tg.int64))
    return [probs[0] for probs in model.attention_maps()], list(text)


def plot(maps, chars, path: Path, title: str) -> Path:
    training.use_agg_backend()
    import matplotlib.pyplot as plt

    layers, heads = len(maps), maps[0].shape[0]
    size = max(2.2, 0.22 * len(chars))
    figure, axes = plt.subplots(layers, heads, figsize=(size * heads, size * layers), squeeze=False)
    labels = [repr(c)[1:-1] if c.isspace() else c for c in chars]
    for layer in range(layers):
        for head in range(heads):
            ax = axes[layer][head]
            image = ax.imshow(maps[layer][head], cmap="viridis", vmin=0.0, vmax=1.0)
            ax.set_xticks(range(len(chars)), labels, fontsize=7)
            ax.set_yticks(range(len(chars)), labels, fontsize=7)
            ax.set_title(f"layer {layer} head {head}", fontsize=8)
            if head == 0:
                ax.set_ylabel("query (attends from)", fontsize=7)
            if layer == layers - 1:
                ax.set_xlabel("key (attends to)", fontsize=7)
    figure.suptitle(title)
    figure.tight_layout()
    # one colour scale for every map (all share vmin 0, vmax 1): the attention weight
    figure.colorbar(image, ax=axes.ravel().tolist(), shrink=0.6, label="attention weight")
    return training.save_figure(figure, path)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=training.HelpFormatter)
    parser.add_argument("--checkpoint", required=True, help="model.npz of a GPT (or its run folder)")
    parser.add_argument("--text", required=True, help="the string to show the attention for")
    parser.add_argument("--out", help="PNG path (default: attention.png beside the checkpoint)")
    args = parser.parse_args(argv)
    maps, chars = attention_for_text(args.checkpoint, args.text)
    checkpoint = Path(args.checkpoint)
    out = (
        Path(args.out)
        if args.out
        else (checkpoint if checkpoint.is_dir() else checkpoint.parent) / "attention.png"
    )
    return plot(maps, chars, out, f"GPT attention for {args.text!r}")


if __name__ == "__main__":
    training.run_main(main)
