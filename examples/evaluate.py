"""Print the train / val / test loss of a saved word model (bigram, MLP, BatchNorm MLP) on a name list.

    python examples/evaluate.py --checkpoint runs/mlp
    python examples/evaluate.py --checkpoint runs/mlp/model.npz --data data/names.txt

The words are split as in training (makemore's random.seed(42) shuffle, 80/10/10) and encoded with the
checkpoint's own tokenizer, so a file with characters the model never saw gives a clear error.
Without --data, the file the model was trained on (stored in the checkpoint) is used. The last line
is one JSON object.
"""

from __future__ import annotations

import argparse

import makemore_common as common
import training_common as training

WORD_MODELS = ("bigram_counts", "bigram", "mlp", "mlp_bn")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=training.HelpFormatter)
    parser.add_argument("--checkpoint", required=True, help="model.npz (or the run folder holding it)")
    parser.add_argument("--data", help="name list (default: the one used in training)")
    args = parser.parse_args(argv)
    model, tokenizer, checkpoint = training.load_model(args.checkpoint, expect=WORD_MODELS)
    path = args.data or checkpoint["extra"].get("data") or "data/names.txt"
    data = common.NamesData.load(path, checkpoint["config"]["block_size"], tokenizer=tokenizer)
    print(data.describe())
    losses = data.split_losses(model)
    for name, value in losses.items():
        print(f"{name.replace('_', ' ')}: {value:.4f}")
    training.print_final_json({"model_type": checkpoint["model_type"], "data": path, **losses})
    return losses


if __name__ == "__main__":
    training.run_main(main)
