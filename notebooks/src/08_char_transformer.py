# %% [markdown]
# # 08 · A character transformer
#
# Notebook 07 built attention. A transformer stacks it in **blocks** that read from and write into one
# vector per position, the **residual stream** $x \in \mathbb{R}^{B \times T \times C}$. Our GPT
# (`models/gpt.py`, trained at length by `examples/train_gpt.py`) uses GPT-2's pre-LayerNorm block:
#
# $$x \leftarrow x + \mathrm{Attn}(\mathrm{LN}_1(x)), \qquad x \leftarrow x + \mathrm{MLP}(\mathrm{LN}_2(x)),
# \qquad \mathrm{MLP}(h) = W_2\, \mathrm{GELU}(W_1 h + b_1) + b_2 \;\; (C \to 4C \to C).$$
#
# The stream starts as token embedding plus position embedding and ends in a LayerNorm and the
# `lm_head`, which turns each position's vector into logits for the next character:
#
# $$\underbrace{\text{idx}}_{(B,\,T)} \to \underbrace{\text{wte}[\text{idx}] + \text{wpe}[0..T-1]}_{(B,\,T,\,C)}
# \to \text{blocks} \to \mathrm{LN}_f \to \underbrace{\text{logits}}_{(B,\,T,\,V)} .$$
#
# Attention is causal: position $i$ only reads positions $j \le i$, so all $T$ positions of a sequence
# are trained at once, each predicting its next character.

# %%
import math
import sys
from types import SimpleNamespace

import matplotlib.pyplot as plt
import numpy as np
from IPython.display import Image, display

import tinygrad_edu as tg
from models.gpt import GPT, Block, GPTConfig
from tinygrad_edu.exercises import check, output_dir, repo_root, steps
from tinygrad_edu.health import HealthReport
from tinygrad_edu.nn import functional as F

sys.path.insert(0, str(repo_root() / "examples"))
import plot_attention  # noqa: E402
from train_gpt import NamesTask, make_optimizer  # noqa: E402
from training_common import count_parameters, mean_loss  # noqa: E402

data = NamesTask(str(repo_root() / "data" / "names.txt"), block_size=None)
tokenizer = data.tokenizer
print(data.description, "; block_size", data.block_size)
inputs, targets = data.splits["train"]
print("one row:  inputs ", inputs[0], "\n          targets", targets[0], " (-1: past the name's end, ignored)")

# %% [markdown]
# ## 1. One block, shape by shape
#
# A small GPT: $C = 32$ channels, 4 heads of $D = 8$ channels, 2 blocks. Below, one block taken apart.
# Note which parts mix positions (only attention) and which work on each position alone (LayerNorm,
# the MLP).

# %%
config = GPTConfig(block_size=data.block_size, vocab_size=tokenizer.vocab_size, n_layer=2, n_head=4, n_embd=32)
model = GPT(config, generator=tg.Generator(1337))
print(f"GPT: {count_parameters(model):,} parameters")
for name, module in model.blocks[0].named_children():
    print(f"  blocks.0.{name:10s} {count_parameters(module):6,} parameters")

idx = tg.Tensor(inputs[:4])  # (B, T) = (4, 12)
block = model.blocks[0]
x = model.wte(idx) + model.wpe(tg.Tensor(np.arange(config.block_size)))
attention = block.attn(block.ln_1(x))
print(f"idx {idx.shape} -> stream x {x.shape}")
print(f"  ln_1(x) {block.ln_1(x).shape} -> per-head probs {attention.probs.shape} -> context {attention.context.shape}")
x = x + block.attn_proj(attention.context)
hidden = block.mlp.gelu(block.mlp.fc(block.ln_2(x)))
print(f"  ln_2(x) -> fc + GELU {hidden.shape} -> proj {block.mlp.proj(hidden).shape}, added to the stream")
logits, loss = model(idx, tg.Tensor(targets[:4]))
print(f"logits {logits.shape}; loss {loss.item():.3f} (uniform guess {math.log(27):.3f})")

# %% [markdown]
# ## 2. The residual stream
#
# Each block *adds* to the stream instead of replacing it, so the last vector is the embedding plus the
# sum of every sub-layer's write. The gradient of the loss flows back along the additions unchanged,
# which is why deep stacks of blocks train at all. `GPT` initialises the two projections that write
# into the stream with a standard deviation scaled by $1/\sqrt{2 \cdot n_{\text{layer}}}$ so their sum
# does not grow with depth. We record the root-mean-square of the stream after each step.


# %%
def stream_norms(model, idx):
    """RMS of the residual stream (over batch, positions and channels) after each write into it."""
    T = idx.shape[1]
    with tg.no_grad():
        x = model.wte(idx) + model.wpe(tg.Tensor(np.arange(T)))
        norms = {"embeddings": x}
        for i, block in enumerate(model.blocks):
            x = x + block.attn_proj(block.attn(block.ln_1(x)).context)
            norms[f"{i}: + attention"] = x
            x = x + block.mlp(block.ln_2(x))
            norms[f"{i}: + MLP"] = x
    return {name: float(np.sqrt((value.numpy() ** 2).mean())) for name, value in norms.items()}


norms_at_init = stream_norms(model, tg.Tensor(inputs[:256]))
print({name: round(value, 4) for name, value in norms_at_init.items()})

# %% [markdown]
# ## 3. LayerNorm, not BatchNorm
#
# Both subtract a mean and divide by a standard deviation; they differ in *which* numbers they average.
# For a stream $x$ of shape $(B, T, C)$:
#
# - **LayerNorm**: over the $C$ channels of one position: $\mu_{b,t} = \frac{1}{C}\sum_c x_{b,t,c}$;
# - **BatchNorm**: over the batch and the positions, one statistic per channel: $\mu_c = \frac{1}{BT}\sum_{b,t} x_{b,t,c}$.
#
# BatchNorm breaks a causal model: the statistics at position 0 include position 11, so what the model
# computes for an early character depends on characters it must not see yet (and on the other names
# in the batch). Below we change only the *last* character of every sequence and measure how much the
# normalised output at position 0 moves.

# %%
rng = np.random.default_rng(0)
stream = rng.normal(size=(8, 12, 32))  # (B, T, C)
changed = stream.copy()
changed[:, -1, :] = rng.normal(size=(8, 32))  # a different last character
gamma, beta = tg.ones(32), tg.zeros(32)


def layer_norm(x):
    return F.layer_norm(tg.Tensor(x), (32,), gamma, beta).numpy()


def batch_norm(x):  # batch_norm wants channels in dim 1: (B, C, T)
    out = F.batch_norm(tg.Tensor(x).transpose(1, 2), None, None, gamma, beta, training=True)
    return out.transpose(1, 2).numpy()


for name, norm in (("LayerNorm", layer_norm), ("BatchNorm", batch_norm)):
    moved = np.abs(norm(stream)[:, 0] - norm(changed)[:, 0]).max()
    print(f"{name}: output at position 0 moved by {moved:.2e} when only position 11 changed")

# %% [markdown]
# ## 4. A short training on names
#
# One name per row, as in the script: AdamW (weight decay on matrices only), a linear warm-up then
# cosine decay (`make_optimizer` of `examples/train_gpt.py`), batches of 32 names, gradients clipped to
# norm 1. A `HealthReport` watches the training (`tinygrad_edu/health.py`; `--health` in the script).

# %%
train_args = SimpleNamespace(lr=3e-3, weight_decay=0.01, warmup=steps(full=100, fast=10),
                             steps=steps(full=1500, fast=40), min_lr_ratio=0.1)
optimizer, scheduler = make_optimizer(model, train_args)
rng = np.random.default_rng(1337)
losses, val_points = [], []
eval_every = max(train_args.steps // 5, 1)
health = HealthReport(model, every=steps(full=50, fast=10), max_grad_norm=1.0)
for step in range(train_args.steps):
    batch_inputs, batch_targets = data.batch(rng, 32)
    _, loss = model(tg.Tensor(batch_inputs), tg.Tensor(batch_targets))
    optimizer.zero_grad()
    loss.backward()
    norm = tg.nn.utils.clip_grad_norm_(model.parameters(), 1.0)  # the norm before clipping
    with health.update(grad_norm=norm):  # on report steps: gradients, and what the step changed
        optimizer.step()
    scheduler.step()
    losses.append(loss.item())
    if (step + 1) % eval_every == 0:
        val_points.append((step, mean_loss(model, *data.splits["val"], 512)))
print(f"after {train_args.steps} steps: val loss per character {val_points[-1][1]:.4f}")

fig, ax = plt.subplots(figsize=(6.5, 3.5))
ax.plot(losses, alpha=0.4, label="train batch")
ax.plot(*zip(*val_points), "o-", label="val (all 516 names)")
ax.axhline(math.log(27), color="gray", ls=":", label="uniform guess")
ax.set_xlabel("step")
ax.set_ylabel("loss per character")
ax.set_title(f"GPT, {count_parameters(model):,} parameters")
ax.legend()
plt.show()

# %% [markdown]
# ### The training's health
#
# The report's dashboard (how to read it: `docs/health.md`). Top: the GELU activations of each block's
# MLP (GELU is flat only far below zero, so little saturates), and the **entropy of each attention
# head**, in nats: $\log T$ would be a head spreading its attention evenly over all $T$ positions, 0 a
# head looking at one position only. Bottom: the gradient and update sizes of every weight matrix next
# to its values (AdamW's warm-up shows as the update:data ratios climbing in the first steps; $-3$ is
# the rule of thumb), and the gradient norm with the steps that were clipped.

# %%
health.close()
display(Image(filename=str(health.save_png(output_dir("08_char_transformer") / "health.png", title="GPT on names")), width=900))
print(health.summary().splitlines()[0])

# %% [markdown]
# The stream after training: its scale has grown as the blocks learnt to write into it.

# %%
norms_trained = stream_norms(model, tg.Tensor(inputs[:256]))
fig, ax = plt.subplots(figsize=(6.5, 3))
ax.plot(list(norms_at_init), list(norms_at_init.values()), "o-", label="at initialisation")
ax.plot(list(norms_trained), list(norms_trained.values()), "o-", label=f"after {train_args.steps} steps")
ax.set_ylabel("RMS of the stream")
ax.set_title("The residual stream, write by write")
ax.tick_params(axis="x", rotation=20)
ax.legend()
plt.show()

# %% [markdown]
# ## 5. Samples
#
# `generate` feeds the model its own output: start from "." (the name boundary), sample the next
# character from the softmax of the last position's logits, append, repeat until the next ".".

# %%
samples = model.sample(num_samples=15, generator=tg.Generator(7))
print(", ".join(tokenizer.decode(ids) for ids in samples))

# %% [markdown]
# ## 6. Attention maps
#
# Every block keeps its attention probabilities, shape $(B, H, T, T)$: row $i$ of head $h$ says how
# position $i$ spread its attention over positions $0..i$ (the upper triangle is zero: the causal mask).
# `plot_attention.plot` (from `examples/plot_attention.py`) draws them for one name. After a short
# training most rows are still broad averages over the past; with the full-length run (leave
# `TG_NOTEBOOK_FAST` unset) some heads sharpen onto particular earlier positions, such as the
# previous character or the "." that starts the name.

# %%
name = ".isabella"
with tg.no_grad(), model.capture_attention():
    model(tg.tensor([tokenizer.encode(name)], dtype=tg.int64))
maps = [probs[0] for probs in model.attention_maps()]  # per layer (H, T, T)
backend = plt.get_backend()  # plot() switches matplotlib to its file-only backend: switch back after
path = plot_attention.plot(maps, list(name), output_dir("08_char_transformer") / "attention.png",
                           f"attention of {name!r} after {train_args.steps} steps")
plt.switch_backend(backend)
display(Image(filename=str(path), width=800))

# %% [markdown]
# ## 7. Positions: learned or sinusoidal
#
# Attention by itself does not know the order of its inputs: permute the positions and each output is
# permuted the same way. The order enters only through the position embedding added to the stream at
# the start. Our GPT *learns* that table (`wpe`, one row of $C$ numbers per position, like GPT-2). The
# original transformer ("Attention Is All You Need") used a fixed one instead,
#
# $$\mathrm{PE}[p, 2i] = \sin(p\,\omega_i), \qquad \mathrm{PE}[p, 2i+1] = \cos(p\,\omega_i), \qquad
# \omega_i = 10000^{-2i/C},$$
#
# one sine-cosine pair per frequency, from one radian per position down to a turn in about 60,000
# positions (`nn.SinusoidalPositionalEncoding`, in `tinygrad_edu/nn/positional.py`). Left: the table for
# 64 positions and $C = 32$; right: the dot product of every pair of rows.

# %%
pe = tg.nn.SinusoidalPositionalEncoding(64, 32, dtype=tg.float64).weight.numpy()  # (64, 32)
fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.8))
image = left.imshow(pe.T, aspect="auto", cmap="RdBu_r", vmin=-1, vmax=1)
left.set_xlabel("position p")
left.set_ylabel("channel (sin, cos pairs; slower downwards)")
left.set_title("sinusoidal positional encoding PE[p]")
fig.colorbar(image, ax=left)
image = right.imshow(pe @ pe.T, cmap="viridis")
right.set_xlabel("position q")
right.set_ylabel("position p")
right.set_title("PE[p] . PE[q]: constant along each diagonal")
fig.colorbar(image, ax=right)
plt.tight_layout()
plt.show()

# %% [markdown]
# Why constant along the diagonals? Each pair of channels is a point $(\sin p\omega, \cos p\omega)$ on a
# circle. Moving $k$ positions on turns it by the angle $k\omega$, whatever $p$ is:
#
# $$\begin{pmatrix} \sin (p+k)\omega \\ \cos (p+k)\omega \end{pmatrix} =
# \begin{pmatrix} \cos k\omega & \sin k\omega \\ -\sin k\omega & \cos k\omega \end{pmatrix}
# \begin{pmatrix} \sin p\omega \\ \cos p\omega \end{pmatrix},$$
#
# so $\mathrm{PE}[p+k] = R(k)\,\mathrm{PE}[p]$ with one rotation $R(k)$ for all positions, a linear map
# that a layer can learn, and $\mathrm{PE}[p] \cdot \mathrm{PE}[p+k] = \sum_i \cos k\omega_i$ depends on
# the distance $k$ only. Checked on the table above:

# %%
frequencies = 10000.0 ** (-np.arange(0, 32, 2) / 32)
for k in (1, 7):
    rotation = np.zeros((32, 32))
    for i, w in enumerate(frequencies):
        rotation[2 * i : 2 * i + 2, 2 * i : 2 * i + 2] = [[np.cos(k * w), np.sin(k * w)], [-np.sin(k * w), np.cos(k * w)]]
    error = np.abs(pe[:-k] @ rotation.T - pe[k:]).max()
    dots = np.einsum("pc,pc->p", pe[:-k], pe[k:])
    print(f"k = {k}: max |R(k) PE[p] - PE[p+k]| over all p = {error:.1e}; "
          f"PE[p].PE[p+k] ranges over [{dots.min():.6f}, {dots.max():.6f}], sum cos(k w) = {np.cos(k * frequencies).sum():.6f}")

# %% [markdown]
# Does the choice matter for our names? The same GPT trained twice from the same seed on the same
# batches, once with a learned table and once with the sinusoids (everything else equal; the sinusoidal
# model has the table's $T \times C = 12 \times 32$ parameters fewer). The held-out loss is measured on all validation
# names every few steps.

# %%
def train_with_positions(positional, total_steps):
    fresh = GPT(GPTConfig(**{**config.__dict__, "positional": positional}), generator=tg.Generator(1337))
    opt, sched = make_optimizer(fresh, SimpleNamespace(**{**train_args.__dict__, "steps": total_steps}))
    batches = np.random.default_rng(7)
    curve = []
    for step in range(total_steps):
        batch_inputs, batch_targets = data.batch(batches, 32)
        _, loss = fresh(tg.Tensor(batch_inputs), tg.Tensor(batch_targets))
        opt.zero_grad()
        loss.backward()
        tg.nn.utils.clip_grad_norm_(fresh.parameters(), 1.0)
        opt.step()
        sched.step()
        if (step + 1) % max(total_steps // 6, 1) == 0:
            curve.append((step + 1, mean_loss(fresh, *data.splits["val"], 512)))
    return count_parameters(fresh), curve


position_steps = steps(full=1500, fast=30)
runs = {positional: train_with_positions(positional, position_steps) for positional in ("learned", "sinusoidal")}
print(f"{'step':>6s}" + "".join(f"{f'{p} ({n:,} params)':>28s}" for p, (n, _) in runs.items()))
for (step, learned), (_, fixed) in zip(runs["learned"][1], runs["sinusoidal"][1]):
    print(f"{step:6d}{learned:28.4f}{fixed:28.4f}")
fig, ax = plt.subplots(figsize=(6.5, 3.5))
for positional, (_, curve) in runs.items():
    ax.plot(*zip(*curve), "o-", label=f"{positional} positions")
ax.set_xlabel("step")
ax.set_ylabel("held-out loss per character")
ax.set_title(f"Learned vs sinusoidal positions, {position_steps} steps")
ax.legend()
plt.show()

# %% [markdown]
# In the full-length run (1,500 steps, `TG_NOTEBOOK_FAST` unset) the learned table ends ahead: held-out
# 2.003 against 2.042 for the sinusoids, and it stays ahead at every point of the curve. The left
# picture says why: over our 12 positions only the first few channel pairs turn noticeably; the slow
# ones are almost constant there, so most of the fixed table's 32 channels tell the positions apart
# hardly at all, while a learned table can use all of them for what names need (the start, the usual
# lengths). The sinusoids' strengths (a row for positions never trained on, the distance structure
# from the first step) matter for long sequences, not for names of at most 11 letters.

# %% [markdown]
# ## Exercises
#
# Replace each `None`, run the check cell below it. Solutions: `notebooks/solutions/08_char_transformer.py`.
#
# **Exercise 1.** How many parameters does one `Block` with $C$ = `n_embd` $= 32$ have (biases on)?
# Count LayerNorm's $\gamma, \beta$, the query/key/value projections, `attn_proj` and the MLP's two layers.

# %% [answer ex1]
answer_ex1 = None

# %%
check("08.1", answer_ex1, block=Block(config))

# %% [markdown]
# **Exercise 2.** `model.attention_maps()` after a forward pass on a batch of 8 names padded to
# $T = 12$: what is the shape (a tuple) of one layer's map for our 4-head model?

# %%
batch_ex2 = inputs[:8]  # 8 names padded to T = 12

# %% [answer ex2]
answer_ex2 = None

# %%
check("08.2", answer_ex2, model=model, batch=batch_ex2)

# %% [markdown]
# **Exercise 3.** Write LayerNorm over the last axis in numpy (biased variance, `eps` inside the
# square root), for an input of any shape $(\ldots, C)$ and $\gamma, \beta$ of shape $(C,)$.

# %% [answer ex3]
def my_layer_norm(x, gamma, beta, eps=1e-5):
    return None


# %%
check("08.3", my_layer_norm)

# %% [markdown]
# **Exercise 4.** Without building the table: what is $\mathrm{PE}[p] \cdot \mathrm{PE}[p+3]$ for the
# sinusoidal encoding with $C = 32$ (it is the same for every $p$)? Use the rotation argument of section 7.

# %% [answer ex4]
answer_ex4 = None

# %%
check("08.4", answer_ex4)
