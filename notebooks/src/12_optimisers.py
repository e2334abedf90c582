# %% [markdown]
# # 12 · Optimisers: SGD, momentum, Adam, AdamW, and learning-rate schedules
#
# Every optimiser turns gradients into parameter updates. For a parameter $p$ with gradient $g$ at step $t$
# (as in `torch.optim`, and in `tinygrad_edu/optim/`):
#
# | optimiser | update |
# |---|---|
# | SGD | $p \leftarrow p - \eta\, g$ |
# | momentum | $b \leftarrow \mu b + g,\quad p \leftarrow p - \eta\, b$ |
# | Adam | $m \leftarrow \beta_1 m + (1-\beta_1) g,\; v \leftarrow \beta_2 v + (1-\beta_2) g^2,\; p \leftarrow p - \eta\, \dfrac{m / (1-\beta_1^t)}{\sqrt{v / (1-\beta_2^t)} + \epsilon}$ |
# | AdamW | Adam, plus $p \leftarrow p\,(1 - \eta \lambda)$: weight decay applied to the weights directly |
#
# Momentum averages gradients over time, so it keeps moving along a consistent direction and damps
# back-and-forth oscillation. Adam divides by a running root-mean-square of each parameter's gradient:
# every parameter gets a step of about $\eta$, whatever the scale of its gradient.

# %%
import math

import matplotlib.pyplot as plt
import numpy as np

import tinygrad_edu as tg
from models.mlp import MLP, MLPConfig
from tinygrad_edu.data import CharTokenizer, build_dataset, load_words, split_words
from tinygrad_edu.exercises import check, repo_root, steps
from tinygrad_edu.optim import lr_scheduler

# %% [markdown]
# ## 1. Trajectories on a 2-D loss surface
#
# A long, narrow, curved valley along the parabola $y = 0.1 x^2$, with its minimum at $(1, 0.1)$:
#
# $$L(x, y) = 0.05\,(x - 1)^2 + 5\,(y - 0.1 x^2)^2 .$$
#
# Across the valley it is steep (curvature 10), along it nearly flat (about 0.1): a learning rate small
# enough not to bounce across the valley is far too small to travel along it. Every optimiser starts
# at $(-4, 1.5)$ and takes 100 steps.

# %%
def surface(x, y):
    """The loss; works on numpy arrays (for the contour plot) and on Tensors (for autograd) alike."""
    return 0.05 * (x - 1) ** 2 + 5 * (y - 0.1 * x**2) ** 2


def trajectory(make_optimizer, num_steps=100, start=(-4.0, 1.5)):
    point = tg.nn.Parameter(tg.tensor(list(start), dtype=tg.float64))  # (2,): x and y
    optimizer = make_optimizer([point])
    path = [point.numpy().copy()]
    for _ in range(num_steps):
        loss = surface(point[0], point[1])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        path.append(point.numpy().copy())
    return np.array(path)  # (num_steps + 1, 2)


optimisers = {
    "SGD lr=0.12": lambda params: tg.optim.SGD(params, lr=0.12),  # much larger and it leaves the valley
    "momentum 0.9, lr=0.03": lambda params: tg.optim.SGD(params, lr=0.03, momentum=0.9),
    "Adam lr=0.2": lambda params: tg.optim.Adam(params, lr=0.2),
    "AdamW lr=0.2, wd=0.5": lambda params: tg.optim.AdamW(params, lr=0.2, weight_decay=0.5),
}
paths = {name: trajectory(make) for name, make in optimisers.items()}

grid_x, grid_y = np.meshgrid(np.linspace(-4.5, 2.5, 200), np.linspace(-1.5, 2.0, 200))
fig, (ax, ax_loss) = plt.subplots(1, 2, figsize=(13, 4.5), gridspec_kw={"width_ratios": [1.6, 1]})
ax.contour(grid_x, grid_y, surface(grid_x, grid_y), levels=np.logspace(-3, 1, 18), cmap="Greys", linewidths=0.7)
for name, path in paths.items():
    ax.plot(path[:, 0], path[:, 1], ".-", markersize=3, linewidth=1, label=name)
    ax_loss.semilogy(surface(path[:, 0], path[:, 1]), label=name)
ax.plot([1], [0.1], "k*", markersize=12, label="minimum")
ax.set_xlabel("x")
ax.set_ylabel("y")
ax.legend(fontsize=8, loc="upper right")
ax.set_title("100 steps from (-4, 1.5)")
ax_loss.set_xlabel("step")
ax_loss.set_title("loss")
plt.show()
for name, path in paths.items():
    print(f"{name:>24s}: ends at ({path[-1, 0]: .3f}, {path[-1, 1]: .3f}), loss {surface(*path[-1]):.5f}")

# %% [markdown]
# Plain SGD zig-zags across the valley and crawls along it; momentum builds up speed along the valley;
# Adam moves about `lr` per coordinate per step from the start, whatever the gradient's size. AdamW's
# weight decay pulls the point towards the origin as well, so it settles where that pull balances the
# loss, not at the minimum: decay is a regulariser, a preference for small weights.
#
# ## 2. The same optimisers on the MLP of notebook 03
#
# Each optimiser trains a fresh copy of the character MLP from the same initialisation on the same
# minibatches. The rates are typical ones for each: SGD needs a large rate, Adam a small one.

# %%
words = load_words(repo_root() / "data" / "names.txt")
tokenizer = CharTokenizer.from_words(words)
train_words, val_words, _ = split_words(words)
X_train, Y_train = build_dataset(train_words, tokenizer, 3)
X_val, Y_val = build_dataset(val_words, tokenizer, 3)
mlp_steps = steps(full=4000, fast=400)
batches = np.random.default_rng(0).integers(0, len(X_train), size=(mlp_steps, 32))  # the same for all

mlp_optimisers = {
    "SGD lr=0.1": lambda params: tg.optim.SGD(params, lr=0.1),
    "momentum 0.9, lr=0.02": lambda params: tg.optim.SGD(params, lr=0.02, momentum=0.9),
    "Adam lr=3e-3": lambda params: tg.optim.Adam(params, lr=3e-3),
    "AdamW lr=3e-3, wd=0.1": lambda params: tg.optim.AdamW(params, lr=3e-3, weight_decay=0.1),
}
curves = {}
for name, make in mlp_optimisers.items():
    model = MLP(MLPConfig(vocab_size=27, block_size=3, n_embd=10, n_hidden=200), generator=tg.Generator(0))
    optimizer = make(model.parameters())
    losses = []
    for rows in batches:
        _, loss = model(tg.Tensor(X_train[rows]), tg.Tensor(Y_train[rows]))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    with tg.no_grad():
        _, val_loss = model(tg.Tensor(X_val), tg.Tensor(Y_val))
    curves[name] = losses
    print(f"{name:>24s}: val loss after {mlp_steps} steps {val_loss.item():.4f}")

window = max(1, mlp_steps // 40)
fig, ax = plt.subplots(figsize=(7, 4))
for name, losses in curves.items():
    smooth = np.convolve(losses, np.ones(window) / window, mode="valid")
    ax.plot(np.arange(len(smooth)) + window, smooth, label=name)
ax.set_xlabel("step")
ax.set_ylabel(f"training loss (mean of {window} minibatches)")
ax.set_title("The character MLP under four optimisers")
ax.legend()
plt.show()

# %% [markdown]
# ## 3. Learning-rate schedules with warm-up
#
# A schedule changes the rate as training goes: large early to travel, small late to settle. Transformers
# also **warm up**: the rate rises from 0 over the first steps, while Adam's moment estimates are still
# noisy and the network is far from anything sensible. A scheduler multiplies the optimiser's initial
# rate; call `scheduler.step()` after each `optimizer.step()`.

# %%
def schedule(make_scheduler, total=1000, base_lr=1e-3):
    parameter = tg.nn.Parameter(tg.zeros(1))
    optimizer = tg.optim.AdamW([parameter], lr=base_lr)
    scheduler = make_scheduler(optimizer)
    rates = []
    for _ in range(total):
        rates.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    return rates


schedules = {
    "StepLR (x0.1 at 750)": lambda opt: lr_scheduler.StepLR(opt, step_size=750, gamma=0.1),
    "cosine": lambda opt: lr_scheduler.CosineAnnealingLR(opt, T_max=1000),
    "linear warm-up 100, linear decay (BERT)": lambda opt: lr_scheduler.get_linear_schedule_with_warmup(opt, 100, 1000),
    "warm-up 100, cosine to 10% (GPT)": lambda opt: lr_scheduler.get_cosine_schedule_with_warmup(opt, 100, 1000, 0.1),
}
fig, ax = plt.subplots(figsize=(7, 3.8))
for name, make in schedules.items():
    ax.plot(schedule(make), label=name)
ax.set_xlabel("step")
ax.set_ylabel("learning rate")
ax.set_title("Schedules for a base rate of 1e-3 over 1000 steps")
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# ## Exercises
#
# Replace each `None`, run the check cell below it. Solutions: `notebooks/solutions/12_optimisers.py`.
#
# **Exercise 1.** A parameter has gradient $g = 5$ on Adam's very first step, with `lr=0.01` and the
# default betas and eps. By how much does the parameter change (with its sign)? Work it out from the
# update rule: what are $m$ and $v$ after bias correction at $t = 1$?

# %% [answer ex1]
answer_ex1 = None

# %%
check("12.1", answer_ex1)

# %% [markdown]
# **Exercise 2.** SGD with momentum $\mu = 0.9$ (PyTorch's form: $b \leftarrow \mu b + g$, $b$ starts at
# $g$) sees the same gradient $g = 1$ three steps in a row. What is $b$ after the third step?

# %% [answer ex2]
answer_ex2 = None

# %%
check("12.2", answer_ex2)

# %% [markdown]
# **Exercise 3.** With `get_linear_schedule_with_warmup(optimizer, num_warmup_steps=100,
# num_training_steps=1000)` and a base rate of $10^{-3}$, what is the learning rate used at step 50, and
# at step 550? Give a list of two numbers.

# %%
bert_rates = schedule(lambda opt: lr_scheduler.get_linear_schedule_with_warmup(opt, 100, 1000))

# %% [answer ex3]
answer_ex3 = None

# %%
check("12.3", answer_ex3, rates=bert_rates)
