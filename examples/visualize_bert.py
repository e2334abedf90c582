"""Look inside a trained Mini-BERT: the figures of the BERT learning path, one PNG each.

    python examples/visualize_bert.py "to be or not to be , that is the question ."   # checkpoints/mini-bert
    python examples/visualize_bert.py --checkpoint runs/bert --only attention_heads,ablation "..."

One forward pass over the sentence is recorded, every intermediate by name, and drawn:

  01 token_embeddings     the rows of the embedding table for the sentence's tokens
  02 token_plus_position  token + position (+ segment) embeddings, summed, then LayerNorm
  03 word_similarity      cosine similarity between tokens: input embeddings vs the last layer
  04 scores_vs_softmax    raw attention scores Q K^T / sqrt(d_k) beside the softmax weights
  05 sqrt_dk_scaling      softmax entropy with and without the 1/sqrt(d_k) scaling
  06 attention_heads      every head of every layer: who attends to whom
  07 layernorm            LayerNorm input vs output distributions
  08 ffn_gelu             the feed-forward stages, before and after GELU
  09 residual_norm        the norm of each token's residual stream through the layers
  10 token_flow           one token through one encoder layer, stage by stage
  11 ablation             held-out MLM loss with each head masked, each attention / FFN removed

Each PNG's path is printed. The last line printed is one JSON object listing them.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import numpy as np

import tinygrad_edu as tg
from models.bert import capture_intermediates
from tinygrad_edu.data import load_corpus, split_corpus

sys.path.insert(0, str(Path(__file__).resolve().parent))
import training_common as training  # noqa: E402
from bert_common import encode_sentence, heldout_batches, load_bert, mlm_metrics  # noqa: E402

FIGURES = (
    "token_embeddings",
    "token_plus_position",
    "word_similarity",
    "scores_vs_softmax",
    "sqrt_dk_scaling",
    "attention_heads",
    "layernorm",
    "ffn_gelu",
    "residual_norm",
    "token_flow",
    "ablation",
)


# ------------------------------------------------------------------------------------------------
# recording one forward pass


def record_forward(model, input_ids: list[int]) -> dict[str, np.ndarray]:
    """Run the model on one sentence and return its intermediates by name, batch dimension dropped.

    `models.bert.capture_intermediates` records every named tensor of the forward pass (its names are
    listed in models/bert.py); here they become numpy arrays with the heads split out of Q, K, V:
        layer.{i}.attention.query / key / value    (H, T, D)
        layer.{i}.attention.scores / probs         (H, T, T)
        everything else                            (T, C) or (T, intermediate_size)
    """
    config = model.config
    heads, head_size = config.num_attention_heads, config.hidden_size // config.num_attention_heads
    with tg.no_grad(), capture_intermediates(model) as captured:
        model(np.array([input_ids], dtype=np.int64))
    record = {}
    for name, tensor in captured.items():
        value = tensor.numpy()
        record[name] = value if name == "embeddings.position" else value[0]  # positions have no batch
    for i in range(config.num_hidden_layers):
        for part in ("query", "key", "value"):  # (T, C) -> (H, T, D), as the attention splits heads
            name = f"layer.{i}.attention.{part}"
            record[name] = record[name].reshape(-1, heads, head_size).transpose(1, 0, 2)
    record["final"] = record[f"layer.{config.num_hidden_layers - 1}.output"]
    return record


# ------------------------------------------------------------------------------------------------
# drawing helpers


def plt_module():
    training.use_agg_backend()
    import matplotlib.pyplot as plt

    return plt


def label_axes(axes, tokens: list[str], x: bool = True, y: bool = True, fontsize: int = 8) -> None:
    if x:
        axes.set_xticks(range(len(tokens)), tokens, rotation=90, fontsize=fontsize)
    if y:
        axes.set_yticks(range(len(tokens)), tokens, fontsize=fontsize)


def heatmap(figure, axes, matrix, title: str, cmap: str = "viridis", center: bool = False, label: str = ""):
    limit = float(np.abs(matrix).max()) or 1.0
    kwargs = dict(vmin=-limit, vmax=limit) if center else {}
    image = axes.imshow(matrix, aspect="auto", cmap=cmap, interpolation="nearest", **kwargs)
    axes.set_title(title, fontsize=10)
    figure.colorbar(image, ax=axes, fraction=0.046, pad=0.02, label=label)
    return image


def entropy(probs: np.ndarray) -> np.ndarray:
    """Entropy in bits of each row of a probability matrix: 0 = all weight on one token."""
    return -(probs * np.log2(np.clip(probs, 1e-12, None))).sum(axis=-1)


def softmax(scores: np.ndarray) -> np.ndarray:
    shifted = np.exp(scores - scores.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)


# ------------------------------------------------------------------------------------------------
# the figures (each returns the saved path)


def fig_token_embeddings(rec, tokens, out, **_):
    plt = plt_module()
    figure, axes = plt.subplots(figsize=(10, 0.32 * len(tokens) + 1.6))
    heatmap(
        figure,
        axes,
        rec["embeddings.word"],
        "Token embeddings: one learnt row per token",
        "RdBu_r",
        True,
        "value",
    )
    label_axes(axes, tokens, x=False)
    axes.set_xlabel(f"embedding dimension (hidden size {rec['embeddings.word'].shape[1]})")
    return training.save_figure(figure, out / "01_token_embeddings.png")


def fig_token_plus_position(rec, tokens, out, **_):
    plt = plt_module()
    parts = [
        ("embeddings.word", "token embedding"),
        ("embeddings.position", "+ position embedding"),
        ("embeddings.token_type", "+ segment (token type 0)"),
        ("embeddings.layer_norm_input", "= sum"),
        ("embeddings.layer_norm_output", "LayerNorm(sum): the input to layer 0"),
    ]
    figure, axes_row = plt.subplots(
        1, len(parts), figsize=(20, 0.3 * len(tokens) + 2), sharey=True, layout="constrained"
    )
    for axes, (name, title) in zip(axes_row, parts, strict=True):
        heatmap(figure, axes, rec[name], title, "RdBu_r", True)
        axes.set_xlabel("dimension")
    label_axes(axes_row[0], tokens, x=False)
    figure.suptitle("What the encoder sees: token + position + segment embeddings, then LayerNorm")
    return training.save_figure(figure, out / "02_token_plus_position.png")


def cosine_matrix(vectors: np.ndarray) -> np.ndarray:
    unit = vectors / np.maximum(np.linalg.norm(vectors, axis=-1, keepdims=True), 1e-12)
    return unit @ unit.T


def fig_word_similarity(rec, tokens, out, **_):
    plt = plt_module()
    figure, (left, right) = plt.subplots(1, 2, figsize=(14, 6.5))
    for axes, name, title in (
        (left, "embeddings.word", "input token embeddings\n(the same word always has the same vector)"),
        (right, "final", "last layer output\n(each vector now depends on the whole sentence)"),
    ):
        image = axes.imshow(cosine_matrix(rec[name]), cmap="RdBu_r", vmin=-1, vmax=1)
        axes.set_title(title, fontsize=10)
        label_axes(axes, tokens)
    figure.colorbar(image, ax=[left, right], fraction=0.025, label="cosine similarity")
    figure.suptitle("Word similarity (cosine) between the sentence's tokens")
    return training.save_figure(figure, out / "03_word_similarity.png")


def fig_scores_vs_softmax(rec, tokens, out, layer=0, head=0, **_):
    plt = plt_module()
    figure, (left, right) = plt.subplots(1, 2, figsize=(14, 6.2))
    heatmap(
        figure,
        left,
        rec[f"layer.{layer}.attention.scores"][head],
        "raw scores  Q K^T / sqrt(d_k)",
        "RdBu_r",
        True,
    )
    image = right.imshow(rec[f"layer.{layer}.attention.probs"][head], cmap="magma", vmin=0, vmax=1)
    figure.colorbar(image, ax=right, fraction=0.046, pad=0.02, label="weight")
    right.set_title("softmax over each row: attention weights (rows sum to 1)", fontsize=10)
    for axes in (left, right):
        label_axes(axes, tokens)
        axes.set_xlabel("key (attended to)")
        axes.set_ylabel("query (attending)")
    figure.suptitle(f"Layer {layer}, head {head}: scores become probabilities")
    return training.save_figure(figure, out / "04_scores_vs_softmax.png")


def fig_sqrt_dk_scaling(rec, tokens, out, layer=0, head=0, **_):
    plt = plt_module()
    query, key = rec[f"layer.{layer}.attention.query"][head], rec[f"layer.{layer}.attention.key"][head]
    head_size = query.shape[-1]
    unscaled = query @ key.T
    scaled = unscaled / np.sqrt(head_size)
    figure, axes = plt.subplots(1, 2, figsize=(15, 5.2), gridspec_kw={"width_ratios": [1.6, 1]})
    positions = np.arange(len(tokens))
    axes[0].bar(positions - 0.2, entropy(softmax(scaled)), 0.4, label=f"softmax(QK^T / sqrt({head_size}))")
    axes[0].bar(positions + 0.2, entropy(softmax(unscaled)), 0.4, label="softmax(QK^T), no scaling")
    axes[0].axhline(np.log2(len(tokens)), color="gray", linestyle="--", linewidth=1)
    axes[0].annotate("uniform attention", (0, np.log2(len(tokens))), va="bottom", fontsize=8)
    axes[0].set_xticks(positions, tokens, rotation=90, fontsize=8)
    axes[0].set(ylabel="entropy of the attention row (bits)", title=f"This model, layer {layer} head {head}")
    axes[0].legend(fontsize=8)

    # Random unit-variance queries and keys: the raw dot product's spread grows like sqrt(d_k), so
    # without the scaling the softmax collapses onto one token (entropy near 0) as heads get wider.
    rng = np.random.default_rng(0)
    sizes = [4, 8, 16, 32, 64, 128, 256, 512]
    with_scale, without = [], []
    for size in sizes:
        q, k = rng.standard_normal((200, size)), rng.standard_normal((16, size))
        with_scale.append(entropy(softmax(q @ k.T / np.sqrt(size))).mean())
        without.append(entropy(softmax(q @ k.T)).mean())
    axes[1].plot(sizes, with_scale, marker="o", label="scaled by 1/sqrt(d_k)")
    axes[1].plot(sizes, without, marker="o", label="not scaled")
    axes[1].axvline(head_size, color="gray", linestyle=":", linewidth=1)
    axes[1].annotate(f"this model's d_k = {head_size}", (head_size, 0.2), fontsize=8, rotation=90)
    axes[1].set_xscale("log", base=2)
    axes[1].set(xlabel="head size d_k", ylabel="mean entropy (bits), 16 keys", title="Random Q, K ~ N(0, 1)")
    axes[1].legend(fontsize=8)
    figure.suptitle(
        "Why divide by sqrt(d_k): without it the softmax saturates (low entropy, vanishing gradients)"
    )
    return training.save_figure(figure, out / "05_sqrt_dk_scaling.png")


def fig_attention_heads(rec, tokens, out, **_):
    plt = plt_module()
    layers = sum(1 for name in rec if name.endswith(".attention.probs"))
    heads = rec["layer.0.attention.probs"].shape[0]
    top = max(float(rec[f"layer.{i}.attention.probs"].max()) for i in range(layers))  # one shared scale
    side = 2.6 + 0.09 * len(tokens)
    figure, grid = plt.subplots(layers, heads, figsize=(side * heads, side * layers), squeeze=False)
    for layer in range(layers):
        for head in range(heads):
            axes = grid[layer][head]
            image = axes.imshow(rec[f"layer.{layer}.attention.probs"][head], cmap="magma", vmin=0, vmax=top)
            axes.set_title(f"layer {layer}, head {head}", fontsize=9)
            label_axes(axes, tokens, x=layer == layers - 1, y=head == 0, fontsize=6)
            if layer != layers - 1:
                axes.set_xticks([])
            if head != 0:
                axes.set_yticks([])
    figure.colorbar(image, ax=grid, fraction=0.02, label="attention weight (row = query, column = key)")
    figure.suptitle("Every attention head of every layer (rows: the attending token; columns: attended to)")
    return training.save_figure(figure, out / "06_attention_heads.png")


def fig_layernorm(rec, tokens, out, layer=0, **_):
    plt = plt_module()
    norms = (
        ("embeddings", "embeddings LayerNorm (token + position + segment)"),
        (f"layer.{layer}.attention", f"layer {layer} LayerNorm after attention"),
        (f"layer.{layer}.output", f"layer {layer} LayerNorm after the FFN"),
    )
    figure, grid = plt.subplots(2, len(norms), figsize=(18, 8), layout="constrained")
    positions = np.arange(len(tokens))
    for column, (prefix, title) in enumerate(norms):
        before, after = rec[f"{prefix}.layer_norm_input"], rec[f"{prefix}.layer_norm_output"]
        axes = grid[0][column]
        axes.hist(before.ravel(), bins=80, alpha=0.6, density=True, label="input (residual + sublayer)")
        axes.hist(
            after.ravel(), bins=80, alpha=0.6, density=True, label="output (normalised, then gamma, beta)"
        )
        axes.set(title=f"{title}: all values", xlabel="value", ylabel="density")
        axes.legend(fontsize=8)
        axes = grid[1][column]
        axes.errorbar(
            positions - 0.15, before.mean(1), before.std(1), fmt="o", capsize=2, label="input mean +- std"
        )
        axes.errorbar(
            positions + 0.15, after.mean(1), after.std(1), fmt="o", capsize=2, label="output mean +- std"
        )
        axes.set_xticks(positions, tokens, rotation=90, fontsize=8)
        axes.set(title="per token: mean ~0 and a fixed spread after LayerNorm", ylabel="value")
        axes.legend(fontsize=8)
    figure.suptitle(
        "LayerNorm normalises each token's vector over its features. The embeddings' sum is tiny and gets "
        "scaled up;\nin post-LN BERT a layer's input is already normalised, so LayerNorm there only undoes "
        "the sublayer's drift"
    )
    return training.save_figure(figure, out / "07_layernorm.png")


def fig_ffn_gelu(rec, tokens, out, layer=0, **_):
    plt = plt_module()
    before, after = rec[f"layer.{layer}.ffn.intermediate"], rec[f"layer.{layer}.ffn.gelu"]
    figure, grid = plt.subplots(2, 2, figsize=(14, 9), gridspec_kw={"height_ratios": [1, 1.3]})
    axes = grid[0][0]
    axes.hist(before.ravel(), bins=100, alpha=0.6, density=True, label="before GELU")
    axes.hist(after.ravel(), bins=100, alpha=0.6, density=True, label="after GELU")
    axes.set(title=f"layer {layer} FFN: the {before.shape[1]} hidden units, all tokens", xlabel="value")
    axes.legend(fontsize=8)
    axes = grid[0][1]
    xs = np.linspace(-4, 4, 200)
    gelu = xs * 0.5 * (1 + np.vectorize(math.erf)(xs / math.sqrt(2)))  # exact GELU, as BERT uses
    axes.plot(xs, gelu, label="GELU(x) = x * Phi(x)")
    axes.plot(xs, np.maximum(xs, 0), linestyle="--", label="ReLU, for comparison")
    axes.scatter(
        before.ravel()[::17], after.ravel()[::17], s=2, color="black", alpha=0.3, label="this sentence"
    )
    axes.set(title="the non-linearity itself", xlabel="input", ylabel="output", xlim=(-4, 4))
    axes.legend(fontsize=8)
    shown = min(96, before.shape[1])
    for column, (values, title) in enumerate(((before, "before GELU"), (after, "after GELU"))):
        axes = grid[1][column]
        heatmap(figure, axes, values[:, :shown], f"{title} (first {shown} units)", "RdBu_r", True)
        label_axes(axes, tokens, x=False)
        axes.set_xlabel("hidden unit")
    figure.suptitle(
        "Feed-forward network: Linear(C -> 4C), GELU, Linear(4C -> C); GELU silences negative units"
    )
    figure.tight_layout()
    return training.save_figure(figure, out / "08_ffn_gelu.png")


def fig_residual_norm(rec, tokens, out, **_):
    plt = plt_module()
    layers = sum(1 for name in rec if name.endswith(".attention.probs"))
    names = ["embeddings"]
    summed = [rec["embeddings.layer_norm_input"]]  # the residual sum, before LayerNorm
    normed = [rec["embeddings.layer_norm_output"]]  # after LayerNorm: what flows on
    for layer in range(layers):
        for block, label in (("attention", "attn"), ("output", "FFN")):
            names.append(f"L{layer} {label}")
            summed.append(rec[f"layer.{layer}.{block}.layer_norm_input"])
            normed.append(rec[f"layer.{layer}.{block}.layer_norm_output"])
    figure, (left, right) = plt.subplots(1, 2, figsize=(14, 5.5))
    stages = np.arange(len(names))
    for arrays, label, style in (
        (summed, "x + sublayer(x), before LayerNorm", "-"),
        (normed, "after LayerNorm", "--"),
    ):
        norms = np.stack([np.linalg.norm(array, axis=-1) for array in arrays])  # (stages, T)
        line = left.plot(stages, norms.mean(1), style, marker="o", label=f"{label} (mean over tokens)")[0]
        left.fill_between(stages, norms.min(1), norms.max(1), alpha=0.15, color=line.get_color())
    left.set_xticks(stages, names, rotation=45, fontsize=8)
    left.set(
        ylabel="L2 norm of a token's vector", title="residual stream norm at each sublayer (band: min..max)"
    )
    left.legend(fontsize=8)
    update_norms = {
        "attention's update": [
            np.linalg.norm(rec[f"layer.{i}.attention.dense"], axis=-1).mean() for i in range(layers)
        ],
        "FFN's update": [np.linalg.norm(rec[f"layer.{i}.ffn.output"], axis=-1).mean() for i in range(layers)],
    }
    positions = np.arange(layers)
    for offset, (label, values) in zip((-0.2, 0.2), update_norms.items(), strict=True):
        right.bar(positions + offset, values, 0.4, label=label)
    right.set_xticks(positions, [f"layer {i}" for i in positions])
    right.set(ylabel="mean L2 norm over tokens", title="how much each sublayer writes into the stream")
    right.legend(fontsize=8)
    figure.suptitle(
        "The residual stream: each sublayer adds an update; post-LN BERT then rescales the sum with LayerNorm"
    )
    return training.save_figure(figure, out / "09_residual_norm.png")


def fig_token_flow(rec, tokens, out, layer=0, position=None, **_):
    plt = plt_module()
    if position is None:  # the first ordinary token after [CLS], or [CLS] for an empty sentence
        position = 1 if len(tokens) > 2 else 0
    heads = rec[f"layer.{layer}.attention.probs"].shape[0]
    rows = [
        ("input x (from the layer below)", rec[f"layer.{layer}.input"][position]),
        ("query q = x Wq + b", rec[f"layer.{layer}.attention.query"][:, position].ravel()),
        ("key k = x Wk + b", rec[f"layer.{layer}.attention.key"][:, position].ravel()),
        ("value v = x Wv + b", rec[f"layer.{layer}.attention.value"][:, position].ravel()),
        ("context = sum_j p_j v_j (heads merged)", rec[f"layer.{layer}.attention.context"][position]),
        ("attention output (dense)", rec[f"layer.{layer}.attention.dense"][position]),
        ("x + attention (LayerNorm input)", rec[f"layer.{layer}.attention.layer_norm_input"][position]),
        ("h = LayerNorm(x + attention)", rec[f"layer.{layer}.attention.layer_norm_output"][position]),
        (
            "FFN Linear 1 (4C units, first C shown)",
            rec[f"layer.{layer}.ffn.intermediate"][position][: len(rec["final"][0])],
        ),
        ("after GELU", rec[f"layer.{layer}.ffn.gelu"][position][: len(rec["final"][0])]),
        ("FFN Linear 2", rec[f"layer.{layer}.ffn.output"][position]),
        ("h + FFN (LayerNorm input)", rec[f"layer.{layer}.output.layer_norm_input"][position]),
        ("output = LayerNorm(h + FFN)", rec[f"layer.{layer}.output.layer_norm_output"][position]),
    ]
    figure = plt.figure(figsize=(14, 0.62 * len(rows) + 4))
    # one strip per stage, a spacer, then the bar chart of this token's attention weights
    grid = figure.add_gridspec(
        len(rows) + 2, 2, width_ratios=[4, 1.1], height_ratios=[1] * len(rows) + [1.2, 3.2]
    )
    for index, (title, vector) in enumerate(rows):
        axes = figure.add_subplot(grid[index, 0])
        limit = float(np.abs(vector).max()) or 1.0
        axes.imshow(
            vector[None, :], aspect="auto", cmap="RdBu_r", vmin=-limit, vmax=limit, interpolation="nearest"
        )
        axes.set_yticks([])
        axes.set_xticks([])
        axes.set_ylabel(title, rotation=0, ha="right", va="center", fontsize=8)
        note = figure.add_subplot(grid[index, 1])
        note.axis("off")
        note.text(
            0, 0.5, f"norm {np.linalg.norm(vector):6.2f}   max |v| {limit:5.2f}", fontsize=8, va="center"
        )
    axes = figure.add_subplot(grid[len(rows) + 1, 0])
    width = 0.8 / heads
    for head in range(heads):
        weights = rec[f"layer.{layer}.attention.probs"][head][position]
        axes.bar(np.arange(len(tokens)) + head * width, weights, width, label=f"head {head}")
    axes.set_xticks(np.arange(len(tokens)) + 0.4 - width / 2, tokens, rotation=90, fontsize=8)
    axes.set(ylabel="p_j", title=f"attention weights of {tokens[position]!r} over the sentence (per head)")
    axes.legend(fontsize=7, ncol=heads)
    figure.suptitle(
        f"The flow of token {tokens[position]!r} (position {position}) through encoder layer {layer}"
        "\n(each strip: the vector's values, red > 0 > blue, its own colour scale)"
    )
    return training.save_figure(figure, out / "10_token_flow.png")


# ------------------------------------------------------------------------------------------------
# ablation: which components matter?


def zero_output(module, inputs, output):
    """A forward hook that replaces a sublayer's output by zeros: the residual add then passes its
    input straight on, which removes the sublayer from the network."""
    return output * 0.0


def ablation_losses(model, batches) -> tuple[float, np.ndarray, list[float], list[float]]:
    config = model.config
    layers, heads = config.num_hidden_layers, config.num_attention_heads
    full = mlm_metrics(model, batches)["loss"]
    head_losses = np.zeros((layers, heads))
    for layer in range(layers):
        for head in range(heads):
            head_mask = np.ones((layers, heads), dtype=np.float32)
            head_mask[layer, head] = 0.0
            head_losses[layer, head] = mlm_metrics(model, batches, head_mask=head_mask)["loss"]
    removed = {"attention": [], "FFN": []}
    for layer in range(layers):
        for kind, path in (("attention", "attention.output.dense"), ("FFN", "output.dense")):
            handle = model.get_submodule(f"bert.encoder.layer.{layer}.{path}").register_forward_hook(
                zero_output
            )
            try:
                removed[kind].append(mlm_metrics(model, batches)["loss"])
            finally:
                handle.remove()
    return full, head_losses, removed["attention"], removed["FFN"]


def fig_ablation(rec, tokens, out, model=None, batches=None, **_):
    plt = plt_module()
    full, head_losses, attention_removed, ffn_removed = ablation_losses(model, batches)
    layers, heads = head_losses.shape
    figure, (left, right) = plt.subplots(
        1, 2, figsize=(14, 5), gridspec_kw={"width_ratios": [1, 1.3]}, layout="constrained"
    )
    increase = head_losses - full
    limit = float(np.abs(increase).max()) or 1e-6  # centred at 0: red = the head helped, blue = it hurt
    image = left.imshow(increase, cmap="RdBu_r", vmin=-limit, vmax=limit)
    decimals = 3 if limit >= 0.01 else 5
    for layer in range(layers):
        for head in range(heads):
            left.text(
                head, layer, f"{increase[layer, head]:+.{decimals}f}", ha="center", va="center", fontsize=8
            )
    left.set_xticks(range(heads), [f"head {h}" for h in range(heads)])
    left.set_yticks(range(layers), [f"layer {i}" for i in range(layers)])
    left.set_title("one head masked (head_mask): loss increase", fontsize=10)
    # below the grid, so its label does not stand beside the bar chart's axis label saying the same
    figure.colorbar(image, ax=left, orientation="horizontal", shrink=0.8, label="loss increase (nats)")
    positions = np.arange(layers)
    right.bar(positions - 0.2, np.array(attention_removed) - full, 0.4, label="attention removed")
    right.bar(positions + 0.2, np.array(ffn_removed) - full, 0.4, label="FFN removed")
    right.set_xticks(positions, [f"layer {i}" for i in positions])
    right.set(ylabel="increase in held-out loss (nats)", title="a whole sublayer removed (its output zeroed)")
    right.legend(fontsize=8)
    figure.suptitle(f"Ablation: how much worse the held-out MLM loss gets (full model: {full:.3f})")
    return training.save_figure(figure, out / "11_ablation.png")


# ------------------------------------------------------------------------------------------------


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=training.HelpFormatter
    )
    parser.add_argument(
        "--checkpoint", help="folder written by train_bert.py (default: the shipped checkpoints/mini-bert)"
    )
    parser.add_argument(
        "--out",
        help="folder for the PNGs (default: CHECKPOINT/figures, or runs/mini-bert/figures for the shipped model)",
    )
    parser.add_argument("--layer", type=int, default=0, help="layer for the single-layer figures")
    parser.add_argument("--head", type=int, default=0, help="head for the scores and scaling figures")
    parser.add_argument("--token", type=int, help="position of the token followed in token_flow (default 1)")
    parser.add_argument("--only", help=f"comma-separated subset of: {','.join(FIGURES)}")
    parser.add_argument(
        "--data", default="data/shakespeare.txt", help="corpus; ablation uses its held-out split"
    )
    parser.add_argument("--ablation-rows", type=int, default=64, help="held-out rows scored per ablation")
    parser.add_argument("--seq-len", type=int, default=64, help="tokens per held-out row for the ablation")
    parser.add_argument("sentence", help="the sentence to look at")
    args = parser.parse_args(argv)
    training.check_positive(ablation_rows=args.ablation_rows)
    wanted = FIGURES if not args.only else tuple(name.strip() for name in args.only.split(","))
    unknown = [name for name in wanted if name not in FIGURES]
    if unknown:
        raise ValueError(f"--only: unknown figure(s) {unknown}; choose from {', '.join(FIGURES)}")

    model, tokenizer = load_bert(args.checkpoint)
    config = model.config
    if not 0 <= args.layer < config.num_hidden_layers:
        raise ValueError(f"--layer {args.layer} is outside 0..{config.num_hidden_layers - 1}")
    if not 0 <= args.head < config.num_attention_heads:
        raise ValueError(f"--head {args.head} is outside 0..{config.num_attention_heads - 1}")
    ids = encode_sentence(tokenizer, args.sentence, config.max_position_embeddings)
    if args.token is not None and not 0 <= args.token < len(ids):
        raise ValueError(f"--token {args.token} is outside the sentence's {len(ids)} positions")
    tokens = tokenizer.convert_ids_to_tokens(ids)
    # the shipped checkpoint stays as it ships: its figures go to runs/ unless --out says otherwise
    out = Path(args.out) if args.out else Path(args.checkpoint or "runs/mini-bert") / "figures"
    out.mkdir(parents=True, exist_ok=True)

    record = record_forward(model, ids)
    batches = None
    if "ablation" in wanted:
        seq_len = min(args.seq_len, config.max_position_embeddings)
        _, heldout = split_corpus(load_corpus(args.data))
        batches = heldout_batches(tokenizer, heldout, seq_len, 32, max_rows=args.ablation_rows)
    extra = dict(layer=args.layer, head=args.head, position=args.token, model=model, batches=batches)
    paths = {name: str(globals()[f"fig_{name}"](record, tokens, out, **extra)) for name in wanted}
    training.print_final_json({"sentence": args.sentence, "tokens": tokens, "figures": paths})


if __name__ == "__main__":
    training.run_main(main)
