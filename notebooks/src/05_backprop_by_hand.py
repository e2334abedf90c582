# %% [markdown]
# # 05 · Backprop by hand: the MLP's backward pass, tensor by tensor
#
# Autograd is convenient, but it is no magic: every gradient it computes is a few lines of array
# algebra. Here we write the character MLP of notebook 03 as a chain of small steps, derive the
# gradient of the loss with respect to every intermediate **by hand** in numpy, and compare each one
# with what autograd finds. The script version is `examples/manual_backprop_mlp.py`.
#
# Shapes: $B$ batch, $T$ context, $C$ embedding size, $H$ hidden units, $V = 27$ characters. We work in
# float64 so that the two must agree to ~$10^{-12}$.

# %%
import matplotlib.pyplot as plt
import numpy as np

import tinygrad_edu as tg
from models.mlp import MLP, MLPConfig
from tinygrad_edu.data import CharTokenizer, build_dataset, load_words, split_words
from tinygrad_edu.exercises import check, repo_root, steps

words = load_words(repo_root() / "data" / "names.txt")
tokenizer = CharTokenizer.from_words(words)
train_words, _, _ = split_words(words)
X_train, Y_train = build_dataset(train_words, tokenizer, block_size=3)
model = MLP(MLPConfig(vocab_size=27, block_size=3, n_embd=10, n_hidden=64), generator=tg.Generator(1)).to(tg.float64)
rows = np.random.default_rng(0).integers(0, len(X_train), 32)
Xb, Yb = X_train[rows], Y_train[rows]  # (B, T), (B,)
B = len(Xb)

# %% [markdown]
# ## 1. The forward pass in atomic steps
#
# Each intermediate keeps its gradient (`retain_grad()`), so that we can compare afterwards. The
# cross-entropy is spelled out too: subtract each row's maximum (stability), exponentiate, normalise,
# take the log-probability of the right character, average, negate.

# %%
C, W1, b1 = model.wte.weight, model.hidden.weight, model.hidden.bias  # W1 (H, T*C) as in nn.Linear
W2, b2 = model.output.weight, model.output.bias  # W2 (V, H)
f = {}  # name -> intermediate Tensor, in forward order
f["emb"] = C[tg.Tensor(Xb)]  # (B, T, C)
f["embcat"] = f["emb"].reshape(B, -1)  # (B, T*C)
f["hpre"] = f["embcat"] @ W1.T + b1  # (B, H)
f["h"] = f["hpre"].tanh()  # (B, H)
f["logits"] = f["h"] @ W2.T + b2  # (B, V)
f["norm_logits"] = f["logits"] - f["logits"].max(1, keepdim=True)[0].detach()  # (B, V); the max is a constant shift
f["counts"] = f["norm_logits"].exp()  # (B, V)
f["counts_sum"] = f["counts"].sum(1, keepdim=True)  # (B, 1)
f["probs"] = f["counts"] / f["counts_sum"]  # (B, V)
f["logprobs"] = f["probs"].log()  # (B, V)
loss = -f["logprobs"][tg.arange(B), tg.Tensor(Yb)].mean()
for tensor in f.values():
    tensor.retain_grad()
for parameter in model.parameters():
    parameter.grad = None
loss.backward()
for name, tensor in f.items():
    print(f"{name:>12s} {tensor.shape}")
print("loss", loss.item())

# %% [markdown]
# ## 2. The backward pass, from the loss to the embedding table
#
# The rules used again and again:
# - $y = \frac{1}{B}\sum_b x_b$: each $x_b$ gets $\frac{1}{B}$ of $\partial L/\partial y$;
# - $y = \log x$: $\partial L / \partial x = \frac{1}{x}\, \partial L / \partial y$; $\;y = e^x$: multiply by $e^x$;
# - $y = a / s$ with $s$ of shape $(B, 1)$ broadcast over columns: $\partial L/\partial s = -\sum_j \partial L/\partial y_{\cdot j}\, a_{\cdot j} / s^2$ (a broadcast in the forward pass is a **sum** in the backward pass);
# - $y = x W^\top + b$: $\partial L/\partial x = \partial L/\partial y\, W$, $\;\partial L/\partial W = (\partial L/\partial y)^\top x$, $\;\partial L/\partial b = \sum_b \partial L/\partial y$;
# - $y = \tanh x$: multiply by $1 - y^2$;
# - an embedding lookup: add each row's gradient into the row of the table it was read from.

# %%
n = {name: tensor.numpy() for name, tensor in f.items()}  # the forward values as numpy arrays
g = {}  # name -> gradient computed by hand
g["logprobs"] = np.zeros_like(n["logprobs"])
g["logprobs"][np.arange(B), Yb] = -1.0 / B  # loss = -mean of the picked entries
g["probs"] = g["logprobs"] / n["probs"]
g["counts_sum"] = (-g["probs"] * n["counts"] / n["counts_sum"] ** 2).sum(1, keepdims=True)  # broadcast -> sum
g["counts"] = g["probs"] / n["counts_sum"] + g["counts_sum"]  # two paths: directly, and through the sum
g["norm_logits"] = g["counts"] * n["counts"]
g["logits"] = g["norm_logits"].copy()  # minus a detached constant
g["h"] = g["logits"] @ W2.numpy()
g["W2"] = g["logits"].T @ n["h"]
g["b2"] = g["logits"].sum(0)
g["hpre"] = g["h"] * (1 - n["h"] ** 2)
g["embcat"] = g["hpre"] @ W1.numpy()
g["W1"] = g["hpre"].T @ n["embcat"]
g["b1"] = g["hpre"].sum(0)
g["emb"] = g["embcat"].reshape(n["emb"].shape)
g["C"] = np.zeros_like(C.numpy())
np.add.at(g["C"], Xb, g["emb"])  # add.at: a character used twice gets both gradients

autograd = {**{name: tensor.grad.numpy() for name, tensor in f.items() if name in g},
            "W2": W2.grad.numpy(), "b2": b2.grad.numpy(), "W1": W1.grad.numpy(), "b1": b1.grad.numpy(), "C": C.grad.numpy()}
differences = {name: float(np.abs(g[name] - autograd[name]).max()) for name in g}
for name, diff in differences.items():
    print(f"{name:>12s}: max |by hand - autograd| = {diff:.2e}")
assert max(differences.values()) < 1e-10

fig, ax = plt.subplots(figsize=(8, 3.2))
ax.bar(list(differences), np.maximum(list(differences.values()), 1e-20))
ax.set_yscale("log")
ax.set_ylabel("max abs difference")
ax.set_title("Hand-written gradients against autograd (float64)")
ax.tick_params(axis="x", rotation=45)
plt.show()

# %% [markdown]
# ### The same backward pass, step by step
#
# The page below replays autograd's backward pass over the same chain, on 4 examples so that the
# small matrices fit on screen. Step through it (the **next** button or the arrow keys): each step
# processes one op, shows the gradient arriving at it and what its `backward` sends to each input.
# Watch `Exp` (the `counts`): they are used twice, by the sum and by the division, so they receive two
# contributions that add up, the two paths of `g["counts"]` above. For a tensor the local derivative
# is a whole Jacobian; the page shows `backward(ones)`, the derivative of the output's sum.

# %%
Xs, Ys = tg.Tensor(Xb[:4]), tg.Tensor(Yb[:4])
hidden = (C[Xs].reshape(4, -1) @ W1.T + b1).tanh()
small_logits = hidden @ W2.T + b2
small_counts = (small_logits - small_logits.max(1, keepdim=True)[0].detach()).exp()
small_probs = small_counts / small_counts.sum(1, keepdim=True)
small_loss = -small_probs.log()[tg.arange(4), Ys].mean()
tg.viz.backward_page(small_loss, params={"C": C, "W1": W1, "b1": b1, "W2": W2, "b2": b2}, title="the MLP's loss on 4 examples")

# %% [markdown]
# ## 3. The shortcut through cross-entropy
#
# Ten lines from `logprobs` back to `logits` collapse into one when done on paper:
#
# $$\frac{\partial L}{\partial\, \mathrm{logits}_{bj}} = \frac{1}{B}\left(\mathrm{softmax}(\mathrm{logits}_b)_j - [j = y_b]\right).$$
#
# This is why frameworks fuse softmax and negative log-likelihood into one `cross_entropy` op.

# %%
probs = n["probs"]
dlogits_fast = probs.copy()
dlogits_fast[np.arange(B), Yb] -= 1
dlogits_fast /= B
print("shortcut vs autograd:", np.abs(dlogits_fast - autograd["logits"]).max())

# %% [markdown]
# ## 4. Training with our own gradients only
#
# No `backward()` at all: the forward pass in numpy, the gradients with the shortcut and the rules
# above, and a plain SGD update.

# %%
params = {name: p.numpy().copy() for name, p in (("C", C), ("W1", W1), ("b1", b1), ("W2", W2), ("b2", b2))}
rng = np.random.default_rng(1)
manual_losses = []
for step in range(steps(full=5000, fast=500)):
    rows = rng.integers(0, len(X_train), 32)
    x, y = X_train[rows], Y_train[rows]
    embcat = params["C"][x].reshape(len(x), -1)
    h = np.tanh(embcat @ params["W1"].T + params["b1"])
    logits = h @ params["W2"].T + params["b2"]
    logits -= logits.max(1, keepdims=True)
    p = np.exp(logits)
    p /= p.sum(1, keepdims=True)
    manual_losses.append(-np.log(p[np.arange(len(y)), y]).mean())
    dlogits = p
    dlogits[np.arange(len(y)), y] -= 1
    dlogits /= len(y)
    dhpre = (dlogits @ params["W2"]) * (1 - h**2)
    grads = {"W2": dlogits.T @ h, "b2": dlogits.sum(0), "W1": dhpre.T @ embcat, "b1": dhpre.sum(0)}
    grads["C"] = np.zeros_like(params["C"])
    np.add.at(grads["C"], x, (dhpre @ params["W1"]).reshape(x.shape + (-1,)))
    lr = 0.1 if step < 4000 else 0.01
    for name in params:
        params[name] -= lr * grads[name]
window = 50
fig, ax = plt.subplots(figsize=(6, 3.2))
ax.plot(np.convolve(manual_losses, np.ones(window) / window, mode="valid"))
ax.set_xlabel("step")
ax.set_ylabel(f"loss (mean of {window} minibatches)")
ax.set_title("Trained by hand-written gradients alone")
plt.show()
print(f"loss: first {np.mean(manual_losses[:window]):.3f}, last {np.mean(manual_losses[-window:]):.3f}")

# %% [markdown]
# ## Exercises
#
# Replace each `None`, run the check cell below it. Solutions: `notebooks/solutions/05_backprop_by_hand.py`.
#
# **Exercise 1.** A tanh unit outputs $h = 0.5$ and receives the gradient $\partial L/\partial h = 2$.
# What is $\partial L/\partial x$ for its input $x$?

# %% [answer ex1]
answer_ex1 = None

# %%
check("05.1", answer_ex1)

# %% [markdown]
# **Exercise 2.** One example ($B = 1$) with logits $[1, 2, 3]$ and target class 0. Give
# $\partial L / \partial \mathrm{logits}$ for the cross-entropy loss as a list of 3 numbers.

# %% [answer ex2]
answer_ex2 = None

# %%
check("05.2", answer_ex2)

# %% [markdown]
# **Exercise 3.** A bias $b$ of shape $(H,)$ is added to every row of a $(B, H)$ matrix. Write
# `bias_grad(dout)` that returns $\partial L/\partial b$ from $\partial L/\partial \mathrm{out}$ of shape $(B, H)$.

# %% [answer ex3]
def bias_grad(dout):
    return None  # replace with your numpy expression


# %%
check("05.3", bias_grad)
