# %% [markdown]
# # Solutions · 05 Backprop by hand
#
# Each `[answer exN]` cell replaces the cell of the same name in the notebook.

# %% [answer ex1]
answer_ex1 = 2 * (1 - 0.5**2)  # 1.5

# %% [answer ex2]
import numpy as np

softmax = np.exp([1.0, 2.0, 3.0]) / np.exp([1.0, 2.0, 3.0]).sum()  # about [0.090, 0.245, 0.665]
answer_ex2 = softmax - np.array([1.0, 0.0, 0.0])  # divided by B = 1


# %% [answer ex3]
def bias_grad(dout):
    return dout.sum(axis=0)  # a broadcast in forward is a sum in backward: (B, H) -> (H,)
