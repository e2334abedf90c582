# %% [markdown]
# # 03 · The Bengio MLP: embeddings, context windows, minibatches
#
# The bigram sees one character. To see more we cannot keep counting (with 3 characters of context the
# table would have $27^3 \times 27$ entries, most never seen). Bengio et al. (2003) instead give every
# character a learned vector, an **embedding**, and let a neural net read the embeddings of the last
# few characters:
#
# $$\underbrace{x}_{(B,\,T)} \xrightarrow{\text{lookup } C} \underbrace{e}_{(B,\,T,\,d)}
# \xrightarrow{\text{concat}} (B,\, T d) \xrightarrow{\tanh(\cdot\, W_1 + b_1)} (B,\, H)
# \xrightarrow{\cdot\, W_2 + b_2} \underbrace{\text{logits}}_{(B,\,27)}$$
#
# with context length $T$ (`block_size`), embedding size $d$ (`n_embd`) and $H$ hidden units. The
# library code: `models/mlp.py`; the script: `examples/train_mlp.py` (200k steps).

# %%
import math
import sys

import matplotlib.pyplot as plt
import numpy as np

import tinygrad_edu as tg
from models.mlp import MLP, MLPConfig
from tinygrad_edu.data import CharTokenizer, build_dataset, load_words, split_words
from tinygrad_edu.exercises import check, fast_mode, repo_root, steps

sys.path.insert(0, str(repo_root() / "examples"))  # the example scripts' shared code
from training_common import count_parameters  # noqa: E402
from training_common import mean_loss as evaluate  # noqa: E402  (mean loss over a whole split)

words = load_words(repo_root() / "data" / "names.txt")
tokenizer = CharTokenizer.from_words(words)
train_words, val_words, test_words = split_words(words)
block_size = 3
splits = {name: build_dataset(part, tokenizer, block_size) for name, part in
          (("train", train_words), ("val", val_words), ("test", test_words))}
X_train, Y_train = splits["train"]
print({name: X.shape for name, (X, _) in splits.items()})

# %% [markdown]
# ## 1. Context windows
#
# Each name is padded on the left with `block_size` boundary tokens, and every position gives one
# example: the last three characters and the one that follows.

# %%
for context, target in zip(*build_dataset(["emma"], tokenizer, block_size)):
    print(f"{tokenizer.decode(context)} -> {tokenizer.decode([target])}")

# %% [markdown]
# ## 2. The model, shape by shape

# %%
config = MLPConfig(vocab_size=tokenizer.vocab_size, block_size=block_size, n_embd=10, n_hidden=200)
model = MLP(config, generator=tg.Generator(42))
print(model)
print(f"parameters: {count_parameters(model):,}")
xb = tg.Tensor(X_train[:4])
emb = model.wte(xb)
hidden = model.hidden(emb.reshape(4, -1)).tanh()
logits = model.output(hidden)
print(f"idx {xb.shape} -> embeddings {emb.shape} -> concat {emb.reshape(4, -1).shape} -> hidden {hidden.shape} -> logits {logits.shape}")
print(f"initial loss on all training data: {evaluate(model, X_train, Y_train):.4f} (uniform: {math.log(27):.4f})")

# %% [markdown]
# ## 3. Minibatches
#
# A step on all ~29k examples is exact but slow; a random **minibatch** of 32 gives a noisy estimate of
# the gradient for a thousandth of the cost, and many cheap noisy steps beat few exact ones.

# %%
rng = np.random.default_rng(0)


def train(model, optimizer, total_steps, lr_at=None, batch_size=32):
    """Minibatch SGD; `lr_at(step)` sets the learning rate of each step when given. Returns the losses."""
    losses = []
    for step in range(total_steps):
        if lr_at is not None:
            for group in optimizer.param_groups:
                group["lr"] = lr_at(step)
        rows = rng.integers(0, len(X_train), batch_size)
        _, loss = model(tg.Tensor(X_train[rows]), tg.Tensor(Y_train[rows]))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


# %% [markdown]
# ## 4. Finding a learning rate
#
# Train a fresh model once while the learning rate grows exponentially from $10^{-3}$ to $1$, and plot
# the loss against the rate: too small and nothing happens, too large and the loss explodes. A good
# rate sits in the valley, a little before the loss turns up.

# %%
sweep_steps = steps(full=1000, fast=300)
exponents = np.linspace(-3, 0, sweep_steps)
sweep_model = MLP(config, generator=tg.Generator(42))
sweep_losses = train(sweep_model, tg.optim.SGD(sweep_model.parameters(), lr=1e-3), sweep_steps,
                     lr_at=lambda step: 10 ** exponents[step])
smooth = np.convolve(sweep_losses, np.ones(20) / 20, mode="valid")
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.plot(exponents, sweep_losses, alpha=0.3, label="minibatch loss")
ax.plot(exponents[19:], smooth, label="moving average (20 steps)")
ax.set_xlabel("log10 learning rate")
ax.set_ylabel("loss")
ax.set_title("Learning-rate sweep: one run, rate rising each step")
ax.legend()
plt.show()

# %% [markdown]
# ## 5. Training, and train / val / test
#
# We train at 0.1 and drop the rate tenfold for the last part. Overfitting shows as a training loss
# well below the validation loss; the **test** split is looked at once, at the very end.

# %%
total_steps = steps(full=30000, fast=3000)
optimizer = tg.optim.SGD(model.parameters(), lr=0.1)
losses = train(model, optimizer, total_steps, lr_at=lambda step: 0.1 if step < 0.75 * total_steps else 0.01)
split_losses = {name: evaluate(model, X, Y) for name, (X, Y) in splits.items()}
print(f"after {total_steps} steps: " + ", ".join(f"{name} {loss:.4f}" for name, loss in split_losses.items()))
fig, ax = plt.subplots(figsize=(6, 3.5))
per_100 = np.array(losses[: len(losses) // 100 * 100]).reshape(-1, 100).mean(axis=1)
ax.plot(np.arange(len(per_100)) * 100, per_100, label="train (mean of 100 minibatches)")
ax.axhline(split_losses["val"], color="C1", ls="--", label="val, end of training")
ax.set_xlabel("step")
ax.set_ylabel("loss")
ax.legend()
plt.show()
samples = model.sample(num_samples=12, generator=tg.Generator(7))
print("samples:", [tokenizer.decode(ids) for ids in samples])

# %% [markdown]
# ## 6. The character embedding in 2-D
#
# With `n_embd = 2` every character is a point in the plane, and we can look at what the net learnt:
# characters that play similar roles (the vowels, the boundary `.`) end up close together.

# %%
config_2d = MLPConfig(vocab_size=27, block_size=block_size, n_embd=2, n_hidden=200)
model_2d = MLP(config_2d, generator=tg.Generator(1))
steps_2d = steps(full=20000, fast=2000)
train(model_2d, tg.optim.SGD(model_2d.parameters(), lr=0.1), steps_2d,
      lr_at=lambda step: 0.1 if step < 0.75 * steps_2d else 0.01)
print(f"2-D embedding model: val loss {evaluate(model_2d, *splits['val']):.4f}")
points = model_2d.wte.weight.numpy()  # (27, 2)
fig, ax = plt.subplots(figsize=(6, 6))
ax.scatter(points[:, 0], points[:, 1], s=250, c="lightsteelblue")
for i, char in enumerate(tokenizer.itos):
    ax.text(points[i, 0], points[i, 1], char, ha="center", va="center", color="C3" if char in "aeiouy." else "k")
ax.set_title(f"Learned 2-D character embeddings ({steps_2d} steps)")
ax.grid(alpha=0.3)
plt.show()

# %% [markdown]
# ## Exercises
#
# Replace each `None`, run the check cell below it. Solutions: `notebooks/solutions/03_mlp.py`.
#
# **Exercise 1.** How many parameters does the MLP have with `vocab_size=27, block_size=4, n_embd=5,
# n_hidden=100`? Count by hand: the embedding table, then each layer's weight and bias.

# %%
config_ex = MLPConfig(vocab_size=27, block_size=4, n_embd=5, n_hidden=100)  # the exercises' model

# %% [answer ex1]
answer_ex1 = None

# %%
check("03.1", answer_ex1, model=MLP(config_ex))

# %% [markdown]
# **Exercise 2.** For a batch of 32 contexts with `block_size=4, n_embd=5`, what is the shape (a tuple)
# of the embeddings *after* concatenation, the input of the hidden layer?

# %% [answer ex2]
answer_ex2 = None

# %%
check("03.2", answer_ex2, config=config_ex)

# %% [markdown]
# **Exercise 3.** Read the sweep plot: pick a learning rate in the valley (where the smoothed loss is low
# and not yet rising). Then train a fresh model for 1000 steps at your rate; its loss must beat a
# model trained at $10^{-3}$.

# %%
def loss_after_1000_steps(lr):
    fresh = MLP(config, generator=tg.Generator(3))
    train(fresh, tg.optim.SGD(fresh.parameters(), lr=lr), steps(full=1000, fast=300))
    return evaluate(fresh, *splits["val"])


# %% [answer ex3]
answer_ex3 = None

# %%
check("03.3", answer_ex3, loss_after=loss_after_1000_steps)
