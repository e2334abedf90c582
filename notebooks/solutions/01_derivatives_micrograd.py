# %% [markdown]
# # Solutions · 01 Derivatives and micrograd
#
# Each `[answer exN]` cell replaces the cell of the same name in the notebook.

# %% [answer ex1]
# f'(x) = 6x - 4, so f'(-1) = -6 - 4
answer_ex1 = -10.0

# %% [answer ex2]
# d = ab + c = 4, L = d^2; dL/da = 2d * b = 2 * 4 * (-3)
from tinygrad_edu import Value

a, b, c = Value(2.0), Value(-3.0), Value(10.0)
L = (a * b + c) ** 2
L.backward()
answer_ex2 = a.grad  # -24.0


# %% [answer ex3]
def softplus(x):
    # d/dx log(1 + e^x) = e^x / (1 + e^x) = sigmoid(x): the engine finds it by the chain rule
    return (x.exp() + 1).log()
