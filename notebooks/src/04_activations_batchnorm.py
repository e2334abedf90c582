# %% [markdown]
# # 04 · Activations, gradients and BatchNorm
#
# Notebook 03's MLP had one hidden layer. Stack five and training gets fragile: unless the weights
# start at the right scale, the activations of deep layers either shrink to zero or blow up into the
# flat tails of $\tanh$, where almost no gradient passes, because
#
# $$\frac{d}{dx}\tanh(x) = 1 - \tanh(x)^2 \quad\longrightarrow\quad 0 \text{ when } |\tanh(x)| \to 1 .$$
#
# Two cures, both in `models/mlp_bn.py`:
#
# - **Kaiming initialisation.** A unit $y = \sum_{i=1}^{n} w_i x_i$ with independent inputs of variance
#   $v$ and weights of variance $\sigma^2$ has $\mathrm{Var}(y) = n \sigma^2 v$. Choosing
#   $\sigma = g / \sqrt{n}$ (with $n$ = `fan_in` and the gain $g = 5/3$ that makes up for tanh's
#   squashing) keeps the scale steady from layer to layer.
# - **BatchNorm.** Normalise each unit's pre-activation over the batch, then let the net rescale it:
#
# $$\hat{h} = \frac{h - \mu_B}{\sqrt{\sigma_B^2 + \epsilon}}, \qquad y = \gamma \hat{h} + \beta,
# \qquad \mu_B, \sigma_B^2 \text{ the mean and variance of each column of } h \in \mathbb{R}^{B \times H}.$$
#
# The network: `idx (B, 3) -> embeddings (B, 30) -> 5 x [Linear -> BatchNorm1d -> Tanh] (B, 100) ->
# Linear -> BatchNorm1d -> logits (B, 27)`. The figures come from `examples/diagnose_mlp_bn.py`, whose
# functions this notebook calls.

# %%
import math
import sys
import warnings
from types import SimpleNamespace

import matplotlib.pyplot as plt
import numpy as np
from IPython.display import Image, display

import tinygrad_edu as tg
from models.mlp_bn import MLPBN, MLPBNConfig
from tinygrad_edu import nn
from tinygrad_edu.exercises import check, output_dir, repo_root, steps
from tinygrad_edu.health import HealthReport

warnings.filterwarnings("ignore", message="IProgress not found")  # tqdm without ipywidgets
sys.path.insert(0, str(repo_root() / "examples"))
import diagnose_mlp_bn as diagnose  # noqa: E402
from makemore_common import NamesData  # noqa: E402
from training_common import mean_loss as evaluate  # noqa: E402  (mean loss over a whole split)

data = NamesData.load(str(repo_root() / "data" / "names.txt"), block_size=3)
print(data.describe())
# the script's command-line flags, as plain attributes
args = SimpleNamespace(block_size=3, n_embd=10, n_hidden=100, n_layers=5, seed=42, lr=0.1, batch_size=32,
                       steps=steps(full=1000, fast=150), no_progress=True, health_every=steps(full=20, fast=25))
out = output_dir("04_activations_batchnorm")
args.out = str(out)

# %% [markdown]
# ## 1. The loss at initialisation
#
# Before training the net knows nothing, so it should give every one of the 27 characters about the
# same probability: a loss of $-\log(1/27) \approx 3.30$. A larger initial loss means the net starts
# *confidently wrong* and wastes its first steps undoing that. `MLPBN` scales its last layer by 0.1 for
# this reason; below, the same net without that scaling.

# %%
X_train, Y_train = data.splits["train"]
config = MLPBNConfig(batchnorm=False)
model = MLPBN(config, generator=tg.Generator(42))
print(f"uniform guess {math.log(27):.3f}; MLPBN at init (last layer x 0.1): {evaluate(model, X_train, Y_train):.3f}")
with tg.no_grad():
    model.layers[-1].weight.data *= 10  # undo the 0.1
print(f"without the 0.1 scaling: {evaluate(model, X_train, Y_train):.3f}")

# %% [markdown]
# ## 2. Initialisation: where the tanh outputs land
#
# A `HealthReport` (`tinygrad_edu/health.py`) hooks every `nn.Tanh` of a model and records, among other
# things, a histogram of its outputs $t$ and the fraction of saturated units, $|t| > 0.97$. Here it
# watches one forward and backward pass on 1000 examples, before any training (`report.update()`
# around no optimizer step just takes the record). With weights $\mathcal{N}(0, 1)$ (no $1/\sqrt{n}$)
# the pre-activations have a standard deviation of about $\sqrt{30} \approx 5.5$ in the first layer
# and $\sqrt{100} \cdot 0.8 \approx 8$ after: nearly every unit sits at $\pm 1$. With Kaiming's scale
# they stay spread out.

# %%
X_train, Y_train = data.splits["train"]
rows = np.random.default_rng(args.seed + 1).integers(0, len(X_train), size=1000)


def health_at_init(kaiming):
    config = MLPBNConfig(batchnorm=False, kaiming=kaiming, init_gain=5 / 3 if kaiming else 1.0)
    model = MLPBN(config, generator=tg.Generator(42))
    report = HealthReport(model, every=1, saturation=diagnose.SATURATED)
    _, loss = model(tg.Tensor(X_train[rows]), tg.Tensor(Y_train[rows]))
    loss.backward()
    with report.update():  # no optimizer step inside: this only takes the record
        pass
    return report.records[0]


fig, axes = plt.subplots(1, 2, figsize=(11, 3.5), sharey=True)
for ax, kaiming in zip(axes, (False, True)):
    record = health_at_init(kaiming)
    for layer, stats in enumerate(record["activations"].values(), start=1):
        counts = np.array(stats["histogram"]["counts"], dtype=float)
        edges = np.linspace(stats["histogram"]["low"], stats["histogram"]["high"], len(counts) + 1)
        ax.stairs(counts / counts.sum() / (edges[1] - edges[0]), edges,
                  label=f"layer {layer}: saturated {stats['saturated']:.0%}")
    ax.set_title("weights N(0, 1)" if not kaiming else "Kaiming: N(0, (5/3)² / fan_in)")
    ax.set_xlabel("tanh output")
    ax.legend(fontsize=8)
axes[0].set_ylabel("density")
fig.suptitle("Tanh outputs of the five hidden layers at initialisation (no BatchNorm)")
plt.show()

# %% [markdown]
# ## 3. Four set-ups, trained side by side
#
# `diagnose.run_setup` trains one set-up with SGD (lr 0.1, batch 32) under a `HealthReport` that
# records every `health_every` steps. Among its numbers, for every weight matrix $W$, the
# **update:data ratio** $\mathrm{std}(\Delta W) / \mathrm{std}(W)$: how much of a weight one step
# changes (for SGD, $\Delta W = -\eta\, \nabla W$). A rule of thumb puts it near $10^{-3}$, $-3$ on the
# report's log10 scale. `report.save_png` draws the report's dashboard; `docs/health.md` explains
# every panel.

# %%
results = {}
for label, filename, batchnorm, kaiming in diagnose.SETUPS:
    model, losses, health = diagnose.run_setup(args, data, label, filename, batchnorm, kaiming)
    results[filename] = SimpleNamespace(label=label, model=model, losses=losses, health=health)
    saturated = [f"{stats['saturated']:.0%}" for stats in health.records[-1]["activations"].values()]
    print(f"{label:30s} val loss {evaluate(model, *data.splits['val']):.3f}, saturated per layer {saturated}")

# %% [markdown]
# The worst set-up: no BatchNorm and weights $\mathcal{N}(0,1)$. Look at the top row: most tanh outputs
# sit at $\pm 1$ (left), the saturated fraction stays high (middle), and the gradient arriving at the
# tanh outputs shrinks layer by layer (right: a factor of about 30 from the first hidden layer to the
# last). In the bottom row each layer learns at a very different speed: the update:data ratios spread
# over more than a decade, the deepest hidden layers lowest.

# %%
def show_setup(filename):
    result = results[filename]
    path = result.health.save_png(out / f"{filename}.png", title=result.label)
    display(Image(filename=str(path), width=900))


show_setup("nobn_badinit")

# %% [markdown]
# And with BatchNorm and Kaiming's scale: the tanh outputs are spread over $(-1, 1)$, few saturate, the
# gradients arriving at each layer have similar sizes, and the update:data ratios sit together.

# %%
show_setup("bn_kaiming")

# %%
fig, ax = plt.subplots(figsize=(7, 3.5))
window = max(1, args.steps // 20)
for result in results.values():
    smooth = np.convolve(result.losses, np.ones(window) / window, mode="valid")
    ax.plot(np.arange(len(smooth)) + window - 1, smooth, label=result.label)
ax.axhline(math.log(27), color="gray", ls=":", label="uniform guess")
ax.set_xlabel("step")
ax.set_ylabel(f"batch loss (mean of {window})")
ax.set_title("The first steps of the four set-ups")
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# Read the curves in pairs. With a good initialisation, BatchNorm is not needed for a net this shallow
# (and it starts slower: its output BatchNorm's $\gamma$ begins at 0.1). Its value shows in the
# bad-initialisation pair: with BatchNorm the bad start is almost as good as the Kaiming one, without
# it the net begins far above the uniform guess and spends its first steps climbing out of saturation.

# %% [markdown]
# ## 4. BatchNorm at evaluation: the running statistics
#
# In training a BatchNorm layer uses the statistics of the batch in front of it, so one example's
# output depends on the other examples of its batch, and a batch of one cannot be normalised at all.
# So while training, each BatchNorm layer keeps an exponential moving average of what it saw,
#
# $$\mu_{\text{run}} \leftarrow (1 - m)\, \mu_{\text{run}} + m\, \mu_B, \qquad
# \sigma^2_{\text{run}} \leftarrow (1 - m)\, \sigma^2_{\text{run}} + m\, \sigma^2_B \qquad (m = 0.1),$$
#
# and `model.eval()` switches to these. Below: the running mean of the first BatchNorm (100 units)
# against the mean of its input over the whole training set, and the validation loss with each.

# %%
model = results["bn_kaiming"].model
first_linear, first_bn = model.layers[0], model.layers[1]
with tg.no_grad():
    h = first_linear(model.wte(tg.Tensor(X_train)).reshape(len(X_train), -1)).numpy()  # (N, 100)
fig, ax = plt.subplots(figsize=(4.5, 4))
ax.scatter(h.mean(axis=0), first_bn.running_mean.numpy(), s=10)
lims = [h.mean(axis=0).min(), h.mean(axis=0).max()]
ax.plot(lims, lims, color="gray", ls=":")
ax.set_xlabel("mean over the whole training set")
ax.set_ylabel("running_mean")
ax.set_title(f"First BatchNorm after {args.steps} steps")
plt.show()

val_running = evaluate(model, *data.splits["val"])
saved = [(bn.running_mean.data.copy(), bn.running_var.data.copy()) for bn in model.modules()
         if isinstance(bn, nn.BatchNorm1d)]
# "calibrate": set every BatchNorm's statistics from one pass over the whole training set
model.train()
for bn in model.modules():
    if isinstance(bn, nn.BatchNorm1d):
        bn.momentum = 1.0  # running <- batch statistic
with tg.no_grad():
    model(tg.Tensor(X_train))
val_calibrated = evaluate(model, *data.splits["val"])
for bn, (mean, var) in zip((m for m in model.modules() if isinstance(m, nn.BatchNorm1d)), saved):
    bn.momentum, bn.running_mean.data[...], bn.running_var.data[...] = 0.1, mean, var
print(f"val loss with the running statistics: {val_running:.4f}; "
      f"with statistics of the whole training set: {val_calibrated:.4f}")

# %%
one_name = tg.Tensor(X_train[:1])  # a batch of one context
model.eval()
print("eval mode, batch of one: logits", model(one_name)[0].shape)
model.train()
try:
    model(one_name)
except ValueError as error:
    print("train mode, batch of one:", error)

# %% [markdown]
# ## 5. BatchNorm's alternatives: LayerNorm and GroupNorm
#
# BatchNorm takes its statistics *across the batch*, one mean and variance per unit. Its alternatives
# take them *within one example*, so they behave the same in training and evaluation, and for a batch
# of one:
#
# | layer | statistics over | for our $h \in \mathbb{R}^{B \times 100}$ |
# |---|---|---|
# | `BatchNorm1d(100)` | the batch, per unit | 100 means, each over $B$ examples |
# | `LayerNorm(100)` | all units of one example | $B$ means, each over 100 units |
# | `GroupNorm(10, 100)` | groups of units of one example | $10B$ means, each over 10 units |
#
# (`GroupNorm(C, C)`, one unit per group, is **InstanceNorm**, which needs positions to average over:
# on images each channel has many pixels, here each unit would be one number. `GroupNorm(1, C)` is a
# LayerNorm over $(C, *)$.) The same deep net, Kaiming initialisation, same seed and batches; only
# the normalisation layers differ (the output one too: `LayerNorm(27)`, `GroupNorm(3, 27)`).

# %%
def with_norm(make_norm):
    """MLPBN with every BatchNorm1d replaced by make_norm(features), keeping its gamma (0.1 at the output)."""
    net = MLPBN(MLPBNConfig(batchnorm=True), generator=tg.Generator(42))
    for index, layer in enumerate(net.layers):
        if isinstance(layer, nn.BatchNorm1d):
            norm = make_norm(layer.num_features)
            with tg.no_grad():
                norm.weight.data[...] = layer.weight.data
            net.layers[index] = norm
    return net


norm_steps = steps(full=args.steps, fast=60)  # CI mode: fewer steps than section 3


def train_norm(net):
    """SGD as in section 3, under a HealthReport that records every twentieth of the run."""
    optimizer = tg.optim.SGD(net.parameters(), lr=args.lr)
    report = HealthReport(net, every=max(1, norm_steps // 20), saturation=diagnose.SATURATED)
    rng = np.random.default_rng(args.seed)
    losses = []
    for _ in range(norm_steps):
        batch = rng.integers(0, len(X_train), size=args.batch_size)
        _, loss = net(tg.Tensor(X_train[batch]), tg.Tensor(Y_train[batch]))
        optimizer.zero_grad()
        loss.backward()
        with report.update():
            optimizer.step()
        losses.append(loss.item())
    report.close()
    return losses, report


def saturation_on(net, examples):
    """Each hidden layer's saturated fraction of tanh outputs over `examples` (one recorded pass)."""
    report = HealthReport(net, every=1, saturation=diagnose.SATURATED)
    _, loss = net(tg.Tensor(X_train[examples]), tg.Tensor(Y_train[examples]))
    net.zero_grad()
    loss.backward()
    with report.update():  # no optimizer step inside: this only takes the record
        pass
    report.close()
    return [stats["saturated"] for stats in report.records[0]["activations"].values()]


norms = {
    "BatchNorm": lambda n: nn.BatchNorm1d(n),
    "LayerNorm": lambda n: nn.LayerNorm(n),
    "GroupNorm": lambda n: nn.GroupNorm(10 if n % 10 == 0 else 3, n),
}
compared = {}
for name, make_norm in norms.items():
    net = with_norm(make_norm)
    losses, report = train_norm(net)
    saturated = saturation_on(net, rows)  # the 1000 examples of section 2
    net.eval()
    val = evaluate(net, *data.splits["val"])
    net.train()
    weights = [n for n, stats in report.records[-1]["params"].items() if len(stats["shape"]) == 2]
    late = [record for record in report.records if record["step"] >= 0.8 * norm_steps]
    ratios = [np.mean([record["params"][n]["update_data_log10"] for record in late]) for n in weights]
    compared[name] = SimpleNamespace(net=net, losses=losses, ratios=ratios, weights=weights,
                                     saturated=saturated, val=val)
    print(f"{name:9s}: val loss {val:.3f} after {norm_steps} steps; saturated per layer "
          f"{[f'{v:.0%}' for v in saturated]}")

fig, (ax_loss, ax_sat, ax_ratio) = plt.subplots(1, 3, figsize=(15, 3.8))
window = max(1, norm_steps // 20)
for name, result in compared.items():
    smooth = np.convolve(result.losses, np.ones(window) / window, mode="valid")
    ax_loss.plot(np.arange(len(smooth)) + window - 1, smooth, label=f"{name} (val {result.val:.3f})")
    ax_sat.plot(range(1, 6), [100 * v for v in result.saturated], "o-", label=name)
    ax_ratio.plot(result.weights, result.ratios, "o-", label=name)
ax_loss.set(xlabel="step", ylabel=f"batch loss (mean of {window})", title="training loss")
ax_sat.set(xlabel="hidden layer", ylabel="% of tanh outputs with |t| > 0.97", title="saturation after training",
           xticks=range(1, 6))
ax_ratio.axhline(-3, color="gray", ls=":")
ax_ratio.set(ylabel="log10 update:data", title="update:data ratio (last fifth of the steps)")
ax_ratio.tick_params(axis="x", rotation=30)
for ax in (ax_loss, ax_sat, ax_ratio):
    ax.legend(fontsize=8)
plt.tight_layout()
plt.show()

# %% [markdown]
# On this net the three are close. In the full-length run (1,000 steps, `TG_NOTEBOOK_FAST` unset) the
# validation losses are 2.279 (BatchNorm), 2.279 (LayerNorm) and 2.289 (GroupNorm); every layer keeps
# its saturated tanh outputs at 2-5%, and the update:data ratios lie on top of each other, all between
# $10^{-3}$ and $10^{-2}$. Each keeps the tanh inputs at unit scale; *which* numbers it averages over
# matters little here. Where they differ is what one example's output depends on.

# %% [markdown]
# **BatchNorm couples the examples of a batch.** In training mode one example's output depends on
# which other examples share its batch; in eval mode (running statistics) it does not. LayerNorm and
# GroupNorm never look across the batch. The same context, in two batches with different batch-mates:

# %%
X_val = data.splits["val"][0]
example = X_val[:1]
mates = np.random.default_rng(0).integers(0, len(X_val), size=(2, 31))
batches_with_example = [tg.Tensor(np.concatenate([example, X_val[rows]])) for rows in mates]
for name, result in compared.items():
    net = result.net
    for module in net.modules():
        if isinstance(module, nn.BatchNorm1d):
            module.momentum = 0.0  # a forward in training mode must not move the running statistics here
    moved = {}
    for mode in ("train", "eval"):
        net.train(mode == "train")
        with tg.no_grad():
            first, second = (net(batch)[0].numpy()[0] for batch in batches_with_example)
        moved[mode] = np.abs(first - second).max()
    net.train()
    for module in net.modules():
        if isinstance(module, nn.BatchNorm1d):
            module.momentum = 0.1
    print(f"{name:9s}: the example's logits move by {moved['train']:.2e} (train mode) and "
          f"{moved['eval']:.2e} (eval mode) when its 31 batch-mates change")

# %% [markdown]
# ## Exercises
#
# Replace each `None`, run the check cell below it. Solutions: `notebooks/solutions/04_activations_batchnorm.py`.
#
# **Exercise 1.** With Kaiming initialisation for tanh, what standard deviation do the weights of the
# first Linear layer get? Its input is the concatenation of 3 embeddings of 10 numbers.

# %% [answer ex1]
answer_ex1 = None

# %%
check("04.1", answer_ex1, layer=first_linear)

# %% [markdown]
# **Exercise 2.** A tanh unit outputs $t = 0.99$. What fraction of the gradient arriving at its output
# passes through to its input?

# %% [answer ex2]
answer_ex2 = None

# %%
check("04.2", answer_ex2)

# %% [markdown]
# **Exercise 3.** Write BatchNorm's training-mode forward in numpy: `x` has shape $(B, H)$, `gamma` and
# `beta` shape $(H,)$. Use the biased variance (divide by $B$), as the normalisation does.

# %% [answer ex3]
def batchnorm_forward(x, gamma, beta, eps=1e-5):
    return None


# %%
check("04.3", batchnorm_forward)

# %% [markdown]
# **Exercise 4.** A fresh `BatchNorm1d` (running mean 0, momentum 0.1) sees one training batch whose
# column means are `[2.0, -1.0, 4.0]`. What is its `running_mean` after that batch (a list)?

# %% [answer ex4]
answer_ex4 = None

# %%
check("04.4", answer_ex4)
