# %% [markdown]
# # Solutions · 15 Fine-tuning
#
# Each `[answer exN]` cell replaces the cell of the same name in the notebook.

# %% [answer ex1]
import numpy as np

labels = splits["test"].labels  # noqa: F821 (from the notebook)
precision = np.mean(labels == 0)  # every speech is called comedy: the comedies among them
recall = 1.0  # every comedy is found
answer_ex1 = (2 * precision * recall / (precision + recall) + 0.0 + 0.0) / 3

# %% [answer ex2]
weight = model.bert.pooler.dense.weight.numpy()  # noqa: F821
bias = model.bert.pooler.dense.bias.numpy()  # noqa: F821
answer_ex2 = np.tanh(hidden[:, 0] @ weight.T + bias)  # noqa: F821

# %% [answer ex3]
C = model.config.hidden_size  # noqa: F821
answer_ex3 = (C * C + C) + (C * 3 + 3)

# %% [answer ex4]
confusion = np.array(test_report["confusion"])  # noqa: F821
answer_ex4 = confusion[1, 1] / confusion[1].sum()
