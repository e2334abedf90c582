# %% [markdown]
# # Solutions · 08 A character transformer
#
# Each `[answer exN]` cell replaces the cell of the same name in the notebook.

# %% [answer ex1]
C = 32
layer_norms = 2 * (2 * C)  # ln_1, ln_2: gamma and beta
attention = 3 * (C * C + C) + (C * C + C)  # query, key, value, attn_proj
mlp = (C * 4 * C + 4 * C) + (4 * C * C + C)  # fc, proj
answer_ex1 = layer_norms + attention + mlp  # 12 C^2 + 13 C = 12,704

# %% [answer ex2]
answer_ex2 = (8, 4, 12, 12)  # (B, H, T, T)

# %% [answer ex3]
import numpy as np


def my_layer_norm(x, gamma, beta, eps=1e-5):
    mean = x.mean(axis=-1, keepdims=True)  # (..., 1)
    variance = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return gamma * (x - mean) / np.sqrt(variance + eps) + beta

# %% [answer ex4]
# PE[p] . PE[p+k] = sum_i [sin(p w) sin((p+k) w) + cos(p w) cos((p+k) w)] = sum_i cos(k w_i)
frequencies = 10000.0 ** (-np.arange(0, 32, 2) / 32)
answer_ex4 = float(np.cos(3 * frequencies).sum())
