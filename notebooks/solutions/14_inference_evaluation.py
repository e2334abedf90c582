# %% [markdown]
# # Solutions · 14 Inference and evaluation
#
# Each `[answer exN]` cell replaces the cell of the same name in the notebook.

# %% [answer ex1]
import numpy as np

answer_ex1 = np.log(tokenizer.vocab_size)  # noqa: F821 (from the notebook): -log(1/V)

# %% [answer ex2]
_, per_token_line = pseudo_perplexity(model, tokenizer, line)  # noqa: F821
answer_ex2 = float(np.exp(-np.mean([log_p for _, log_p in per_token_line])))

# %% [answer ex3]
head_mask = np.ones((model.config.num_hidden_layers, model.config.num_attention_heads))  # noqa: F821
head_mask[0] = 0.0  # every head of layer 0 off
answer_ex3 = mlm_metrics(model, batches, head_mask=head_mask)["loss"]  # noqa: F821
