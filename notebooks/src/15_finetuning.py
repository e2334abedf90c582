# %% [markdown]
# # 15 · Fine-tuning: text classification, and what pretraining buys
#
# Lessons 09-14 built and trained a masked-language model. Why train a model to fill in blanks? Because
# the encoder it leaves behind can be **fine-tuned** for a task it never saw: a small head goes on top,
# and the whole network trains for a few minutes on labelled examples.
#
# **The task.** Which kind of play does a speech come from: *comedy*, *history* or *tragedy*? The labels
# come with the corpus (`data/shakespeare_labels.tsv`, one row per speech). Three classes, because that
# is how the First Folio (1623) sorted the plays; the source's finer kinds (problem plays, romances,
# Roman plays) are later subdivisions, with only four or five plays each.
#
# **The split holds out whole plays**: 7 plays for test, 6 for validation, 25 for training. A model
# cannot score by recognising Hamlet's name; it has to hear what comedies, histories and tragedies
# sound like.
#
# Three models read the same WordPiece tokens (the Mini-BERT's `vocab.txt`):
# 1. a **bag of words**: the mean of the token embeddings into an MLP (`models/bow_classifier.py`);
# 2. **BERT from random weights** (`models/bert_classification.py`, the Mini-BERT's shape);
# 3. **BERT fine-tuned from the pretrained Mini-BERT** (`checkpoints/mini-bert`).
#
# The full runs are `examples/train_classifier.py`; this lesson looks at the pieces and loads the results.

# %%
import json
import sys

import matplotlib.pyplot as plt
import numpy as np
from IPython.display import Image, display

import tinygrad_edu as tg
from models.bert_classification import BertForSequenceClassification
from tinygrad_edu.data.play_kinds import CLASSES, load_play_kinds, majority_baseline
from tinygrad_edu.exercises import check, fast_mode, output_dir, repo_root

sys.path.insert(0, str(repo_root() / "examples"))
from classifier_common import (  # noqa: E402
    encode_texts,
    load_classifier,
    load_tokenizer,
    pad_batch,
    plot_confusion,
    predict_probs,
    report,
)
from compare_classifiers import markdown_table  # noqa: E402
from train_classifier import make_batch_indices  # noqa: E402

PRETRAINED = repo_root() / "checkpoints" / "mini-bert"
FINE_TUNED = repo_root() / "checkpoints" / "play-kind-bert"
out = output_dir("15_finetuning")
splits = load_play_kinds()
tokenizer = load_tokenizer(PRETRAINED)
for name, split in splits.items():
    shares = np.bincount(split.labels, minlength=3) / len(split)
    print(f"{name:<10} {len(split):>6} speeches, {len(set(split.plays)):>2} plays | "
          + ", ".join(f"{c} {s:.0%}" for c, s in zip(CLASSES, shares)))
baseline = majority_baseline(splits["train"].labels, splits["test"].labels)
print(f"majority baseline on test: always '{baseline['class']}', accuracy {baseline['accuracy']:.3f}, "
      f"macro-F1 {baseline['macro_f1']:.3f}")

# %% [markdown]
# Accuracy alone flatters a lazy model: always answering *comedy* is right 47% of the time. **Macro-F1**
# averages the F1 score of each class, so a class the model never predicts counts as 0 and drags the
# mean down: the majority baseline gets about 0.21. Every result below stands beside this baseline.
#
# ## 1. The `[CLS]` vector, the pooler and the classifier head
#
# BERT gives one vector per token. For a label per *text* we need one vector per text: by convention
# the vector at position 0, the `[CLS]` token, which attends to every other token in every layer. The
# **pooler** passes it through one dense layer and a tanh, and the **classifier** is one `Linear` to
# the three classes:
#
# $$\text{pooled} = \tanh(W_p\, h_{[CLS]} + b_p), \qquad \text{logits} = W_c\, \text{pooled} + b_c$$
#
# A masked-LM checkpoint has no pooler and no classifier, so `from_pretrained` starts both from random
# weights, exactly as Hugging Face `transformers` does (and reports it the same way):

# %%
model, info = BertForSequenceClassification.from_pretrained(
    PRETRAINED, id2label=dict(enumerate(CLASSES)), output_loading_info=True
)
print("started new:", info["missing_keys"])
print("in the file, not used (the masked-LM head):", info["unexpected_keys"])
model.eval()
speech = "Cry God for Harry, England, and Saint George!"
ids = np.array([tokenizer.encode(speech).input_ids])
print(tokenizer.convert_ids_to_tokens(ids[0]))
with tg.no_grad():
    outputs = model.bert(ids)
    logits = model(ids).logits
hidden = outputs.last_hidden_state.numpy()  # (1, T, C)
print("last_hidden_state", hidden.shape, "-> [CLS] vector", hidden[:, 0].shape,
      "-> pooled", outputs.pooler_output.shape, "-> logits", logits.shape)
probs = np.exp(logits.numpy()) / np.exp(logits.numpy()).sum()
print("an untrained head's probabilities:", dict(zip(CLASSES, probs[0].round(3))))

# %% [markdown]
# With a fresh head the probabilities are close to a third each: the head has learnt nothing yet.
#
# ## 2. Frozen encoder vs full fine-tuning
#
# Two ways to train: **freeze** the encoder (only the pooler and classifier learn: the pretrained
# features are used as they are) or **fine-tune** everything (the features adapt to the task too).
# Freezing trains few parameters and is cheap per step; full fine-tuning usually wins. Below, both
# train for the same number of steps on the same batches, and we score them on validation speeches.

# %%
steps = 40 if fast_mode() else 400
train_count = 3000 if fast_mode() else len(splits["train"])  # CI mode: fewer speeches to tokenise
train_pick = np.random.default_rng(0).permutation(len(splits["train"]))[:train_count]
train_rows = encode_texts(tokenizer, [splits["train"].texts[i] for i in train_pick], 64)
train_labels = splits["train"].labels[train_pick]
val_count = 300 if fast_mode() else 2000
val_pick = np.random.default_rng(0).permutation(len(splits["validation"]))[:val_count]
val_rows = encode_texts(tokenizer, [splits["validation"].texts[i] for i in val_pick], 64)
val_labels = splits["validation"].labels[val_pick]


def fine_tune(freeze_encoder: bool, steps: int, lr: float = 3e-4, seed: int = 0):
    """The pretrained Mini-BERT with a new head, trained for `steps` batches of 32 speeches."""
    tg.manual_seed(seed)
    model = BertForSequenceClassification.from_pretrained(PRETRAINED, id2label=dict(enumerate(CLASSES)),
                                                          hidden_dropout_prob=0.1, attention_probs_dropout_prob=0.1)
    if freeze_encoder:
        for parameter in [*model.bert.embeddings.parameters(), *model.bert.encoder.parameters()]:
            parameter.requires_grad_(False)
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = tg.optim.AdamW(trainable, lr=lr, weight_decay=0.01)
    batches = make_batch_indices([len(row) for row in train_rows], 32, seed)
    model.train()
    losses = []
    for step in range(steps):
        chosen = batches(step)
        ids, mask = pad_batch([train_rows[i] for i in chosen], tokenizer.pad_token_id)
        loss = model(ids, attention_mask=mask, labels=train_labels[chosen]).loss
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    predictions = predict_probs(model, val_rows, tokenizer.pad_token_id).argmax(axis=1)
    return model, losses, report(val_labels, predictions, list(CLASSES)), sum(p.numel() for p in trainable)


runs = {name: fine_tune(name == "frozen", steps) for name in ("frozen", "full")}
figure, axes = plt.subplots(figsize=(7, 3.5))
for name, (_, losses, result, trained) in runs.items():
    smooth = np.convolve(losses, np.ones(10) / 10, mode="valid")
    axes.plot(smooth, label=f"{name}: {trained:,} trained parameters")
    print(f"{name:>6}: {trained:>7,} parameters trained | validation accuracy {result['accuracy']:.3f}, "
          f"macro-F1 {result['macro_f1']:.3f}")
axes.set(xlabel="step", ylabel="training loss (mean of 10)", title=f"{steps} steps from the pretrained Mini-BERT")
axes.legend()
plt.show()

# %% [markdown]
# (In CI mode these are 40 steps: both barely move. Run the notebook yourself for 400 steps.)
#
# ## 3. The three models, each over three seeds
#
# The full runs of `examples/train_classifier.py` (the commands are in `docs/finetuning.md`), summarised
# by `examples/compare_classifiers.py`: test macro-F1 and accuracy as mean ± standard deviation over
# seeds, with the lowest and highest seed in brackets.

# %%
results = json.loads((repo_root() / "docs" / "figures" / "finetuning_results.json").read_text())
print(markdown_table(results))
display(Image(filename=str(repo_root() / "docs" / "figures" / "finetuning_comparison.png")))

# %% [markdown]
# ## 4. Looking at one fine-tuned model
#
# `checkpoints/play-kind-bert` is the pretrained Mini-BERT fine-tuned by
# `examples/train_classifier.py --model bert --seed 0`. Its confusion matrix on the test plays (rows:
# the true kind; columns: the prediction) shows which kinds it mixes up:

# %%
classifier, _, max_length = load_classifier(FINE_TUNED)
test_count = 300 if fast_mode() else len(splits["test"])
test_rows = encode_texts(tokenizer, splits["test"].texts[:: max(1, len(splits["test"]) // test_count)], max_length)
test_labels = splits["test"].labels[:: max(1, len(splits["test"]) // test_count)]
test_probs = predict_probs(classifier, test_rows, tokenizer.pad_token_id)
test_report = report(test_labels, test_probs.argmax(axis=1), list(CLASSES))
plot_confusion(out / "confusion.png", test_report["confusion"], list(CLASSES),
               f"play-kind-bert on {len(test_rows)} test speeches")
display(Image(filename=str(out / "confusion.png")))
for line in ["Now is the winter of our discontent made glorious summer by this sun of York;",
             "If music be the food of love, play on;",
             "Is this a dagger which I see before me, the handle toward my hand?"]:
    probs = predict_probs(classifier, encode_texts(tokenizer, [line], max_length), tokenizer.pad_token_id)[0]
    print(f"{line}\n    " + ", ".join(f"{c} {p:.0%}" for c, p in zip(CLASSES, probs)))

# %% [markdown]
# ## Exercises
#
# Replace each `None`, run the check cell below it. Solutions: `notebooks/solutions/15_finetuning.py`.
#
# **Exercise 1.** The majority baseline always answers *comedy*. Compute its **macro-F1** on the test
# split yourself from `splits["test"].labels` (class 0 is comedy): the F1 of comedy, with precision =
# the share of comedies in the test split and recall = 1, and 0 for the two classes it never predicts,
# averaged over the three classes.

# %% [answer ex1]
answer_ex1 = None

# %%
check("15.1", answer_ex1, baseline=baseline)

# %% [markdown]
# **Exercise 2.** Compute the pooled vector of `speech` by hand from `hidden` (section 1) and the
# pooler's weights `model.bert.pooler.dense.weight` (out, in) and `.bias`: take position 0, apply the
# dense layer, then tanh. Answer a numpy array of shape (1, hidden size).

# %% [answer ex2]
answer_ex2 = None

# %%
check("15.2", answer_ex2, pooled=outputs.pooler_output)

# %% [markdown]
# **Exercise 3.** With the encoder frozen, how many parameters train? Count them from the shapes
# (`model.config.hidden_size` is $C$; there are 3 classes): the pooler's dense layer and the classifier,
# weights and biases.

# %% [answer ex3]
answer_ex3 = None

# %%
check("15.3", answer_ex3, runs=runs)

# %% [markdown]
# **Exercise 4.** From `test_report["confusion"]` (rows: true class, columns: prediction), compute the
# **recall of history**: the share of true histories that the fine-tuned model called history.

# %% [answer ex4]
answer_ex4 = None

# %%
check("15.4", answer_ex4, report=test_report)
