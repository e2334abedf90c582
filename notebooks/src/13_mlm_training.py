# %% [markdown]
# # 13 · Masked-language-model training
#
# BERT learns by filling in blanks. From each row of tokens $x$ a random set $M$ of positions is chosen
# (15% of the real tokens), the input is corrupted into $\tilde{x}$, and the loss is the cross entropy
# at the chosen positions only:
#
# $$L = -\frac{1}{|M|} \sum_{i \in M} \log p_\theta\big(x_i \mid \tilde{x}\big).$$
#
# Of the chosen tokens 80% become `[MASK]`, 10% a random token and 10% stay as they are, so the model
# cannot learn that "only `[MASK]` positions matter" (at inference there is no `[MASK]` in most text).
# Shapes: rows `input_ids` $(B, T)$ with `labels` $(B, T)$ holding the original token at chosen positions
# and $-100$ (ignored) elsewhere; logits $(B, T, V)$.
#
# The masking: `tinygrad_edu/data/mlm.py` (`MLMCollator`). The training: `examples/train_bert.py`,
# which this notebook runs twice, the second time resuming from the checkpoint the first one left.

# %%
import json
import subprocess
import sys

import matplotlib.pyplot as plt
import numpy as np
from lesson_bert import SCRIPT, tiny_bert_flags

import tinygrad_edu as tg
from tinygrad_edu.data import IGNORE_INDEX, MLMCollator, WordPieceTokenizer, load_corpus
from tinygrad_edu.exercises import check, fast_mode, output_dir, repo_root

speeches = load_corpus(repo_root() / "data" / "shakespeare.txt")
tokenizer = WordPieceTokenizer.train(speeches[:1500], vocab_size=600)  # a small vocabulary for the demo
print(tokenizer)

# %% [markdown]
# ## 1. The 80/10/10 masking, on one sentence
#
# `MLMCollator` pads rows and masks them. Each real token is chosen with probability 0.15; a chosen
# token draws once more: `[MASK]` (80%), a random ordinary token (10%), unchanged (10%). `[CLS]` and
# `[SEP]` are never chosen.

# %%
collator = MLMCollator.from_tokenizer(tokenizer, seed=3)
sentence = "now is the winter of our discontent made glorious summer by this sun of york"
ids = tokenizer.encode(sentence).input_ids
batch = collator([ids] * 4)  # the same sentence, masked four times
print("original:", " ".join(tokenizer.convert_ids_to_tokens(ids)))
for row in range(4):
    shown = []
    for token_id, label in zip(batch["input_ids"][row], batch["labels"][row]):
        token = tokenizer.vocab[token_id]
        shown.append(token if label == IGNORE_INDEX else f"<{token}|{tokenizer.vocab[label]}>")
    print(f"masked {row}:", " ".join(shown))
print("<shown|original> marks a chosen position; labels elsewhere are", IGNORE_INDEX)

# %% [markdown]
# Over many rows the proportions come out as promised:

# %%
many = collator([ids] * 2000)  # (2000, T)
real = np.isin(np.array(ids), list(tokenizer.special_token_ids), invert=True)  # (T,): not [CLS]/[SEP]
chosen = many["labels"] != IGNORE_INDEX
as_mask = chosen & (many["input_ids"] == tokenizer.mask_token_id)
unchanged = chosen & (many["input_ids"] == many["labels"])
randomised = chosen & ~as_mask & ~unchanged
print(f"chosen: {chosen.sum() / (real.sum() * 2000):.1%} of real tokens "
      f"(special tokens chosen: {chosen[:, ~real].sum()})")
fig, ax = plt.subplots(figsize=(5, 3))
shares = [as_mask.sum() / chosen.sum(), randomised.sum() / chosen.sum(), unchanged.sum() / chosen.sum()]
ax.bar(["[MASK]", "random token", "unchanged"], shares, color=["C0", "C1", "C2"])
for position, share in enumerate(shares):
    ax.text(position, share + 0.01, f"{share:.1%}", ha="center")
ax.set_ylabel("share of chosen tokens")
ax.set_title(f"What happens to the {chosen.sum():,} chosen tokens")
plt.show()

# %% [markdown]
# ## 2. A short training, interrupted
#
# `train_bert.py` packs the speeches into rows `[CLS] ... [SEP]` of 32 tokens, masks each batch with
# the collator, and trains with AdamW (warm-up then linear decay, gradient clipping). `--stop-after`
# stops it part-way as if the machine had gone down; it leaves `model.safetensors` and
# `training_state.npz` (optimizer moments, schedule, random-number states, losses so far).

# %%
run_dir = output_dir("13_mlm_training") / "run"
flags = tiny_bert_flags(run_dir)
if "--eval-rows" in flags:  # score all held-out rows at every interval: the curve, the final line and
    del flags[flags.index("--eval-rows") : flags.index("--eval-rows") + 2]  # the baseline share their rows
total_steps = int(flags[flags.index("--steps") + 1]) if "--steps" in flags else 300  # the tiny preset: 300
first_part = total_steps // 2


def train_bert(extra):
    print("python examples/train_bert.py " + " ".join(flags + extra))
    run = subprocess.run([sys.executable, str(SCRIPT), *flags, *extra], capture_output=True, text=True)
    if run.returncode:
        raise RuntimeError(run.stderr[-3000:])
    for line in run.stdout.splitlines():
        if line.startswith(("step ", "resumed", "held-out (")):
            print(line)


train_bert(["--stop-after", str(first_part)])
state = tg.load(run_dir / "training_state.npz")
print(f"saved at step {int(state['step'])}; {sorted(state)}")

# %% [markdown]
# ## 3. Resuming from the checkpoint
#
# `--resume` reloads everything in `training_state.npz` and continues at the next step with the same
# batches, masks and learning rates an uninterrupted run would have used (the script's tests check
# that the two give the same weights).

# %%
train_bert(["--resume"])
state = tg.load(run_dir / "training_state.npz")
fig, ax = plt.subplots(figsize=(7, 3.5))
steps_done = np.arange(1, len(state["train_losses"]) + 1)
ax.plot(steps_done, state["train_losses"], alpha=0.5, label="train (batch)")
heldout_steps, heldout_values = state["curve"]["held-out"]
ax.plot(heldout_steps, heldout_values, "o-", label="held-out")
ax.axvline(first_part, color="gray", ls="--", label="stopped here, then --resume")
baseline = json.loads((run_dir / "metrics.json").read_text())["baseline_loss"]
ax.axhline(baseline, color="C3", ls=":", label="unigram baseline (held-out)")
ax.set_xlabel("step")
ax.set_ylabel("MLM loss (nats per masked token)")
ax.set_title(f"Mini-BERT, {total_steps} steps in two runs" + (" (CI mode: shortened)" if fast_mode() else ""))
ax.legend()
plt.show()
metrics = json.loads((run_dir / "metrics.json").read_text())
verdict = "beats" if heldout_values[-1] < baseline else "does not beat"
print(f"held-out loss after {total_steps} steps: {heldout_values[-1]:.3f} (the curve's last point; the run's "
      f"final line: {metrics['val_loss']:.3f}); unigram baseline on the same {metrics['val_masked_tokens']} "
      f"masked tokens: {baseline:.3f}. The model {verdict} the baseline.")

# %% [markdown]
# A loss of $\log V$ is a uniform guess over the vocabulary; the script also prints the **unigram
# baseline** (every masked token predicted by its frequency alone), scored on the same held-out masked
# tokens as the curve. Beating it means the model uses the context; the line above says whether this
# run does.

# %% [markdown]
# ## Exercises
#
# Replace each `None`, run the check cell below it. Solutions: `notebooks/solutions/13_mlm_training.py`.
#
# **Exercise 1.** In a row with 100 real tokens, how many `[MASK]` tokens does BERT's rule give on
# average?

# %% [answer ex1]
answer_ex1 = None

# %%
check("13.1", answer_ex1, collator=collator)

# %% [markdown]
# **Exercise 2.** For the four masked copies in `batch` (section 1), how many positions in all enter
# the loss? Compute it from `batch["labels"]`.

# %% [answer ex2]
answer_ex2 = None

# %%
check("13.2", answer_ex2, labels=batch["labels"])

# %% [markdown]
# **Exercise 3.** The loss of a masked token whose true id gets probability $p$ is $-\log p$. With
# the final held-out loss of our run (printed under the figure), what is the held-out **perplexity**
# $e^{L}$ (the number of tokens the model is, on average, as unsure as a uniform choice among)?

# %% [answer ex3]
answer_ex3 = None

# %%
check("13.3", answer_ex3, heldout_losses=heldout_values)
