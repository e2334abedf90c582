# %% [markdown]
# # Solutions · 13 Masked-language-model training
#
# Each `[answer exN]` cell replaces the cell of the same name in the notebook.

# %% [answer ex1]
answer_ex1 = 100 * 0.15 * 0.8  # 12 on average (and about 1.5 random, 1.5 unchanged)

# %% [answer ex2]
answer_ex2 = int((batch["labels"] != -100).sum())  # noqa: F821 (batch comes from the notebook)

# %% [answer ex3]
import numpy as np

answer_ex3 = float(np.exp(state["curve"]["held-out"][1][-1]))  # noqa: F821
