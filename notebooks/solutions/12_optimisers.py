# %% [markdown]
# # Solutions · 12 Optimisers
#
# Each `[answer exN]` cell replaces the cell of the same name in the notebook.

# %% [answer ex1]
# t = 1: m = (1 - b1) g, so m / (1 - b1) = g; v = (1 - b2) g^2, so sqrt(v / (1 - b2)) = |g|.
# The step is lr * g / |g| = lr, whatever the size of g: the parameter moves down by 0.01.
answer_ex1 = -0.01

# %% [answer ex2]
answer_ex2 = 2.71  # 1, then 0.9 + 1 = 1.9, then 0.9 * 1.9 + 1 = 2.71

# %% [answer ex3]
# step 50: warm-up, 1e-3 * 50/100; step 550: 1e-3 * (1000 - 550) / 900
answer_ex3 = [5e-4, 5e-4]
