# %% [markdown]
# # 11 · Gradients through BERT
#
# Every gradient in BERT comes from the backward functions of a few ops: matmul, softmax, LayerNorm,
# GELU, embedding lookup. How do we know each is right? Compare it with **central differences**:
#
# $$\frac{\partial f}{\partial x_j} \approx \frac{f(x + \epsilon e_j) - f(x - \epsilon e_j)}{2\epsilon},
# \qquad \text{error} \approx \underbrace{\tfrac{\epsilon^2}{6} f'''}_{\text{truncation}}
# + \underbrace{\tfrac{u\, |f|}{\epsilon}}_{\text{rounding}},$$
#
# with $u$ the machine precision. In float32 ($u \approx 6 \cdot 10^{-8}$) the best $\epsilon$ leaves an
# error near $10^{-5}$, too coarse to catch small bugs; in float64 ($u \approx 10^{-16}$) the estimate is
# good to about $10^{-10}$. So `tg.gradcheck` wants float64 inputs. It builds the whole Jacobian both
# ways, one column per input element, and raises `GradcheckError` naming the worst entry.
#
# Then we look at the gradients of a whole `BertForMaskedLM` layer by layer, and write an op of our own
# as a `tg.autograd.Function` (see `examples/custom_op.py` and `docs/custom_ops.md`).

# %%
import sys

import matplotlib.pyplot as plt
import numpy as np

import tinygrad_edu as tg
from models.bert import BertConfig, BertForMaskedLM, capture_intermediates
from tinygrad_edu.exercises import check, repo_root
from tinygrad_edu.nn import functional as F
from tinygrad_edu.nn import scaled_dot_product_attention

sys.path.insert(0, str(repo_root() / "examples"))
from custom_op import softplus  # noqa: E402

generator = tg.Generator(0)

# %% [markdown]
# ## 1. `gradcheck` of attention and LayerNorm
#
# Attention with $B = 1$, $H = 2$ heads, $T = 4$ tokens, $D = 3$ channels: $q, k, v$ of shape
# $(1, 2, 4, 3)$, 72 input numbers and 24 outputs, so a $24 \times 72$ Jacobian, with and without
# the causal mask. LayerNorm over $C = 5$ channels of a $(3, 5)$ input, with its $\gamma$ and $\beta$.

# %%
q, k, v = [tg.randn(1, 2, 4, 3, dtype=tg.float64, generator=generator).requires_grad_() for _ in range(3)]
for causal in (False, True):
    def attention(q, k, v, causal=causal):
        context, probs, scores = scaled_dot_product_attention(q, k, v, causal=causal)
        return context  # (1, 2, 4, 3)

    print(f"attention (causal={causal}): gradcheck passed = {tg.gradcheck(attention, (q, k, v))}")

x = tg.randn(3, 5, dtype=tg.float64, generator=generator).requires_grad_()
gamma = tg.randn(5, dtype=tg.float64, generator=generator).requires_grad_()
beta = tg.randn(5, dtype=tg.float64, generator=generator).requires_grad_()
print("layer_norm: gradcheck passed =", tg.gradcheck(lambda x, g, b: F.layer_norm(x, (5,), g, b), (x, gamma, beta)))
print("layer_norm: gradgradcheck passed =",
      tg.gradgradcheck(lambda x, g, b: F.layer_norm(x, (5,), g, b), (x, gamma, beta)))

# %% [markdown]
# Why float64? The same finite difference of LayerNorm in float32 and in float64, against the exact
# (autograd, float64) derivative, for a range of $\epsilon$: float32 never gets much below $10^{-6}$ and
# only at a large $\epsilon$ (for small ones rounding swamps the difference); float64 reaches about
# $10^{-11}$ near $\epsilon = 10^{-5}$, the V shape the error formula predicts.

# %%
def layer_norm_sum(values):
    """A scalar function of a (3, 5) array: sum(LayerNorm(x) * w), so every output matters."""
    weights = np.linspace(-1, 1, 15).reshape(3, 5).astype(values.dtype)
    with tg.no_grad():
        return float((F.layer_norm(tg.Tensor(values), (5,)) * tg.Tensor(weights)).sum().item())


x64 = x.detach().numpy()
exact_input = tg.Tensor(x64).requires_grad_()
(F.layer_norm(exact_input, (5,)) * tg.Tensor(np.linspace(-1, 1, 15).reshape(3, 5))).sum().backward()
exact = exact_input.grad.numpy()[0, 0]
epsilons = np.logspace(-12, -1, 23)
fig, ax = plt.subplots(figsize=(6, 3.5))
for dtype in (np.float32, np.float64):
    errors = []
    for eps in epsilons:
        plus, minus = x64.astype(dtype).copy(), x64.astype(dtype).copy()
        plus[0, 0] += eps
        minus[0, 0] -= eps
        errors.append(abs((layer_norm_sum(plus) - layer_norm_sum(minus)) / (2 * eps) - exact))
    ax.loglog(epsilons, np.maximum(errors, 1e-16), "o-", label=np.dtype(dtype).name)
ax.set_xlabel("ε")
ax.set_ylabel("|central difference − exact|")
ax.set_title("Finite-difference error of d/dx₀₀ sum(LayerNorm(x) · w)")
ax.legend()
plt.show()

# %% [markdown]
# And what a failure looks like: an op whose backward forgot a factor 2 ($\frac{d}{dx}x^2 = 2x$).

# %%
class SquareWithABug(tg.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.data**2

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * x  # wrong: should be 2 * x


try:
    tg.gradcheck(SquareWithABug.apply, (tg.randn(3, dtype=tg.float64, generator=generator).requires_grad_(),))
except tg.GradcheckError as error:
    print(error)

# %% [markdown]
# ## 2. Gradient norms per layer of a small BERT
#
# A fresh `BertForMaskedLM` with 4 layers of $C = 32$, a batch of 8 random sequences of 16 tokens,
# 15% of positions to predict. Two views after one backward pass:
#
# - $\lVert \partial L / \partial W \rVert$ for each weight matrix, grouped by layer and part;
# - $\lVert \partial L / \partial h^{(i)} \rVert$, the gradient reaching the output of each layer
#   (captured with `capture_intermediates(model, detach=False)` and `retain_grad()`).
#
# In a post-LN BERT at initialisation both stay of the same order through the layers: no vanishing or
# exploding gradient at this depth.

# %%
config = BertConfig(vocab_size=100, hidden_size=32, num_hidden_layers=4, num_attention_heads=2,
                    intermediate_size=64, max_position_embeddings=32,
                    hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
bert = BertForMaskedLM(config, generator=tg.Generator(1))
rng = np.random.default_rng(0)
input_ids = rng.integers(5, config.vocab_size, size=(8, 16))  # (B, T)
labels = np.where(rng.random((8, 16)) < 0.15, input_ids, -100)  # -100: not predicted
with capture_intermediates(bert, detach=False) as acts:
    outputs = bert(input_ids, labels=labels)
layer_outputs = [acts[f"layer.{i}.output"] for i in range(config.num_hidden_layers)]
for hidden in layer_outputs:
    hidden.retain_grad()  # keep the gradient of a non-leaf tensor
outputs.loss.backward()
print(f"loss {outputs.loss.item():.3f}")

parts = {  # name inside bert.encoder.layer.i -> label
    "attention.self.query.weight": "query", "attention.self.key.weight": "key",
    "attention.self.value.weight": "value", "attention.output.dense.weight": "attention out",
    "intermediate.dense.weight": "FFN in", "output.dense.weight": "FFN out",
}
named = dict(bert.named_parameters())
grad_norms = np.array([[np.linalg.norm(named[f"bert.encoder.layer.{i}.{name}"].grad.numpy())
                        for name in parts] for i in range(config.num_hidden_layers)])  # (layers, parts)
fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.8))
width = 0.13
for j, label in enumerate(parts.values()):
    left.bar(np.arange(config.num_hidden_layers) + (j - 2.5) * width, grad_norms[:, j], width, label=label)
left.set_xticks(range(config.num_hidden_layers), [f"layer {i}" for i in range(config.num_hidden_layers)])
left.set_yscale("log")
left.set_ylabel("‖∂L/∂W‖")
left.set_title("weight gradients")
left.set_ylim(top=grad_norms.max() * 30)  # room for the legend above the bars
left.legend(fontsize=7, ncol=3, loc="upper center")
right.plot([np.linalg.norm(h.grad.numpy()) for h in layer_outputs], "o-")
right.set_xticks(range(config.num_hidden_layers), [f"layer {i}" for i in range(config.num_hidden_layers)])
right.set_ylabel("‖∂L/∂h‖")
right.set_title("gradient arriving at each layer's output")
right.set_ylim(bottom=0)
plt.show()

# %% [markdown]
# The query and key gradients are far smaller than the value gradients: at initialisation the
# attention is almost uniform, and a small change of $Q$ or $K$ barely moves a softmax of near-equal
# scores, while $V$ enters the output linearly.

# %% [markdown]
# ## 3. A custom op of your own
#
# A `tg.autograd.Function` has a `forward(ctx, ...)` that computes with numpy and saves what backward
# needs, and a `backward(ctx, grad_output)` that returns one gradient per input: the chain rule,
# $\frac{\partial L}{\partial x} = \frac{\partial L}{\partial y} \cdot \frac{\partial y}{\partial x}$.
# `examples/custom_op.py` writes Softplus, $\log(1 + e^{x})$, whose derivative is the sigmoid; it
# passes `gradcheck` and appears in the graph under its own name.

# %%
x = tg.randn(3, 4, dtype=tg.float64, generator=generator).requires_grad_()
print("softplus: gradcheck", tg.gradcheck(softplus, (x,)), "| gradgradcheck", tg.gradgradcheck(softplus, (x,)))
y = softplus(x).sum()
y.backward()
print("its gradient is the sigmoid:", np.allclose(x.grad.numpy(), x.detach().sigmoid().numpy()))
print("the graph's last op:", type(y.grad_fn).__name__, "<-", [type(f).__name__ for f, _ in y.grad_fn.next_functions])

# %% [markdown]
# ## Exercises
#
# Replace each `None`, run the check cell below it. Solutions: `notebooks/solutions/11_bert_gradients.py`.
#
# **Exercise 1.** Finish `Cube`, $y = x^3$: its `backward` must return $\partial L / \partial x$ given
# `grad_output` $= \partial L / \partial y$. The check runs `gradcheck` on it.

# %% [answer ex1]
class Cube(tg.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.data**3

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return None  # your gradient here


# %%
check("11.1", Cube)

# %% [markdown]
# **Exercise 2.** Estimate by central differences ($\epsilon = 10^{-6}$, float64) the derivative of
# `layer_norm_sum` (section 1) with respect to the element `x64[1, 2]`. The check compares it with
# autograd.

# %% [answer ex2]
answer_ex2 = None

# %%
check("11.2", answer_ex2, exact_input=exact_input)

# %% [markdown]
# **Exercise 3.** In the weight-gradient figure, which part (one of the labels: "query", "key",
# "value", "attention out", "FFN in", "FFN out") has the largest gradient norm in layer 0?

# %% [answer ex3]
answer_ex3 = None

# %%
check("11.3", answer_ex3, parts=parts, grad_norms=grad_norms)
