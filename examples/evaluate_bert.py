"""Score a trained Mini-BERT: held-out MLM loss, masked-token accuracy and perplexity beside the
unigram baseline, and the pseudo-perplexity of sentences you give.

    python examples/evaluate_bert.py --checkpoint runs/bert_default
    python examples/evaluate_bert.py --checkpoint runs/bert_default "to be or not to be ." "be not to or be to ."

Held-out: the last 5% of speeches (`split_corpus`), packed into rows of `--seq-len` tokens and masked
once with a fixed seed, exactly as `train_bert.py` scores them, so the numbers agree with its log.

Pseudo-perplexity (Salazar et al. 2020) is how a masked LM scores a whole sentence: mask each token in
turn, ask the model for the probability of the true token given all the others, and take
exp(-mean log p). Lower means the sentence looks more like the training text; a shuffled sentence
should score much worse than the original.

The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import numpy as np

import tinygrad_edu as tg
from tinygrad_edu.data import load_corpus, pack_sequences, split_corpus, unigram_log_probs

sys.path.insert(0, str(Path(__file__).resolve().parent))
import training_common as training  # noqa: E402
from bert_common import (  # noqa: E402
    baseline_metrics,
    encode_sentence,
    heldout_batches,
    load_bert,
    log_softmax,
    mlm_metrics,
    tokenize_speeches,
)


def pseudo_perplexity(model, tokenizer, text: str) -> tuple[float, list[tuple[str, float]]]:
    """exp(-mean log p(token | the rest)) with each real token masked in turn; also each token's log p.

    All the masked copies of the sentence go through the model as one batch: row i has token i masked.
    """
    ids = np.array(encode_sentence(tokenizer, text, model.config.max_position_embeddings), dtype=np.int64)
    positions = [i for i, token_id in enumerate(ids) if token_id not in tokenizer.special_token_ids]
    if not positions:
        raise ValueError(f"{text!r} holds no ordinary tokens to score")
    batch = np.repeat(ids[None, :], len(positions), axis=0)  # (tokens, T)
    batch[np.arange(len(positions)), positions] = tokenizer.mask_token_id
    with tg.no_grad():
        logits = model(tg.Tensor(batch)).logits.numpy()  # (tokens, T, vocab)
    chosen = logits[np.arange(len(positions)), positions].astype(np.float64)  # (tokens, vocab)
    log_probs = log_softmax(chosen)[np.arange(len(positions)), ids[positions]]
    tokens = tokenizer.convert_ids_to_tokens(ids[positions])
    return math.exp(-float(log_probs.mean())), list(zip(tokens, log_probs.tolist(), strict=True))


def default_seq_len(checkpoint: Path, max_positions: int) -> int:
    """The row length the model was trained with (from training_state.npz), else min(128, positions)."""
    state_path = checkpoint / "training_state.npz"
    if state_path.is_file():
        state = tg.load(state_path)
        try:
            return int(state["args"]["seq_len"])
        except (KeyError, TypeError, ValueError):
            raise ValueError(
                f"{str(state_path)!r} does not record the run's seq_len; pass --seq-len"
            ) from None
    return min(128, max_positions)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=training.HelpFormatter
    )
    parser.add_argument("--checkpoint", required=True, help="folder written by train_bert.py")
    parser.add_argument("--data", default="data/shakespeare.txt", help="corpus; its held-out split is scored")
    parser.add_argument("--seq-len", type=int, help="tokens per held-out row (default: as in training)")
    parser.add_argument("--batch-size", type=int, default=32, help="held-out rows per forward pass")
    parser.add_argument("--no-heldout", action="store_true", help="only score the given sentences")
    parser.add_argument("sentences", nargs="*", help="sentences to score by pseudo-perplexity")
    args = parser.parse_args(argv)
    training.check_positive(batch_size=args.batch_size)
    if args.no_heldout and not args.sentences:
        raise ValueError("--no-heldout leaves nothing to score; give sentences to score, or drop the flag")
    model, tokenizer = load_bert(args.checkpoint)
    result: dict = {"checkpoint": args.checkpoint}

    if not args.no_heldout:
        seq_len = args.seq_len or default_seq_len(Path(args.checkpoint), model.config.max_position_embeddings)
        if not 3 <= seq_len <= model.config.max_position_embeddings:
            raise ValueError(
                f"--seq-len {seq_len} must lie between 3 and max_position_embeddings="
                f"{model.config.max_position_embeddings}"
            )
        train_speeches, heldout_speeches = split_corpus(load_corpus(args.data))
        batches = heldout_batches(tokenizer, heldout_speeches, seq_len, args.batch_size)
        train_rows = pack_sequences(
            tokenize_speeches(tokenizer, train_speeches),
            seq_len,
            tokenizer.cls_token_id,
            tokenizer.sep_token_id,
        )
        baseline = baseline_metrics(
            unigram_log_probs(train_rows, tokenizer.vocab_size, tokenizer.special_token_ids), batches
        )
        metrics = mlm_metrics(model, batches)
        print(f"held-out masked tokens: {metrics['tokens']} (rows of {seq_len} tokens)")
        print(f"{'':18s}{'loss':>8s}{'accuracy':>10s}{'perplexity':>12s}")
        for name, values in (("Mini-BERT", metrics), ("unigram baseline", baseline)):
            print(f"{name:18s}{values['loss']:8.3f}{values['accuracy']:10.1%}{values['perplexity']:12.1f}")
        result.update(
            val_loss=metrics["loss"],
            val_accuracy=metrics["accuracy"],
            val_perplexity=metrics["perplexity"],
            baseline_loss=baseline["loss"],
            baseline_accuracy=baseline["accuracy"],
            baseline_perplexity=baseline["perplexity"],
            val_masked_tokens=metrics["tokens"],
        )

    scores = {}
    for sentence in args.sentences:
        value, per_token = pseudo_perplexity(model, tokenizer, sentence)
        scores[sentence] = value
        worst = sorted(per_token, key=lambda pair: pair[1])[:3]
        hardest = ", ".join(f"{token} ({math.exp(lp):.1%})" for token, lp in worst)
        print(f"pseudo-perplexity {value:10.1f}  {sentence!r}  (least expected: {hardest})")
    if scores:
        result["pseudo_perplexity"] = scores
    training.print_final_json(result)


if __name__ == "__main__":
    training.run_main(main)
