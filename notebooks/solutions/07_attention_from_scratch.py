# %% [markdown]
# # Solutions · 07 Attention from scratch
#
# Each `[answer exN]` cell replaces the cell of the same name in the notebook.

# %%
# already imported in the notebook
import math

import numpy as np

# %% [answer ex1]
# -sum_j (1/8) log(1/8) = log 8, about 2.079 nats: the most uncertain 8 tokens can be
answer_ex1 = math.log(8)

# %% [answer ex2]
answer_ex2 = np.triu(np.ones((4, 4), dtype=bool), k=1)  # True strictly above the diagonal


# %% [answer ex3]
def numpy_attention(q, k, v):
    scores = q @ k.T / np.sqrt(q.shape[-1])  # (T, T)
    scores = scores - scores.max(axis=-1, keepdims=True)  # softmax is unchanged by a shift per row
    weights = np.exp(scores)
    weights = weights / weights.sum(axis=-1, keepdims=True)
    return weights @ v  # (T, D)
