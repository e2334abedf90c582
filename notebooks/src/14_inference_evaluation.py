# %% [markdown]
# # 14 · Inference and evaluation
#
# A trained masked-language model gives, at every position, a distribution over the vocabulary:
# $p_\theta(\cdot \mid \tilde{x})$ with logits of shape $(B, T, V)$. Four ways to use and judge it:
#
# - **fill-mask**: put `[MASK]` where a word should go and read the top-$k$ of that position's softmax;
# - **perplexity** on held-out text masked the training way: $\mathrm{PPL} = \exp\big(-\frac{1}{|M|}\sum_{i \in M} \log p_\theta(x_i \mid \tilde{x})\big)$;
# - **pseudo-perplexity** of one sentence (Salazar et al. 2020): mask each token in turn, with all the
#   others visible, $\mathrm{PPPL} = \exp\big(-\frac{1}{n}\sum_{i=1}^{n} \log p_\theta(x_i \mid x_{\setminus i})\big)$;
# - **ablation**: switch off one head, or a whole sublayer, and measure how much worse the held-out loss gets.
#
# The functions are those of `examples/fill_mask.py`, `examples/evaluate_bert.py`,
# `examples/bert_common.py` and `examples/visualize_bert.py`, applied to the trained Mini-BERT that
# ships with the project (`checkpoints/mini-bert`; its model card says how it was trained). It is far
# below the unigram baseline on held-out text and has learnt the plays' local phrasing, so its answers
# change with the sentence; it has not learnt quotations or the plays' content.

# %%
import sys
import warnings

import matplotlib.pyplot as plt
import numpy as np
from IPython.display import Image, display
from lesson_bert import mini_bert

from tinygrad_edu.data import load_corpus, split_corpus
from tinygrad_edu.exercises import check, output_dir, repo_root

sys.path.insert(0, str(repo_root() / "examples"))
import visualize_bert as viz  # noqa: E402
from bert_common import heldout_batches, mlm_metrics  # noqa: E402
from evaluate_bert import pseudo_perplexity  # noqa: E402
from fill_mask import fill_mask  # noqa: E402

model, tokenizer, checkpoint = mini_bert()
out = output_dir("14_inference_evaluation")

# %% [markdown]
# ## 1. Fill-mask

# %%
for text in ("to be or not to [MASK] , that is the question .", "my [MASK] , my lord !",
             "i [MASK] thee , good night ."):
    top = fill_mask(model, tokenizer, text, top_k=5)[0]
    print(f"{text:50s} ->", ", ".join(f"{token} {p:.2f}" for token, p in top))

# %% [markdown]
# ## 2. Perplexity on held-out text
#
# The last 5% of the speeches were never trained on. `heldout_batches` packs them into rows of 64
# tokens and chooses 15% of the tokens once, with a fixed seed, replacing every chosen one by `[MASK]`,
# so every model is scored on the same tokens and never sees the answer; `mlm_metrics` gives the mean
# loss, accuracy and perplexity over them. This lesson scores the first 256 rows (the model card's
# "tests' subset"); `examples/evaluate_bert.py` scores all 1,010.

# %%
_, heldout_speeches = split_corpus(load_corpus(repo_root() / "data" / "shakespeare.txt"))
seq_len = 64  # held-out rows are 64 tokens long, for every model (examples/bert_common.py)
batches = heldout_batches(tokenizer, heldout_speeches, seq_len, batch_size=64, max_rows=256)  # the first 256 rows
metrics = mlm_metrics(model, batches)
print(f"held-out: {metrics['tokens']} masked tokens, loss {metrics['loss']:.3f}, "
      f"accuracy {metrics['accuracy']:.1%}, perplexity {metrics['perplexity']:.0f} "
      f"(uniform over the vocabulary: {tokenizer.vocab_size})")

# %% [markdown]
# ## 3. Pseudo-perplexity, token by token
#
# `pseudo_perplexity` builds one copy of the sentence per token, with that token masked, and runs them
# as one batch of shape $(n, T)$. A model that uses context should score a line of Shakespeare lower
# than the same words shuffled. The shipped model does, by a wide margin: read the bars to see which
# tokens of the shuffled line it finds least expected (an untrained MLM, which predicts from token
# frequencies alone, would give both lines the same score).

# %%
line = "what light through yonder window breaks ?"
words = line.split()
shuffled = " ".join(np.random.default_rng(0).permutation(words))
fig, axes = plt.subplots(1, 2, figsize=(11, 3.2), sharey=True)
for ax, text in zip(axes, (line, shuffled)):
    pppl, per_token = pseudo_perplexity(model, tokenizer, text)
    tokens, log_probs = zip(*per_token)
    ax.bar(range(len(tokens)), -np.array(log_probs))
    ax.set_xticks(range(len(tokens)), tokens, rotation=45)
    ax.set_title(f"{text!r}\npseudo-perplexity {pppl:.0f}", fontsize=9)
axes[0].set_ylabel("−log p(token | the rest)")
plt.show()

# %% [markdown]
# ## 4. Ablation: heads and layers
#
# `head_mask` (shape $(L, H)$, 0 or 1) multiplies each head's attention probabilities: a 0 silences
# that head. A forward hook that zeroes a sublayer's output removes the whole attention or FFN of a
# layer (the residual connection then passes its input straight on). `viz.fig_ablation` runs every
# case over the held-out batches and draws the increase in loss: the larger, the more the model relies
# on that part. In the shipped model, layer 0's attention carries the most: masking either of its heads
# costs about a nat, because they are the heads that read the previous and the next token.

# %%
path = viz.fig_ablation(None, None, out, model=model, batches=batches)
display(Image(filename=str(path), width=850))

# %% [markdown]
# ## 5. The same weights in Hugging Face `transformers`
#
# The checkpoint folder (`config.json`, `model.safetensors`, `vocab.txt`) is what Hugging Face writes,
# with the same weight names, so `transformers.BertForMaskedLM.from_pretrained` reads it as is. When
# `transformers` and `torch` are installed, the cell compares the logits; otherwise it says so and skips.

# %%
warnings.filterwarnings("ignore", message="IProgress not found")  # tqdm without ipywidgets
try:
    import torch
    import transformers

    transformers.logging.disable_progress_bar()
except ImportError:
    torch = transformers = None
    print("transformers / torch not installed: skipping the comparison (pip install transformers torch)")
if transformers is not None:
    hf_model = transformers.BertForMaskedLM.from_pretrained(checkpoint).eval()
    ids = np.array([tokenizer.encode("to be or not to [MASK] .").input_ids])
    with torch.no_grad():
        hf_logits = hf_model(torch.tensor(ids)).logits.numpy()
    ours = model(ids).logits.numpy()
    print(f"transformers {transformers.__version__}: logits {hf_logits.shape}, "
          f"largest difference from ours {np.abs(hf_logits - ours).max():.2e}")

# %% [markdown]
# ## Exercises
#
# Replace each `None`, run the check cell below it. Solutions: `notebooks/solutions/14_inference_evaluation.py`.
#
# **Exercise 1.** The held-out perplexity is $e^{L}$. What loss $L$ (nats per masked token) would a
# model that guesses uniformly over the whole vocabulary have?

# %% [answer ex1]
answer_ex1 = None

# %%
check("14.1", answer_ex1, tokenizer=tokenizer)

# %% [markdown]
# **Exercise 2.** Compute the pseudo-perplexity of `line` yourself from `per_token` log-probabilities
# (the second value `pseudo_perplexity` returns): $\exp(-\text{mean})$.

# %% [answer ex2]
answer_ex2 = None

# %%
check("14.2", answer_ex2, pseudo_perplexity=pseudo_perplexity, model=model, tokenizer=tokenizer, line=line)

# %% [markdown]
# **Exercise 3.** Silence **every** head of layer 0 with a `head_mask` of shape $(L, H)$ and compute
# the held-out loss with `mlm_metrics(model, batches, head_mask=...)`.

# %% [answer ex3]
answer_ex3 = None

# %%
check("14.3", answer_ex3, mlm_metrics=mlm_metrics, model=model, batches=batches)
