# %% [markdown]
# # 07 · Attention from scratch
#
# In a transformer every token looks at the other tokens and takes a weighted average of what they
# offer. The weights come from comparing a **query** (what this token is looking for) with a **key**
# (what each token contains); the average is taken over **values** (what each token passes on):
#
# $$\mathrm{Attention}(Q, K, V) = \mathrm{softmax}\!\left(\frac{Q K^\top}{\sqrt{d_k}} + M\right) V,$$
#
# with $M$ a mask of $0$ (allowed) and $-\infty$ (forbidden). This notebook builds it step by step with
# `Tensor` operations, then checks that the result equals the library's `scaled_dot_product_attention`
# and `SelfAttention` (`tinygrad_edu/nn/attention.py`), the code GPT and BERT share.

# %%
import math

import matplotlib.pyplot as plt
import numpy as np

import tinygrad_edu as tg
from tinygrad_edu.exercises import check
from tinygrad_edu.nn import SelfAttention, scaled_dot_product_attention
from tinygrad_edu.nn.attention import causal_mask, merge_heads, split_heads
from tinygrad_edu.testing import assert_close

generator = tg.manual_seed(7)  # seeds the default generator that tg.randn uses

# %% [markdown]
# ## 1. Queries, keys and values are matrix products
#
# A batch of $B$ sequences of $T$ tokens, each a vector of $C$ channels: $x$ has shape $(B, T, C)$.
# Three weight matrices of shape $(C, C)$ project it:
#
# $$Q = x W_q, \quad K = x W_k, \quad V = x W_v \qquad (B, T, C) \cdot (C, C) \to (B, T, C).$$

# %%
B, T, C = 2, 6, 16
x = tg.randn(B, T, C)
W_q = tg.randn(C, C) / math.sqrt(C)  # scaled so that Q, K, V have entries of variance about 1
W_k = tg.randn(C, C) / math.sqrt(C)
W_v = tg.randn(C, C) / math.sqrt(C)
Q, K, V = x @ W_q, x @ W_k, x @ W_v
print("x", x.shape, "-> Q", Q.shape, "K", K.shape, "V", V.shape)

# %% [markdown]
# ## 2. Raw scores, and why we divide by $\sqrt{d_k}$
#
# Token $i$'s score for token $j$ is the dot product $q_i \cdot k_j$; all of them at once are
# $Q K^\top$: $(B, T, C) \cdot (B, C, T) \to (B, T, T)$. If the entries of $q$ and $k$ have variance 1,
# their dot product over $d_k$ channels has variance $d_k$: the larger the head, the larger the scores,
# and softmax of large scores is nearly one-hot (low entropy, tiny gradients). Dividing by
# $\sqrt{d_k}$ brings the variance back to 1 whatever the head size.

# %%
raw_scores = Q @ K.transpose(-1, -2)  # (B, T, T)
print("raw scores", raw_scores.shape)

head_sizes = [4, 16, 64, 256, 1024]
variance_raw, variance_scaled, entropy_raw, entropy_scaled = [], [], [], []
for d_k in head_sizes:
    q, k = tg.randn(512, 8, d_k), tg.randn(512, 8, d_k)  # 512 sets of 8 tokens
    raw = q @ k.transpose(-1, -2)
    scaled = raw / math.sqrt(d_k)
    variance_raw.append(raw.var().item())
    variance_scaled.append(scaled.var().item())
    for scores, out in ((raw, entropy_raw), (scaled, entropy_scaled)):
        p = scores.softmax(dim=-1)
        out.append(-(p * (p + 1e-12).log()).sum(dim=-1).mean().item())

fig, (ax_var, ax_ent) = plt.subplots(1, 2, figsize=(10, 3.5))
ax_var.loglog(head_sizes, variance_raw, "o-", label="$q \\cdot k$")
ax_var.loglog(head_sizes, variance_scaled, "o-", label="$q \\cdot k / \\sqrt{d_k}$")
ax_var.set_xlabel("head size $d_k$")
ax_var.set_title("variance of the scores")
ax_var.legend()
ax_ent.semilogx(head_sizes, entropy_raw, "o-", label="unscaled")
ax_ent.semilogx(head_sizes, entropy_scaled, "o-", label="scaled")
ax_ent.axhline(math.log(8), color="gray", ls="--", label="uniform over 8 tokens")
ax_ent.set_xlabel("head size $d_k$")
ax_ent.set_title("entropy of softmax over 8 tokens (nats)")
ax_ent.legend()
plt.show()

# %% [markdown]
# ## 3. Softmax, the weighted sum of values, and masks
#
# $P = \mathrm{softmax}(S)$ row by row: each row of $P$ (a query) sums to 1. The output for token $i$ is
# $\sum_j P_{ij} v_j$, that is $P V$: $(B, T, T) \cdot (B, T, C) \to (B, T, C)$.
#
# A **causal mask** (GPT) forbids looking ahead: $M_{ij} = -\infty$ for $j > i$. A **padding mask**
# (BERT) forbids attending to `[PAD]` positions. A $-\infty$ score becomes a weight of exactly 0.

# %%
scores = raw_scores / math.sqrt(C)
probs_full = scores.softmax(dim=-1)
probs_causal = scores.masked_fill(causal_mask(T), float("-inf")).softmax(dim=-1)
# padding: say the second sequence has only 4 real tokens; its last 2 keys are masked for every query
is_padding = tg.tensor([[False] * 6, [False] * 4 + [True] * 2])  # (B, T)
padding_additive = tg.where(is_padding, tg.tensor(-1e9), tg.tensor(0.0)).reshape(B, 1, T)  # (B, 1, T)
probs_padding = (scores + padding_additive).softmax(dim=-1)

fig, axes = plt.subplots(1, 3, figsize=(12, 3.6))
for ax, probs, title in zip(
    axes,
    (probs_full[1], probs_causal[1], probs_padding[1]),
    ("no mask", "causal mask (GPT)", "padding mask, 2 pads (BERT)"),
):
    image = ax.imshow(probs.numpy(), cmap="viridis", vmin=0, vmax=1)
    ax.set_title(title)
    ax.set_xlabel("key position j")
    ax.set_ylabel("query position i")
fig.colorbar(image, ax=axes, shrink=0.8, label="attention weight $P_{ij}$")
plt.show()

context = probs_causal @ V  # (B, T, C)
print("rows sum to one:", np.allclose(probs_causal.sum(dim=-1).numpy(), 1.0), "| context", context.shape)

# %% [markdown]
# ## 4. Multi-head attention is a reshape
#
# With $H$ heads of size $D = C / H$, each head attends on its own slice of the channels. No loop over
# heads is needed: reshape $(B, T, C) \to (B, T, H, D)$ and move the head axis forward to get
# $(B, H, T, D)$; the same matrix products then run on every head at once, giving $(B, H, T, T)$ weights.
# Merging is the reverse reshape.

# %%
H = 4
D = C // H


def attention_by_hand(Q, K, V, num_heads, causal):
    batch, time, channels = Q.shape
    head_size = channels // num_heads
    q = Q.reshape(batch, time, num_heads, head_size).transpose(1, 2)  # (B, H, T, D)
    k = K.reshape(batch, time, num_heads, head_size).transpose(1, 2)
    v = V.reshape(batch, time, num_heads, head_size).transpose(1, 2)
    scores = q @ k.transpose(-1, -2) / math.sqrt(head_size)  # (B, H, T, T)
    if causal:
        scores = scores.masked_fill(causal_mask(time), float("-inf"))
    probs = scores.softmax(dim=-1)
    out = probs @ v  # (B, H, T, D)
    return out.transpose(1, 2).reshape(batch, time, channels), probs  # (B, T, C)


ours, our_probs = attention_by_hand(Q, K, V, H, causal=True)
library_context, library_probs, _ = scaled_dot_product_attention(
    split_heads(Q, H), split_heads(K, H), split_heads(V, H), causal=True
)
assert_close(ours, merge_heads(library_context))
assert_close(our_probs, library_probs)
print(f"by hand == scaled_dot_product_attention for {H} heads of size {D}: outputs {ours.shape}, weights {our_probs.shape}")

# %% [markdown]
# The module `SelfAttention` holds the three projections as `Linear` layers (named `query`, `key`,
# `value`, as in Hugging Face's BERT). A `Linear` computes $x W^\top + b$, so we copy our matrices in
# transposed, with zero biases, and must get the same answer again.

# %%
module = SelfAttention(C, num_heads=H, causal=True)
with tg.no_grad():
    for layer, weight in ((module.query, W_q), (module.key, W_k), (module.value, W_v)):
        layer.weight.copy_(weight.transpose(0, 1))
        layer.bias.zero_()
module_out = module(x)
assert_close(module_out.context, ours)
print("SelfAttention module agrees; its attention weights:", module_out.probs.shape)

fig, axes = plt.subplots(1, H, figsize=(12, 3))
for head, ax in enumerate(axes):
    ax.imshow(module_out.probs[0, head].numpy(), cmap="viridis", vmin=0, vmax=1)
    ax.set_title(f"head {head}")
    ax.set_xlabel("key")
axes[0].set_ylabel("query")
fig.suptitle("Four causal heads on the same sequence (random weights)")
plt.show()

# %% [markdown]
# ## Exercises
#
# Replace each `None`, run the check cell below it. Solutions:
# `notebooks/solutions/07_attention_from_scratch.py`.
#
# **Exercise 1.** A query whose scores are all equal attends uniformly. What is the entropy (in nats)
# of uniform attention over 8 tokens? (This is the dashed line in the entropy plot.)

# %% [answer ex1]
answer_ex1 = None

# %%
check("07.1", answer_ex1)

# %% [markdown]
# **Exercise 2.** Write the causal mask for $T = 4$ as a numpy boolean array of shape (4, 4), `True`
# where attention is forbidden (query $i$ looking at key $j > i$).

# %% [answer ex2]
answer_ex2 = None

# %%
check("07.2", answer_ex2)

# %% [markdown]
# **Exercise 3.** Write single-head attention in plain **numpy**: `numpy_attention(q, k, v)` for arrays
# of shape (T, D), no mask. Subtract each row's maximum before `np.exp` so that large scores cannot
# overflow.

# %% [answer ex3]
def numpy_attention(q, k, v):
    return None  # replace with your numpy code


# %%
check("07.3", numpy_attention)
