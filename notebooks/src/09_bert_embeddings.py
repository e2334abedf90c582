# %% [markdown]
# # 09 · Inside BERT: the embeddings
#
# GPT (notebook 08) reads left to right. BERT reads the whole text at once and learns by filling in
# masked words (notebook 13). Before any attention, each token $i$ of the input becomes one vector, the
# sum of three learned lookups:
#
# $$e_i = \underbrace{W_{\text{word}}[x_i]}_{\text{which token}} + \underbrace{W_{\text{pos}}[i]}_{\text{where}}
# + \underbrace{W_{\text{type}}[s_i]}_{\text{which segment}}, \qquad
# h^{(0)}_i = \mathrm{LayerNorm}(e_i),$$
#
# with $x_i$ the token id, $i$ its position and $s_i \in \{0, 1\}$ its segment (BERT can read a pair
# of texts: `[CLS] A [SEP] B [SEP]`). Shapes: `input_ids` and `token_type_ids` $(B, T)$; the tables
# $(V, C)$, $(T_{\max}, C)$, $(2, C)$; each lookup and their sum $(B, T, C)$.
#
# The model: `models/bert.py`. We look inside the trained Mini-BERT that ships with the project,
# `checkpoints/mini-bert` (its model card, `checkpoints/mini-bert/README.md`, says how it was trained
# and what it has learnt); `notebooks/lesson_bert.py` loads it. Nothing is trained here.

# %%
import sys

import matplotlib.pyplot as plt
import numpy as np
from lesson_bert import mini_bert

import tinygrad_edu as tg
from models.bert import capture_intermediates
from tinygrad_edu.exercises import check, repo_root

sys.path.insert(0, str(repo_root() / "examples"))  # the example scripts' shared code
from training_common import count_parameters  # noqa: E402

model, tokenizer, checkpoint = mini_bert()
config = model.config
print(f"Mini-BERT: {count_parameters(model):,} parameters, vocabulary {config.vocab_size}, "
      f"hidden size C = {config.hidden_size}, {config.num_hidden_layers} layers, checkpoint in {checkpoint}")

# %% [markdown]
# ## 1. A pair of texts as ids, positions and segments

# %%
encoding = tokenizer.encode("the king is dead", "long live the king")
tokens = tokenizer.convert_ids_to_tokens(encoding.input_ids)
print(f"{'position':>8}  {'token':10} {'id':>5} {'segment':>7}")
for position, (token, token_id, segment) in enumerate(zip(tokens, encoding.input_ids, encoding.token_type_ids)):
    print(f"{position:>8}  {token:10} {token_id:>5} {segment:>7}")
input_ids = np.array([encoding.input_ids])  # (B, T) = (1, T)
token_type_ids = np.array([encoding.token_type_ids])

# %% [markdown]
# ## 2. The three lookups, captured by name
#
# `capture_intermediates(model)` records every intermediate of a forward pass under a name (the list
# is in `models/bert.py`'s docstring). The embedding layer's names start with `embeddings.`.

# %%
with capture_intermediates(model) as acts:
    model(input_ids, token_type_ids=token_type_ids)
for name in [n for n in acts if n.startswith("embeddings.")]:
    print(f"{name:32s} {acts[name].shape}")

embeddings = model.bert.embeddings
word = embeddings.word_embeddings.weight.numpy()[input_ids]  # (1, T, C): rows of the table
position = embeddings.position_embeddings.weight.numpy()[: input_ids.shape[1]]  # (T, C)
segment = embeddings.token_type_embeddings.weight.numpy()[token_type_ids]  # (1, T, C)
summed = word + position + segment  # (1, T, C): (T, C) broadcasts over the batch
print("the sum equals embeddings.layer_norm_input:",
      np.allclose(summed, acts["embeddings.layer_norm_input"].numpy(), atol=1e-6))

# %% [markdown]
# ## 3. How large is each part?
#
# The norm of each of the three vectors at each position, and of their sum after LayerNorm (which
# rescales every position to mean 0 and variance 1 across its $C$ channels, then applies $\gamma, \beta$;
# with $\gamma = 1, \beta = 0$ that is a norm of exactly $\sqrt{C} = 8$). Note the log scale: the
# three tables start at $\mathcal{N}(0, 0.02^2)$ and stay small; LayerNorm sets the scale.

# %%
fig, ax = plt.subplots(figsize=(9, 3.5))
positions = np.arange(len(tokens))
width = 0.27
for offset, (label, part) in enumerate((("word", word[0]), ("position", position), ("segment", segment[0]))):
    ax.bar(positions + (offset - 1) * width, np.linalg.norm(part, axis=-1), width, label=label)
ax.plot(positions, np.linalg.norm(acts["embeddings.layer_norm_output"].numpy()[0], axis=-1), "k.-",
        label="after LayerNorm")
ax.set_xticks(positions, tokens, rotation=45)
ax.set_yscale("log")
ax.set_ylabel("vector norm (log scale)")
ax.set_title("The three embeddings of each token, and their normalised sum")
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# ## 4. Position embeddings
#
# BERT *learns* a vector per position (the original transformer used fixed sinusoids). The cosine
# similarity between the vectors of positions $i$ and $j$,
# $\cos(p_i, p_j) = \frac{p_i \cdot p_j}{\lVert p_i \rVert \lVert p_j \rVert}$, shows what it learnt.
# In a trained BERT neighbouring positions get similar vectors: a bright band along the diagonal. The
# shipped model shows it: neighbouring positions have a cosine of about 0.5, positions 5 apart about
# 0.17, 20 apart about 0.05. It was trained on rows of 64 tokens, so only positions 0 to 63 ever
# received a gradient: the vectors of positions 64 to 511 are still their random start (random
# vectors in 128 dimensions are nearly orthogonal), which the second panel shows.


# %%
def cosine_matrix(vectors):
    """(N, C) -> (N, N) cosine similarities."""
    unit = vectors / np.linalg.norm(vectors, axis=-1, keepdims=True)
    return unit @ unit.T


seq_len = 64  # the rows the model was trained on
fig, axes = plt.subplots(1, 2, figsize=(9.5, 4))
for ax, (start, title) in zip(axes, ((0, "positions 0-63 (trained)"), (64, "positions 64-127 (never used)"))):
    image = ax.imshow(cosine_matrix(embeddings.position_embeddings.weight.numpy()[start:start + seq_len]),
                      cmap="RdBu_r", vmin=-1, vmax=1, extent=(start, start + seq_len, start + seq_len, start))
    ax.set_xlabel("position j")
    ax.set_ylabel("position i")
    ax.set_title(f"cos(position i, position j): {title}", fontsize=9)
fig.colorbar(image, ax=axes)
plt.show()

# %% [markdown]
# ## 5. Word similarity
#
# The rows of $W_{\text{word}}$ (also the weights of the output layer: BERT ties them) place tokens
# used in similar contexts near each other. The nearest neighbours by cosine similarity of a few
# words, and the similarities among a small set. The shipped model has learnt real structure from
# nothing but filling in blanks: ranks next to ranks ("king": duke, prince, queen), kin next to kin
# ("father": brother, mother, son), "thou" next to "thyself", "thy", "thee", pronouns next to
# pronouns, "good" next to noble, dear, fair, gentle, "night" next to day and morrow.

# %%
word_table = embeddings.word_embeddings.weight.numpy()  # (V, C)
unit_words = word_table / np.linalg.norm(word_table, axis=-1, keepdims=True).clip(1e-12)
candidates = ["king", "lord", "love", "thou", "you", "good", "death", "night", "father", "he", "she", "my"]
words = [w for w in candidates if w in tokenizer.token_to_id]
ignore = tokenizer.special_token_ids


def nearest(word, k=5):
    similarities = unit_words @ unit_words[tokenizer.token_to_id[word]]  # (V,)
    order = [i for i in np.argsort(-similarities) if i not in ignore and tokenizer.vocab[i] != word]
    return [(tokenizer.vocab[i], round(float(similarities[i]), 2)) for i in order[:k]]


for w in words[:6]:
    print(f"{w:8s} ->", nearest(w))

ids = [tokenizer.token_to_id[w] for w in words]
fig, ax = plt.subplots(figsize=(5.5, 4.5))
image = ax.imshow(cosine_matrix(word_table[ids]), cmap="RdBu_r", vmin=-1, vmax=1)
ax.set_xticks(range(len(words)), words, rotation=60)
ax.set_yticks(range(len(words)), words)
ax.set_title("cosine similarity of word embeddings")
fig.colorbar(image)
plt.show()

# %% [markdown]
# ## Exercises
#
# Replace each `None`, run the check cell below it. Solutions: `notebooks/solutions/09_bert_embeddings.py`.
#
# **Exercise 1.** How many parameters does `model.bert.embeddings` hold? Use `config.vocab_size`,
# `config.max_position_embeddings`, `config.type_vocab_size`, `config.hidden_size`, and count the
# LayerNorm too.

# %% [answer ex1]
answer_ex1 = None

# %%
check("09.1", answer_ex1, embeddings=model.bert.embeddings)

# %% [markdown]
# **Exercise 2.** From the three tables alone (numpy arrays of `.weight.numpy()`), compute the vector
# $e_i$ that enters the embedding LayerNorm for the **first token of the second segment** of our pair
# (shape $(C,)$).

# %% [answer ex2]
answer_ex2 = None

# %%
check("09.2", answer_ex2, acts=acts, encoding=encoding)

# %% [markdown]
# **Exercise 3.** Which token of the vocabulary (not a special token, not the word itself) is the
# nearest neighbour of `query_word` by cosine similarity in *this* model? Compute it (a string)
# without using `nearest`.

# %%
query_word = words[0]  # the first of our candidate words that is a whole token of this vocabulary
print("query_word =", repr(query_word))

# %% [answer ex3]
answer_ex3 = None

# %%
check("09.3", answer_ex3, nearest=nearest, query_word=query_word)
