# %% [markdown]
# # 02 · The bigram model: counting, sampling, and the same model as a neural net
#
# The simplest language model of names: the next character depends only on the current one. We learn
# the table $P(\text{next} \mid \text{current})$ in two ways that end at the same place:
#
# 1. **counting** pairs in the training names and normalising each row;
# 2. **a one-layer neural net**, a $27 \times 27$ weight matrix trained by gradient descent.
#
# Both are measured by the **negative log-likelihood** of the data. The library code:
# `tinygrad_edu/data/chars.py` (tokenizer and dataset), `models/bigram.py` (`BigramCounts`, `BigramNN`);
# the script: `examples/train_bigram.py`.

# %%
import math

import matplotlib.pyplot as plt
import numpy as np

import tinygrad_edu as tg
from models.bigram import BigramConfig, BigramCounts, BigramNN
from tinygrad_edu.data import CharTokenizer, build_dataset, load_words, split_words
from tinygrad_edu.exercises import check, repo_root, steps

words = load_words(repo_root() / "data" / "names.txt")
train_words, val_words, test_words = split_words(words)  # 80 / 10 / 10 %, shuffled with seed 42
tokenizer = CharTokenizer.from_words(words)
print(f"{len(words):,} names, e.g. {words[:5]}; split {len(train_words):,} / {len(val_words):,} / {len(test_words):,}")
print(tokenizer)

# %% [markdown]
# ## 1. Pairs of characters
#
# Each name is framed by the boundary token `.` (id 0): `emma` gives the pairs `.e`, `em`, `mm`, `ma`,
# `a.`. `build_dataset` with a context of one character returns them as arrays: $X$ of shape $(N, 1)$
# (the current character) and $Y$ of shape $(N,)$ (the next one).

# %%
X_train, Y_train = build_dataset(train_words, tokenizer, block_size=1)
X_val, Y_val = build_dataset(val_words, tokenizer, block_size=1)
print("X_train", X_train.shape, "Y_train", Y_train.shape)
for context, target in zip(X_train[:6], Y_train[:6]):
    print(f"  {tokenizer.decode(context)!r} -> {tokenizer.decode([target])!r}")

# %% [markdown]
# ## 2. The count matrix
#
# $N_{ij}$ = how often character $j$ follows character $i$ in the training names. Row `.` holds the
# first letters of names, column `.` the last ones.

# %%
counts_model = BigramCounts(BigramConfig(vocab_size=tokenizer.vocab_size)).fit(X_train, Y_train)
N = counts_model.counts.numpy()  # (27, 27)

fig, ax = plt.subplots(figsize=(10, 10))
ax.imshow(N, cmap="Blues")
for i in range(N.shape[0]):
    for j in range(N.shape[1]):
        pair = tokenizer.itos[i] + tokenizer.itos[j]
        color = "white" if N[i, j] > N.max() / 2 else "dimgray"  # readable on dark cells too
        ax.text(j, i, pair, ha="center", va="bottom", color=color, fontsize=7)
        ax.text(j, i, f"{int(N[i, j])}", ha="center", va="top", color=color, fontsize=6)
ax.set_xticks(range(27), tokenizer.itos)
ax.set_yticks(range(27), tokenizer.itos)
ax.set_xlabel("next character")
ax.set_ylabel("current character")
ax.set_title("Bigram counts in the training names")
plt.show()

# %% [markdown]
# ## 3. Probabilities and sampling
#
# Normalise each row: $P_{ij} = (N_{ij} + k) / \sum_{j'} (N_{ij'} + k)$. The smoothing $k = 1$ gives
# every pair a little probability, so that an unseen pair does not have probability 0. To **sample** a
# name: start at `.`, draw the next character from row `.`, then from that character's row, until `.`
# comes back.

# %%
P = counts_model.probs  # (27, 27), rows sum to one
print("row sums:", np.allclose(P.sum(axis=1), 1.0))
generator = tg.Generator(2147483647)
samples = counts_model.sample(num_samples=12, generator=generator)
print("sampled names:", [tokenizer.decode(ids) for ids in samples])

# %% [markdown]
# Not very name-like: one character of context is little to go on. But is it better than chance? We
# need a number.
#
# ## 4. The negative log-likelihood
#
# The likelihood of the data is the product of the probabilities the model gives to every pair that
# occurs. Its logarithm is a sum; negated and averaged, it is the loss (lower is better):
#
# $$\mathrm{NLL} = -\frac{1}{N}\sum_{n=1}^{N} \log P_{x_n y_n}.$$
#
# A model that guesses uniformly over 27 characters scores $\log 27 \approx 3.30$.

# %%
for word in ["emma", "andrej"]:
    ids = [0] + tokenizer.encode(word) + [0]
    log_probs = [math.log(P[a, b]) for a, b in zip(ids, ids[1:])]
    pairs = " ".join(f"{tokenizer.itos[a]}{tokenizer.itos[b]}:{lp:.2f}" for a, b, lp in zip(ids, ids[1:], log_probs))
    print(f"{word:>7s}: {pairs}   NLL {-np.mean(log_probs):.3f}")
count_train_loss = counts_model.loss(X_train, Y_train)
count_val_loss = counts_model.loss(X_val, Y_val)
print(f"counts: train NLL {count_train_loss:.4f}, val NLL {count_val_loss:.4f} (uniform: {math.log(27):.4f})")

# %% [markdown]
# ## 5. The same model as a neural net
#
# Now learn the table instead of counting it. The model is one weight matrix $W$ of shape $(27, 27)$;
# for a current character $i$ the **logits** for the next character are row $W_i$, which equals
# $\mathrm{onehot}(i)\, W$: $(B, 27) \cdot (27, 27) \to (B, 27)$. Softmax turns logits into
# probabilities, so $W$ plays the role of log-counts. The loss is the same NLL, now called
# **cross-entropy**, and gradient descent lowers it:
#
# $$W \leftarrow W - \eta\, \frac{\partial\, \mathrm{NLL}}{\partial W}.$$
#
# The whole training set is one batch, so every step sees the exact loss.

# %%
model = BigramNN(BigramConfig(vocab_size=tokenizer.vocab_size), generator=tg.Generator(0))
optimizer = tg.optim.SGD(model.parameters(), lr=50.0)  # a large rate suits this small convex problem
X_all, Y_all = tg.Tensor(X_train), tg.Tensor(Y_train)
total_steps = steps(full=300, fast=60)
losses = []
for _ in range(total_steps):
    logits, loss = model(X_all, Y_all)  # logits (N, 27)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    losses.append(loss.item())
with tg.no_grad():
    _, val_loss = model(tg.Tensor(X_val), tg.Tensor(Y_val))
print(f"neural bigram after {total_steps} steps: train {losses[-1]:.4f}, val {val_loss.item():.4f}")
print(f"counting:                      train {count_train_loss:.4f}, val {count_val_loss:.4f}")

fig, (ax_loss, ax_rows) = plt.subplots(1, 2, figsize=(11, 3.8))
ax_loss.plot(losses, label="neural bigram (train)")
ax_loss.axhline(count_train_loss, color="k", ls="--", label="counting (train)")
ax_loss.set_ylim(count_train_loss - 0.05, count_train_loss + 0.6)
ax_loss.set_xlabel("step")
ax_loss.set_ylabel("NLL")
ax_loss.legend()
ax_loss.set_title("Gradient descent reaches the counting loss")
learned = model.weight.softmax(dim=-1).numpy()
row = tokenizer.stoi["a"]
ax_rows.bar(np.arange(27) - 0.2, P[row], width=0.4, label="counts")
ax_rows.bar(np.arange(27) + 0.2, learned[row], width=0.4, label="softmax(W)")
ax_rows.set_xticks(range(27), tokenizer.itos)
ax_rows.set_title("P(next | 'a'): counted and learned")
ax_rows.legend()
plt.show()

# %% [markdown]
# ## Exercises
#
# Replace each `None`, run the check cell below it. Solutions: `notebooks/solutions/02_bigram.py`.
#
# **Exercise 1.** What NLL does the counting model give to the single name `"ava"` (the mean over its 4
# pairs `.a`, `av`, `va`, `a.`)? Use `P` and `tokenizer.stoi`.

# %% [answer ex1]
answer_ex1 = None

# %%
check("02.1", answer_ex1, P=P, stoi=tokenizer.stoi)

# %% [markdown]
# **Exercise 2.** Without smoothing ($k = 0$), some pairs in the validation names never occur in training.
# What is the validation NLL of the counting model then? (Answer with a float; think before you compute.)

# %% [answer ex2]
answer_ex2 = None

# %%
check("02.2", answer_ex2, train=(X_train, Y_train), val=(X_val, Y_val))

# %% [markdown]
# **Exercise 3.** `one_hot(i) @ W` equals `W[i]`. Compute the logits for the current characters
# `"e"` and `"m"` both ways with the trained `model.weight` (`tg.nn.functional.one_hot`, then `.float()`,
# then `@`) and give the one-hot version, shape (2, 27).

# %% [answer ex3]
answer_ex3 = None

# %%
check("02.3", answer_ex3, weight=model.weight, stoi=tokenizer.stoi)
