# %% [markdown]
# # Solutions · 04 Activations, gradients and BatchNorm
#
# Each `[answer exN]` cell replaces the cell of the same name in the notebook.

# %% [answer ex1]
import math

# fan_in = 3 characters * 10 numbers = 30; std = gain / sqrt(fan_in)
answer_ex1 = (5 / 3) / math.sqrt(30)

# %% [answer ex2]
# d tanh / dx = 1 - tanh(x)^2 = 1 - t^2
answer_ex2 = 1 - 0.99**2

# %% [answer ex3]
import numpy as np


def batchnorm_forward(x, gamma, beta, eps=1e-5):
    mean = x.mean(axis=0)  # (H,)
    variance = ((x - mean) ** 2).mean(axis=0)  # (H,), biased: divided by B
    return gamma * (x - mean) / np.sqrt(variance + eps) + beta


# %% [answer ex4]
# 0.9 * 0 + 0.1 * batch mean
answer_ex4 = [0.2, -0.1, 0.4]
