# %% [markdown]
# # Solutions · 03 The Bengio MLP
#
# Each `[answer exN]` cell replaces the cell of the same name in the notebook.

# %% [answer ex1]
# embedding 27*5 = 135; hidden (4*5)*100 + 100 = 2100; output 100*27 + 27 = 2727
answer_ex1 = 135 + 2100 + 2727

# %% [answer ex2]
answer_ex2 = (32, 4 * 5)  # (B, T * n_embd)

# %% [answer ex3]
# the smoothed sweep is lowest around 10^-1 (log10 lr near -1) and turns up past about 10^-0.5
answer_ex3 = 0.1
