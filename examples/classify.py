"""Ask a trained classifier what kind of play a text sounds like: the probability of each class.

    python examples/classify.py "Now is the winter of our discontent"         # the shipped classifier
    python examples/classify.py --checkpoint runs/cls_bert "Now is the winter of our discontent"
    python examples/classify.py --checkpoint runs/cls_bow "O Romeo, Romeo! wherefore art thou Romeo?" "Cry God for Harry, England, and Saint George!"

The folder is one written by `train_classifier.py` (a bag-of-words or a BERT classifier, with its
vocab.txt); by default `checkpoints/play-kind-bert`, the shipped Mini-BERT fine-tuned on the task. The text is tokenised as in training, `[CLS] text [SEP]`; a text longer than the length
the classifier was trained on is refused rather than silently cut.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import training_common as training  # noqa: E402
from classifier_common import class_names, load_classifier, predict_probs  # noqa: E402

DEFAULT_CHECKPOINT = Path(__file__).resolve().parent.parent / "checkpoints" / "play-kind-bert"


def classify(model, tokenizer, texts: list[str], max_length: int | None) -> np.ndarray:
    """(len(texts), classes) probabilities; a clear error for an empty or too long text."""
    rows = []
    limit = max_length or getattr(model.config, "max_position_embeddings", None)
    for text in texts:
        if not text.strip():
            raise ValueError("the text is empty; give a line of dialogue")
        ids = tokenizer.encode(text).input_ids
        if limit is not None and len(ids) > limit:
            raise ValueError(
                f"the text is {len(ids)} tokens long ([CLS] and [SEP] included), more than the {limit} "
                f"this classifier was trained on; shorten it"
            )
        rows.append(ids)
    return predict_probs(model, rows, tokenizer.pad_token_id)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--checkpoint", default=str(DEFAULT_CHECKPOINT), help="folder written by train_classifier.py"
    )
    parser.add_argument("texts", nargs="+", help="lines of text to classify, each in quotes")
    args = parser.parse_args(argv)
    model, tokenizer, max_length = load_classifier(args.checkpoint)
    names = class_names(model)
    for text, probs in zip(args.texts, classify(model, tokenizer, args.texts, max_length), strict=True):
        print(text)
        for index in np.argsort(-probs):
            print(f"  {probs[index]:7.2%}  {names[index]}")


if __name__ == "__main__":
    training.run_main(main)
