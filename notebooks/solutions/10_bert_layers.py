# %% [markdown]
# # Solutions · 10 Inside BERT: the layers
#
# Each `[answer exN]` cell replaces the cell of the same name in the notebook.

# %% [answer ex1]
answer_ex1 = (1, len(tokens), config.intermediate_size)  # noqa: F821 (from the notebook)

# %% [answer ex2]
import numpy as np

D = config.hidden_size // config.num_attention_heads  # noqa: F821
q = acts["layer.0.attention.query"].numpy()[0, :, 1 * D : 2 * D]  # noqa: F821  (T, D): head 1
k = acts["layer.0.attention.key"].numpy()[0, :, 1 * D : 2 * D]  # noqa: F821
scores = q @ k.T / np.sqrt(D)  # (T, T); no mask: the sentence has no padding
weights = np.exp(scores - scores.max(axis=-1, keepdims=True))
answer_ex2 = weights / weights.sum(axis=-1, keepdims=True)

# %% [answer ex3]
z = acts["layer.0.output.layer_norm_input"].numpy()  # noqa: F821  (1, T, C)
norm = model.bert.encoder.layer[0].output.LayerNorm  # noqa: F821
mean = z.mean(axis=-1, keepdims=True)
variance = ((z - mean) ** 2).mean(axis=-1, keepdims=True)
answer_ex3 = norm.weight.numpy() * (z - mean) / np.sqrt(variance + config.layer_norm_eps) + norm.bias.numpy()  # noqa: F821
