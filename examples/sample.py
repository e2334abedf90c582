"""Sample from a saved model: any checkpoint written by the training scripts (bigram, MLP, BatchNorm
MLP, GPT, ...), rebuilt through the registry in models/__init__.py.

    python examples/sample.py --checkpoint runs/mlp/model.npz                  # 20 names
    python examples/sample.py --checkpoint runs/mlp/model.npz --n 5 --temperature 0.5 --seed 7
    python examples/sample.py --checkpoint runs/gpt/model.npz --prompt "ROMEO:" --max-new-tokens 200

Word models (checkpoint task "words") draw whole words between "." boundaries; text models (task
"text") continue --prompt. Lower temperature gives safer, more typical samples; higher, wilder ones.
The same --seed gives the same samples.
"""

from __future__ import annotations

import argparse

import makemore_common  # noqa: F401  (puts the repository root on sys.path)

import tinygrad_edu as tg
from models import build_model
from models.sampling import sample_words
from tinygrad_edu import training


def load_model(path: str):
    """(model in eval mode, tokenizer, checkpoint dict) from a checkpoint file or run folder."""
    checkpoint = training.load_checkpoint(path)
    model = build_model(checkpoint["model_type"], checkpoint["config"])
    model.load_state_dict(checkpoint["state_dict"])
    model.eval()
    return model, training.tokenizer_from_dict(checkpoint["tokenizer"]), checkpoint


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--checkpoint", required=True, help="model.npz (or the run folder holding it)")
    parser.add_argument("--n", type=int, default=20, help="number of samples")
    parser.add_argument("--temperature", type=float, default=1.0, help="softmax temperature (> 0)")
    parser.add_argument("--top-k", type=int, default=None, help="sample only among the k likeliest tokens")
    parser.add_argument("--seed", type=int, default=42, help="seed of the sampling generator")
    parser.add_argument("--max-length", type=int, default=50, help="word models: longest word")
    parser.add_argument("--prompt", default="", help="text models: the text to continue")
    parser.add_argument("--max-new-tokens", type=int, default=200, help="text models: tokens to add")
    args = parser.parse_args(argv)
    training.check_positive(n=args.n, temperature=args.temperature, max_length=args.max_length)
    model, tokenizer, checkpoint = load_model(args.checkpoint)
    generator = tg.Generator(args.seed)
    task = checkpoint["extra"].get("task", "words")
    print(
        f"# {checkpoint['model_type']} model from {args.checkpoint} ({task}), temperature {args.temperature}"
    )
    if task == "words":
        samples = [
            tokenizer.decode(ids)
            for ids in sample_words(model, args.n, args.temperature, generator, args.max_length)
        ]
    else:
        start = tokenizer.encode(args.prompt) if args.prompt else [0]
        idx = tg.tensor([start] * args.n, dtype=tg.int64)
        out = model.generate(
            idx, args.max_new_tokens, temperature=args.temperature, top_k=args.top_k, generator=generator
        )
        samples = [tokenizer.decode(row) for row in out.tolist()]
    for text in samples:
        print(text)
    return samples


if __name__ == "__main__":
    training.run_main(main)
