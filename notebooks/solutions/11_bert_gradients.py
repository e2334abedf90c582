# %% [markdown]
# # Solutions · 11 Gradients through BERT
#
# Each `[answer exN]` cell replaces the cell of the same name in the notebook.

# %% [answer ex1]
import tinygrad_edu as tg


class Cube(tg.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.data**3

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * 3 * x * x  # dy/dx = 3 x^2, chained with dL/dy


# %% [answer ex2]
eps = 1e-6
plus, minus = x64.copy(), x64.copy()  # noqa: F821 (x64 and layer_norm_sum come from the notebook)
plus[1, 2] += eps
minus[1, 2] -= eps
answer_ex2 = (layer_norm_sum(plus) - layer_norm_sum(minus)) / (2 * eps)  # noqa: F821

# %% [answer ex3]
# read off the figure; in code: list(parts.values())[grad_norms[0].argmax()]
answer_ex3 = list(parts.values())[int(grad_norms[0].argmax())]  # noqa: F821
