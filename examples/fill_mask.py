"""Fill in the blanks with a trained Mini-BERT: the top-k tokens for each [MASK], with probabilities.

    python examples/fill_mask.py "to be or not to [MASK] ."           # the shipped checkpoints/mini-bert
    python examples/fill_mask.py --checkpoint runs/bert --top-k 10 "my [MASK] , my lord !" "[MASK] me"

The model sees the whole sentence at once (both sides of the blank) and outputs, at the [MASK]
position, a probability for every token of its vocabulary: softmax of the logits. A token that starts
with "##" continues the previous word (a WordPiece continuation).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

import tinygrad_edu as tg

sys.path.insert(0, str(Path(__file__).resolve().parent))
import training_common as training  # noqa: E402
from bert_common import encode_sentence, load_bert, log_softmax  # noqa: E402


def fill_mask(model, tokenizer, text: str, top_k: int) -> list[list[tuple[str, float]]]:
    """For each [MASK] of `text`, in order, the `top_k` (token, probability) pairs."""
    ids = encode_sentence(tokenizer, text, model.config.max_position_embeddings)
    positions = [index for index, token_id in enumerate(ids) if token_id == tokenizer.mask_token_id]
    if not positions:
        raise ValueError(f"no [MASK] in {text!r}; write [MASK] where the model should fill in a word")
    with tg.no_grad():
        logits = model(tg.Tensor(np.array([ids], dtype=np.int64))).logits.numpy()[0]  # (T, vocab)
    results = []
    for position in positions:
        probs = np.exp(log_softmax(logits[position].astype(np.float64)))
        best = np.argsort(-probs)[:top_k]
        results.append([(tokenizer.vocab[i], float(probs[i])) for i in best])
    return results


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=training.HelpFormatter
    )
    parser.add_argument(
        "--checkpoint", help="folder written by train_bert.py (default: the shipped checkpoints/mini-bert)"
    )
    parser.add_argument("--top-k", type=int, default=5, help="how many candidates to show per [MASK]")
    parser.add_argument(
        "texts", nargs="+", help='sentences with [MASK] in them, e.g. "to be or not to [MASK] ."'
    )
    args = parser.parse_args(argv)
    training.check_positive(top_k=args.top_k)
    model, tokenizer = load_bert(args.checkpoint)
    for text in args.texts:
        results = fill_mask(model, tokenizer, text, args.top_k)
        print(text)
        filled = text
        for number, candidates in enumerate(results, start=1):
            print(f"  [MASK] #{number}:")
            for token, probability in candidates:
                print(f"    {probability:7.2%}  {token}")
            filled = filled.replace("[MASK]", candidates[0][0].removeprefix("##"), 1)
        print(f"  best guess: {filled}")


if __name__ == "__main__":
    training.run_main(main)
