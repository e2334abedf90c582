# %% [markdown]
# # 01 · Derivatives and micrograd
#
# A neural network is a function with many knobs (parameters). Training it means nudging every knob in
# the direction that lowers a loss, and the direction is given by the **derivative** of the loss with
# respect to that knob. This notebook builds that idea from the ground up:
#
# 1. the derivative as a slope, estimated by finite differences;
# 2. `Value`, a number that remembers how it was computed, and its computation graph drawn;
# 3. backpropagation: the chain rule applied by hand, then by the engine;
# 4. a neuron, then an MLP trained on two moons, with its decision boundary.
#
# The library code behind it: `tinygrad_edu/scalar.py` (`Value`), `tinygrad_edu/scalar_nn.py`
# (`Neuron`, `Layer`, `MLP`), `tinygrad_edu/viz.py` (drawing) and the script `examples/train_moons.py`.

# %%
import math
import random
import sys

import matplotlib.pyplot as plt
import numpy as np

import tinygrad_edu as tg
from tinygrad_edu import Value
from tinygrad_edu.exercises import check, fast_mode, repo_root, show_graph, steps

print("fast mode (shortened training for CI):", fast_mode())

# %% [markdown]
# ## 1. The derivative as a slope
#
# For $f(x) = 3x^2 - 4x + 5$ the derivative is $f'(x) = 6x - 4$. Without any calculus we can estimate it
# by nudging $x$ a little and watching how $f$ responds:
#
# $$f'(x) \approx \frac{f(x + h) - f(x)}{h} \quad\text{(forward difference)}, \qquad
#   f'(x) \approx \frac{f(x + h) - f(x - h)}{2h} \quad\text{(central difference)}.$$

# %%
def f(x):
    return 3 * x**2 - 4 * x + 5


x0 = 3.0
h = 1e-4
forward = (f(x0 + h) - f(x0)) / h
central = (f(x0 + h) - f(x0 - h)) / (2 * h)
print(f"exact f'(3) = {6 * x0 - 4}, forward difference {forward:.6f}, central difference {central:.6f}")

xs = np.linspace(-2, 4, 200)
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.plot(xs, f(xs), label="f(x)")
ax.plot(xs, f(x0) + (6 * x0 - 4) * (xs - x0), "--", label="tangent at x = 3, slope 14")
ax.scatter([x0], [f(x0)], color="k", zorder=3)
ax.set_ylim(-5, 40)
ax.set_xlabel("x")
ax.legend()
ax.set_title("The derivative is the slope of the tangent")
plt.show()

# %% [markdown]
# How small should $h$ be? The forward difference has an error of order $h$, the central one of order
# $h^2$ (for our quadratic $f$ it is even exact); but a very small $h$ subtracts two nearly equal floats
# and loses digits to rounding. The error plot for $g(x) = \sin x$ at $x = 1$ (where $g'(1) = \cos 1$)
# shows both effects on log scales: this is why `tg.gradcheck` uses central differences with $h$
# around $10^{-6}$ in float64.

# %%
hs = np.logspace(-14, -1, 60)
exact = math.cos(1.0)
forward_error = [abs((math.sin(1.0 + h) - math.sin(1.0)) / h - exact) for h in hs]
central_error = [abs((math.sin(1.0 + h) - math.sin(1.0 - h)) / (2 * h) - exact) for h in hs]
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.loglog(hs, np.maximum(forward_error, 1e-16), label="forward difference")
ax.loglog(hs, np.maximum(central_error, 1e-16), label="central difference")
ax.set_xlabel("step h")
ax.set_ylabel("|estimate - cos(1)|")
ax.set_title("Truncation error (right) against rounding error (left)")
ax.legend()
plt.show()

# %% [markdown]
# ## 2. `Value`: a number that remembers its history
#
# Every arithmetic operation on `Value`s returns a new `Value` that records its inputs and the **local
# derivatives** $\partial\,\text{out} / \partial\,\text{input}$, computed during the forward pass. For
# $d = a b + c$ the graph has two operations, `*` and `+`.

# %%
a = Value(2.0, label="a")
b = Value(-3.0, label="b")
c = Value(10.0, label="c")
e = a * b
e.label = "e"
d = e + c
d.label = "d"
print(d)
show_graph(d)

# %% [markdown]
# ## 3. Backpropagation by hand, then by the engine
#
# A neuron with two inputs: $o = \tanh(x_1 w_1 + x_2 w_2 + b)$. We want $\partial o / \partial w_1$,
# $\partial o / \partial w_2$, ... The **chain rule** says: the derivative of the output with respect to
# a node is the derivative with respect to the node's output times the node's local derivative,
#
# $$\frac{\partial o}{\partial w_1} = \frac{\partial o}{\partial n}\,\frac{\partial n}{\partial (x_1 w_1)}\,
#   \frac{\partial (x_1 w_1)}{\partial w_1} = (1 - o^2) \cdot 1 \cdot x_1 .$$
#
# We walk the graph from the output back to the inputs, multiplying as we go.

# %%
x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
bias = Value(6.8813735870195432, label="b")  # chosen so that n is about 0.88: o is a round number
x1w1 = x1 * w1
x1w1.label = "x1*w1"
x2w2 = x2 * w2
x2w2.label = "x2*w2"
n = x1w1 + x2w2 + bias
n.label = "n"
o = n.tanh()
o.label = "o"

# by hand, from the output backwards
do_do = 1.0
do_dn = do_do * (1 - o.data**2)  # d tanh(n)/dn = 1 - tanh(n)^2
do_db = do_dn * 1.0  # '+' passes the gradient through unchanged
do_dx1w1 = do_dn * 1.0
do_dx2w2 = do_dn * 1.0
do_dw1 = do_dx1w1 * x1.data  # d(x1 w1)/dw1 = x1
do_dx1 = do_dx1w1 * w1.data
do_dw2 = do_dx2w2 * x2.data
do_dx2 = do_dx2w2 * w2.data
by_hand = {"x1": do_dx1, "w1": do_dw1, "x2": do_dx2, "w2": do_dw2, "b": do_db}

# by the engine
o.backward()
by_engine = {"x1": x1.grad, "w1": w1.grad, "x2": x2.grad, "w2": w2.grad, "b": bias.grad}
for name in by_hand:
    print(f"do/d{name:2s}: by hand {by_hand[name]: .6f}   by the engine {by_engine[name]: .6f}")
show_graph(o)

# %% [markdown]
# Note `x2 = 0`: the gradient on $w_2$ is zero, because $w_2$ is multiplied by nothing. And the gradient
# flowing into `+` is copied to each input unchanged, while `*` swaps its inputs' values.
#
# A finite-difference check confirms the engine: `tg.gradcheck(fn, inputs)` compares every gradient
# of `fn` with a central difference and raises an error naming the input that disagrees.

# %%
def neuron(x1, w1, x2, w2, b):
    return (x1 * w1 + x2 * w2 + b).tanh()


print("gradcheck passed:", tg.gradcheck(neuron, [2.0, -3.0, 0.0, 1.0, 6.8813735870195432]))

# %% [markdown]
# ### Watch the backward pass, one node at a time
#
# `tg.viz.backward_page(o)` replays the engine's backward pass on the graph and lets you step through it
# (the **next** button, or the arrow keys once you have clicked the page). At each step the orange box
# is the node being processed: the panel shows its upstream gradient $\partial o / \partial \text{node}$,
# and for each input the local derivative, the contribution it receives (local derivative times
# upstream) and that input's running sum. `tg.viz.save_html(o, "neuron.html")` writes the same page
# to a file that any browser opens, offline.
#
# The second page is $f = a \cdot a + a$ at $a = 3$: `a` is used three times, so it receives three
# contributions, $3 + 3$ from the product and $1$ from the sum, and its gradient is their sum, $7 = 2a + 1$.

# %%
tg.viz.backward_page(o, title="o = tanh(x1*w1 + x2*w2 + b)")

# %%
a = Value(3.0, label="a")
f_of_a = a * a + a
f_of_a.label = "f"
tg.viz.backward_page(f_of_a, title="f = a*a + a: three contributions to a")

# %% [markdown]
# ## 4. A neuron, a layer, an MLP
#
# `tinygrad_edu.scalar_nn` builds the same thing as PyTorch's `nn` in a few lines: a `Neuron` computes
# $\mathrm{relu}(w \cdot x + b)$, a `Layer` is a list of neurons reading the same input, an `MLP` is a
# list of layers. Every module lists its parameters.

# %%
from tinygrad_edu.scalar_nn import MLP, Neuron

random.seed(0)
neuron_module = Neuron(3)
print(neuron_module, "weights:", [round(w.data, 3) for w in neuron_module.w], "output:", neuron_module([1.0, 0.5, -2.0]))
model = MLP(2, [16, 16, 1])
print(model)
print("parameters:", len(model.parameters()), "= (2*16 + 16) + (16*16 + 16) + (16*1 + 1)")

# %% [markdown]
# ## 5. Training on two moons
#
# The data: 100 points in two interleaving half circles, labels $y \in \{-1, +1\}$. The loss is the
# support-vector **hinge loss** plus a small L2 penalty,
#
# $$L = \frac{1}{N}\sum_i \max(0,\; 1 - y_i\, s_i) + \alpha \sum_p p^2 ,$$
#
# where $s_i$ is the MLP's score for point $i$. Each step: forward, `zero_grad`, `backward`, then
# $p \leftarrow p - \eta\, \partial L / \partial p$ for every parameter. We reuse the functions of
# `examples/train_moons.py`, the script that runs the same training from the command line.

# %%
sys.path.insert(0, str(repo_root() / "examples"))
from train_moons import make_moons, svm_loss, train_step

points, labels01 = make_moons(100, noise=0.1, seed=1337)  # points (100, 2), labels (100,)
labels = (labels01 * 2 - 1).tolist()  # {-1, +1}
point_list = points.tolist()

random.seed(1337)
model = MLP(2, [16, 16, 1])
total_steps = steps(full=100, fast=30)
losses, accuracies = [], []
for step in range(total_steps):
    loss, accuracy = train_step(model, point_list, labels, step, total_steps)
    losses.append(loss)
    accuracies.append(accuracy)
final_loss, final_accuracy = svm_loss(model, point_list, labels)
print(f"{total_steps} steps: loss {final_loss.data:.4f}, training accuracy {final_accuracy:.0%}")

fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(9, 3))
ax_loss.plot(losses)
ax_loss.set_title("loss")
ax_loss.set_xlabel("step")
ax_acc.plot(accuracies)
ax_acc.set_title("training accuracy")
ax_acc.set_xlabel("step")
plt.show()

# %%
grid_step = 0.1 if fast_mode() else 0.05
grid_x, grid_y = np.meshgrid(np.arange(-2.0, 3.0, grid_step), np.arange(-1.5, 2.0, grid_step))
scores = np.array([model([float(u), float(v)]).data for u, v in zip(grid_x.ravel(), grid_y.ravel())])
fig, ax = plt.subplots(figsize=(6, 4.5))
ax.contourf(grid_x, grid_y, (scores > 0).reshape(grid_x.shape), cmap=plt.cm.Spectral, alpha=0.8)
ax.scatter(points[:, 0], points[:, 1], c=labels01, s=30, cmap=plt.cm.Spectral, edgecolors="k")
ax.set_title(f"Decision boundary after {total_steps} steps ({final_accuracy:.0%} correct)")
plt.show()

# %% [markdown]
# ## Exercises
#
# Replace each `None` with your answer and run the check cell below it. A wrong answer raises an error
# that says what is off; solutions are in `notebooks/solutions/01_derivatives_micrograd.py`.
#
# **Exercise 1.** By hand (no code): what is the derivative of $f(x) = 3x^2 - 4x + 5$ at $x = -1$?

# %% [answer ex1]
answer_ex1 = None

# %%
check("01.1", answer_ex1, f=f)

# %% [markdown]
# **Exercise 2.** With $a = 2$, $b = -3$, $c = 10$ and $L = (ab + c)^2$, what is $\partial L / \partial a$?
# Work it out with the chain rule on paper, then confirm it with `Value`s and `backward()`.

# %% [answer ex2]
answer_ex2 = None

# %%
check("01.2", answer_ex2)

# %% [markdown]
# **Exercise 3.** Write `softplus(x)` $= \ln(1 + e^x)$ for a `Value` using only `Value` operations
# (`exp`, `log`, `+`). Its derivative should come out as the sigmoid $1 / (1 + e^{-x})$ by itself.

# %% [answer ex3]
def softplus(x):
    return None  # replace with your expression


# %%
check("01.3", softplus)
