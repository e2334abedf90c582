"""Sample from a saved model: any checkpoint written by the training scripts (bigram, MLP, BatchNorm
MLP, GPT), rebuilt through the registry in models/__init__.py.

    python examples/sample.py --checkpoint runs/mlp                           # 20 names
    python examples/sample.py --checkpoint runs/mlp --n 5 --temperature 0.5 --seed 7
    python examples/sample.py --checkpoint runs/gpt_shakespeare --prompt "ROMEO:" --max-new-tokens 200

(runs/gpt_shakespeare comes from `python examples/train_gpt.py --data data/shakespeare.txt
--char-stream --out runs/gpt_shakespeare`.) Word models (names) draw whole words between "."
boundaries; text models continue --prompt. Lower temperature gives safer, more typical samples;
higher, wilder ones. The same --seed gives the same samples. A Mini-BERT folder is not sampled here:
use examples/fill_mask.py.
"""

from __future__ import annotations

import argparse

import training_common as training

import tinygrad_edu as tg
from models.sampling import sample_words

SAMPLED_MODELS = ("bigram_counts", "bigram", "mlp", "mlp_bn", "gpt")  # the models that generate text


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=training.HelpFormatter)
    parser.add_argument("--checkpoint", required=True, help="model.npz (or the run folder holding it)")
    parser.add_argument("--n", type=int, default=20, help="number of samples")
    parser.add_argument("--temperature", type=float, default=1.0, help="softmax temperature (> 0)")
    parser.add_argument("--top-k", type=int, help="sample only among the k likeliest tokens (default: all)")
    parser.add_argument("--seed", type=int, default=42, help="seed of the sampling generator")
    parser.add_argument("--max-length", type=int, default=50, help="word models: longest word")
    parser.add_argument("--prompt", help="text models: the text to continue (default: a newline)")
    parser.add_argument("--max-new-tokens", type=int, default=200, help="text models: tokens to add")
    args = parser.parse_args(argv)
    training.check_positive(
        n=args.n, temperature=args.temperature, max_length=args.max_length, max_new_tokens=args.max_new_tokens
    )
    if args.top_k is not None:
        training.check_positive(top_k=args.top_k)
    model, tokenizer, checkpoint = training.load_model(args.checkpoint, expect=SAMPLED_MODELS)
    generator = tg.Generator(args.seed)
    task = checkpoint["extra"].get("task", "words")
    if task == "words" and args.prompt is not None:
        raise ValueError(
            f"--prompt: {args.checkpoint} is a names model; it samples whole names, without a prompt"
        )
    print(
        f"# {checkpoint['model_type']} model from {args.checkpoint} ({task}), temperature {args.temperature}"
    )
    if task == "words":
        samples = [
            tokenizer.decode(ids)
            for ids in sample_words(model, args.n, args.temperature, generator, args.max_length)
        ]
    else:
        prompt = "\n" if args.prompt is None else args.prompt
        unknown = sorted(set(prompt) - set(tokenizer.itos))
        if unknown or not prompt:
            raise ValueError(f"--prompt: the model's vocabulary lacks {unknown or 'an empty prompt'}")
        idx = tg.tensor([tokenizer.encode(prompt)] * args.n, dtype=tg.int64)
        out = model.generate(
            idx, args.max_new_tokens, temperature=args.temperature, top_k=args.top_k, generator=generator
        )
        samples = [tokenizer.decode(row) for row in out.tolist()]
    for text in samples:
        print(text)
    return samples


if __name__ == "__main__":
    training.run_main(main)
