# %% [markdown]
# # 10 · Inside BERT: the layers
#
# After the embeddings (notebook 09) the stream $x \in \mathbb{R}^{T \times C}$ passes through
# `num_hidden_layers` encoder layers. BERT's layers are **post-LN** (the LayerNorm comes after each
# residual addition, unlike GPT-2's pre-LN of notebook 08):
#
# $$a = \mathrm{LN}\big(x + \mathrm{Attn}(x)\, W_O\big), \qquad
# x' = \mathrm{LN}\big(a + \mathrm{GELU}(a W_1 + b_1)\, W_2 + b_2\big),$$
#
# with $W_1: C \to 4C$ and $W_2: 4C \to C$ (the "FFN"), and attention without a causal mask: every token
# sees every other. Shapes for one sentence of $T$ tokens, $H$ heads of $D = C/H$ channels:
#
# | stage | name in `capture_intermediates` | shape |
# |---|---|---|
# | queries, keys, values | `layer.i.attention.query` / `key` / `value` | $(1, T, C)$, split into $(H, T, D)$ |
# | scores $QK^\top/\sqrt{D}$ and their softmax | `layer.i.attention.scores` / `probs` | $(1, H, T, T)$ |
# | heads merged, projected | `layer.i.attention.context` / `dense` | $(1, T, C)$ |
# | residual sum, after LayerNorm | `layer.i.attention.layer_norm_input` / `_output` | $(1, T, C)$ |
# | FFN before and after GELU | `layer.i.ffn.intermediate` / `ffn.gelu` | $(1, T, 4C)$ |
# | FFN out, residual sum, LayerNorm | `layer.i.ffn.output`, `layer.i.output.layer_norm_input` / `_output` | $(1, T, C)$ |
#
# The figures are those of `examples/visualize_bert.py`, whose functions this notebook calls on the
# trained Mini-BERT that ships with the project (`checkpoints/mini-bert`, loaded by `notebooks/lesson_bert.py`).

# %%
import sys

import numpy as np
from IPython.display import Image, display
from lesson_bert import mini_bert

import tinygrad_edu as tg
from models.bert import capture_intermediates
from tinygrad_edu.exercises import check, output_dir, repo_root

sys.path.insert(0, str(repo_root() / "examples"))
import visualize_bert as viz  # noqa: E402

model, tokenizer, checkpoint = mini_bert()
config = model.config
out = output_dir("10_bert_layers")
print(f"{config.num_hidden_layers} layers, {config.num_attention_heads} heads of "
      f"{config.hidden_size // config.num_attention_heads} channels, FFN {config.intermediate_size}")


def show(path, width=850):
    """Display a PNG written by one of visualize_bert's figure functions."""
    display(Image(filename=str(path), width=width))


# %% [markdown]
# ## 1. Every intermediate, by name
#
# One forward pass inside `capture_intermediates` records them all. `viz.record_forward` does exactly
# that and drops the batch dimension (and splits Q, K, V into heads), so below shapes lose the leading 1.

# %%
sentence = "to be or not to be , that is the question ."
input_ids = tokenizer.encode(sentence).input_ids
tokens = tokenizer.convert_ids_to_tokens(input_ids)
print(len(tokens), "tokens:", tokens)
with tg.no_grad(), capture_intermediates(model) as acts:
    model(np.array([input_ids]))
for name in [n for n in acts if n.startswith("layer.0.")]:
    print(f"{name:38s} {acts[name].shape}")
rec = viz.record_forward(model, input_ids)  # the same, as numpy arrays without the batch dimension

# %% [markdown]
# ## 2. Every head's attention
#
# Each panel is one head's $(T, T)$ matrix of softmax weights: row $i$ is how token $i$ spreads its
# attention over all tokens (rows sum to 1). Heads in a trained BERT specialise: some look at the
# previous or next token, some at `[CLS]`/`[SEP]` (a "no-op" place to park attention), some at
# repeated words. The shipped model's two heads of layer 0 are the clearest case: one sends almost all
# of each token's attention to the **next** token, the other to the **previous** one (a bright line just
# above, and just below, the diagonal). Layer 1's heads spread theirs over a few nearby words. Together
# they let every position read its neighbours, which is what most of this small model's knowledge is
# about (the model card's context curve: one word on each side takes 2.2 nats off a blank's loss).

# %%
show(viz.fig_attention_heads(rec, tokens, out))

# %% [markdown]
# ## 3. LayerNorm's input and output
#
# The residual sum entering a LayerNorm can drift in scale and offset from token to token; the output
# of every token has mean $\beta$-ish and spread $\gamma$-ish across its $C$ channels:
# $\mathrm{LN}(z) = \gamma \odot \frac{z - \mu(z)}{\sqrt{\sigma^2(z) + \epsilon}} + \beta$, with $\mu, \sigma^2$
# over the channels of one token.

# %%
show(viz.fig_layernorm(rec, tokens, out, layer=0))

# %% [markdown]
# ## 4. The feed-forward stages
#
# $a W_1 + b_1$ widens each token to $4C$ channels; GELU, $\mathrm{GELU}(u) = u\,\Phi(u)$, passes
# positive values almost unchanged and squashes negative ones towards 0; $W_2$ brings the result back
# to $C$. The FFN works on each token alone: it is where most of the parameters are.

# %%
show(viz.fig_ffn_gelu(rec, tokens, out, layer=0))

# %% [markdown]
# ## 5. The residual stream, layer by layer
#
# The norm of each token's vector where it enters each LayerNorm (the residual sum) and where it leaves
# it. Post-LN resets each token's norm after every sublayer (to about $\lVert\gamma\rVert$ when $\beta$
# is small), so the stream cannot grow with depth the way the pre-LN stream of notebook 08 does.

# %%
show(viz.fig_residual_norm(rec, tokens, out))

# %% [markdown]
# ## 6. One token through one layer
#
# All the stages above for a single token, in order: follow the vector of `to` (position 1) through
# layer 0.

# %%
show(viz.fig_token_flow(rec, tokens, out, layer=0, position=1))

# %% [markdown]
# ## Exercises
#
# Replace each `None`, run the check cell below it. Solutions: `notebooks/solutions/10_bert_layers.py`.
#
# **Exercise 1.** What is the shape (a tuple) of `acts["layer.1.ffn.gelu"]` for our sentence?

# %% [answer ex1]
answer_ex1 = None

# %%
check("10.1", answer_ex1, acts=acts)

# %% [markdown]
# **Exercise 2.** Recompute head 1's attention probabilities in layer 0, shape $(T, T)$, from the
# captured `acts["layer.0.attention.query"]` and `acts["layer.0.attention.key"]` (each $(1, T, C)$):
# take that head's $D$ channels, form $Q K^\top / \sqrt{D}$, softmax over the last axis.

# %% [answer ex2]
answer_ex2 = None

# %%
check("10.2", answer_ex2, acts=acts)

# %% [markdown]
# **Exercise 3.** Apply layer 0's *second* LayerNorm by hand: from `acts["layer.0.output.layer_norm_input"]`
# and the module's $\gamma, \beta$ (`model.bert.encoder.layer[0].output.LayerNorm`, its `weight` and
# `bias`, and `config.layer_norm_eps`), compute the output, shape $(1, T, C)$.

# %% [answer ex3]
answer_ex3 = None

# %%
check("10.3", answer_ex3, acts=acts)
