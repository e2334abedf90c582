"""What the text-classification scripts share: loading a classifier folder (bag of words or BERT),
turning speeches into padded batches, predicting class probabilities, and the test-split report
(accuracy, macro-F1, per-class precision/recall/F1, confusion matrix) beside the majority baseline.

Used by `train_classifier.py`, `classify.py` and notebook 15.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import training_common as training

import tinygrad_edu as tg
from models.bert_classification import BertForSequenceClassification, has_classifier_head
from models.bow_classifier import MODEL_TYPE as BOW_MODEL_TYPE
from models.bow_classifier import BagOfWordsClassifier
from tinygrad_edu.data import WordPieceTokenizer
from tinygrad_edu.data.play_kinds import confusion_matrix, per_class_scores

MAX_LENGTH_KEY = "max_seq_length"  # config.json: the token length the classifier was fine-tuned with


def load_tokenizer(folder: str | Path) -> WordPieceTokenizer:
    path = Path(folder) / "vocab.txt"
    if not path.is_file():
        raise FileNotFoundError(
            f"{str(folder)!r} has no vocab.txt (the WordPiece vocabulary every model uses)"
        )
    return WordPieceTokenizer.from_file(path)


def load_classifier(folder: str | Path):
    """(model in eval mode, tokenizer, max_length) from a folder written by `train_classifier.py`."""
    folder = Path(folder)
    config_path = folder / "config.json"
    if not config_path.is_file():
        raise FileNotFoundError(
            f"no classifier folder {str(folder)!r} (it needs config.json); train one with "
            "`python examples/train_classifier.py --out DIR`"
        )
    config = json.loads(config_path.read_text(encoding="utf-8"))
    if config.get("model_type") == BOW_MODEL_TYPE:
        model = BagOfWordsClassifier.from_pretrained(folder)
    else:
        if not has_classifier_head(folder):
            raise ValueError(
                f"{str(folder)!r} has no classifier head (a masked-LM checkpoint?); fine-tune it first with "
                f"`python examples/train_classifier.py --model bert --init {folder}`"
            )
        model = BertForSequenceClassification.from_pretrained(folder)
    tokenizer = load_tokenizer(folder)
    model.eval()
    return model, tokenizer, config.get(MAX_LENGTH_KEY)


def class_names(model) -> list[str]:
    if isinstance(model, BagOfWordsClassifier):
        return model.config.label_names()
    return [model.id2label[index] for index in range(model.num_labels)]


def encode_texts(tokenizer: WordPieceTokenizer, texts: list[str], max_length: int) -> list[list[int]]:
    """`[CLS] tokens [SEP]` per text, long texts cut to their first `max_length` tokens (both
    specials included): a speech's kind shows in its opening words as well as anywhere."""
    ids = []
    for text in texts:
        tokens = tokenizer.convert_tokens_to_ids(tokenizer.tokenize(text))[: max_length - 2]
        ids.append([tokenizer.cls_token_id, *tokens, tokenizer.sep_token_id])
    return ids


def pad_batch(rows: list[list[int]], pad_id: int) -> tuple[np.ndarray, np.ndarray]:
    """(input_ids, attention_mask), padded on the right to the longest row of this batch."""
    width = max(len(row) for row in rows)
    ids = np.full((len(rows), width), pad_id, dtype=np.int64)
    mask = np.zeros((len(rows), width), dtype=np.int64)
    for index, row in enumerate(rows):
        ids[index, : len(row)] = row
        mask[index, : len(row)] = 1
    return ids, mask


def predict_probs(model, rows: list[list[int]], pad_id: int, batch_size: int = 128) -> np.ndarray:
    """(N, num_labels) class probabilities, in eval mode and without a graph. Rows are batched by
    length (less padding, less work) and returned in their given order."""
    was_training = model.training
    model.eval()
    order = np.argsort([len(row) for row in rows], kind="stable")
    probs = np.zeros((len(rows), len(class_names(model))))
    try:
        with tg.no_grad():
            for start in range(0, len(rows), batch_size):
                chosen = order[start : start + batch_size]
                ids, mask = pad_batch([rows[i] for i in chosen], pad_id)
                logits = model(ids, attention_mask=mask).logits.numpy().astype(np.float64)
                shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
                probs[chosen] = shifted / shifted.sum(axis=1, keepdims=True)
    finally:
        model.train(was_training)
    return probs


def report(targets: np.ndarray, predictions: np.ndarray, names: list[str]) -> dict:
    """accuracy, macro_f1, per-class precision/recall/f1/support and the confusion matrix."""
    scores = per_class_scores(targets, predictions, len(names))
    return {
        "accuracy": float((targets == predictions).mean()),
        "macro_f1": float(scores["f1"].mean()),
        "per_class": {
            name: {key: float(scores[key][i]) for key in ("precision", "recall", "f1", "support")}
            for i, name in enumerate(names)
        },
        "confusion": confusion_matrix(targets, predictions, len(names)).tolist(),
    }


def format_report(result: dict, baseline: dict, title: str) -> str:
    """The per-class table and the two headline numbers, with the majority baseline beside them."""
    lines = [f"{title}:", f"  {'class':<10} {'precision':>9} {'recall':>7} {'f1':>6} {'support':>8}"]
    for name, row in result["per_class"].items():
        lines.append(
            f"  {name:<10} {row['precision']:>9.3f} {row['recall']:>7.3f} {row['f1']:>6.3f} {int(row['support']):>8}"
        )
    lines.append(
        f"  accuracy {result['accuracy']:.3f}, macro-F1 {result['macro_f1']:.3f} | majority baseline "
        f"(always '{baseline['class']}'): accuracy {baseline['accuracy']:.3f}, macro-F1 {baseline['macro_f1']:.3f}"
    )
    return "\n".join(lines)


def plot_confusion(path: str | Path, counts, names: list[str], title: str) -> Path:
    """The confusion matrix as a PNG: rows are the true class, columns the prediction; each cell
    shows its count and its share of the row (the recall of that class on the diagonal)."""
    training.use_agg_backend()
    import matplotlib.pyplot as plt

    counts = np.asarray(counts)
    shares = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    figure, axes = plt.subplots(figsize=(4.8, 4.2))
    axes.imshow(shares, cmap="Blues", vmin=0, vmax=1)
    for row in range(len(names)):
        for column in range(len(names)):
            colour = "white" if shares[row, column] > 0.6 else "black"
            axes.text(
                column,
                row,
                f"{counts[row, column]}\n{shares[row, column]:.0%}",
                ha="center",
                va="center",
                color=colour,
            )
    axes.set_xticks(range(len(names)), names)
    axes.set_yticks(range(len(names)), names)
    axes.set(xlabel="predicted", ylabel="true", title=title)
    return training.save_figure(figure, path)
