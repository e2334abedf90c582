# %% [markdown]
# # Solutions · 09 Inside BERT: the embeddings
#
# Each `[answer exN]` cell replaces the cell of the same name in the notebook.

# %% [answer ex1]
C = config.hidden_size  # noqa: F821 (config comes from the notebook)
tables = (config.vocab_size + config.max_position_embeddings + config.type_vocab_size) * C  # noqa: F821
answer_ex1 = tables + 2 * C  # LayerNorm: gamma and beta

# %% [answer ex2]
i = encoding.token_type_ids.index(1)  # noqa: F821 (the first token of segment 1)
emb = model.bert.embeddings  # noqa: F821
answer_ex2 = (emb.word_embeddings.weight.numpy()[encoding.input_ids[i]]  # noqa: F821
              + emb.position_embeddings.weight.numpy()[i]
              + emb.token_type_embeddings.weight.numpy()[1])

# %% [answer ex3]
import numpy as np

table = model.bert.embeddings.word_embeddings.weight.numpy()  # noqa: F821
unit = table / np.linalg.norm(table, axis=-1, keepdims=True).clip(1e-12)
word_id = tokenizer.token_to_id[query_word]  # noqa: F821
similarity = unit @ unit[word_id]
for index in np.argsort(-similarity):
    if index != word_id and index not in tokenizer.special_token_ids:  # noqa: F821
        answer_ex3 = tokenizer.vocab[index]  # noqa: F821
        break
