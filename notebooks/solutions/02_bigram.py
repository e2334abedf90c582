# %% [markdown]
# # Solutions · 02 Bigram
#
# Each `[answer exN]` cell replaces the cell of the same name in the notebook.

# %%
# already imported in the notebook
import numpy as np

import tinygrad_edu as tg

# %% [answer ex1]
ids = [0] + tokenizer.encode("ava") + [0]  # noqa: F821 (tokenizer, P come from the notebook)
answer_ex1 = -np.mean([np.log(P[a, b]) for a, b in zip(ids, ids[1:])])  # noqa: F821

# %% [answer ex2]
# infinity: a single validation pair never seen in training has P = 0, and -log 0 = +inf
answer_ex2 = float("inf")

# %% [answer ex3]
from tinygrad_edu.nn import functional as F

current = tg.tensor([tokenizer.stoi["e"], tokenizer.stoi["m"]])  # noqa: F821
answer_ex3 = F.one_hot(current, 27).float() @ model.weight  # noqa: F821  (2, 27) @ (27, 27)
