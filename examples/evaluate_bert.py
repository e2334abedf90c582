"""Score a trained Mini-BERT: held-out MLM loss, masked-token accuracy and perplexity beside the
unigram baseline, and the pseudo-perplexity of sentences you give.

    python examples/evaluate_bert.py                       # the shipped checkpoints/mini-bert
    python examples/evaluate_bert.py --checkpoint runs/bert "to be or not to be ." "be not to or be to ."
    python examples/evaluate_bert.py --context-figure context.png

Held-out: the last 5% of speeches (`split_corpus`), packed into rows of 64 tokens, 15% of the tokens
masked once with a fixed seed (every one replaced by [MASK]), exactly as `train_bert.py` scores them,
so the numbers agree with its log and with the model card.

Context probes (`bert_probes.py`): top-1 and top-5 accuracy on the project's cloze set
(`data/cloze.tsv`), how often a real held-out line has a higher pseudo-log-likelihood than shuffles
of its words, and (with `--context-figure`) the loss of a masked token as more of its neighbours are
revealed.

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

from tinygrad_edu.data import load_corpus, split_corpus

sys.path.insert(0, str(Path(__file__).resolve().parent))
import training_common as training  # noqa: E402
from bert_common import (  # noqa: E402
    baseline_metrics,
    encode_sentence,
    heldout_batches,
    heldout_seq_len,
    load_bert,
    mlm_metrics,
    unigram_baseline,
)
from bert_probes import (  # noqa: E402
    CLOZE_FILE,
    cloze_accuracy,
    loss_by_context,
    read_cloze,
    real_vs_shuffled,
    token_log_probs,
)


def pseudo_perplexity(model, tokenizer, text: str) -> tuple[float, list[tuple[str, float]]]:
    """exp(-mean log p(token | the rest)) with each real token masked in turn; also each token's log p."""
    ids = np.array(encode_sentence(tokenizer, text, model.config.max_position_embeddings), dtype=np.int64)
    positions, log_probs = token_log_probs(model, tokenizer, ids)
    tokens = tokenizer.convert_ids_to_tokens(ids[positions])
    return math.exp(-float(log_probs.mean())), list(zip(tokens, log_probs.tolist(), strict=True))


def plot_context(path: Path, losses: dict[int, float], baseline: float, title: str) -> None:
    training.use_agg_backend()
    import matplotlib.pyplot as plt  # here, not at the top: only this figure needs it

    radii = list(losses)
    fig, ax = plt.subplots(figsize=(7, 4.2))
    ax.plot(range(len(radii)), list(losses.values()), "o-", label="Mini-BERT")
    ax.axhline(baseline, color="gray", linestyle="--", label="unigram baseline (no context)")
    ax.set_xticks(range(len(radii)), [str(r) if r < 64 else "all" for r in radii])
    ax.set_xlabel("neighbours visible on each side of the masked token")
    ax.set_ylabel("loss of the masked token (nats)")
    ax.set_title(title)
    ax.legend(loc="upper right")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    training.save_figure(fig, path)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=training.HelpFormatter
    )
    parser.add_argument(
        "--checkpoint", help="folder written by train_bert.py (default: the shipped checkpoints/mini-bert)"
    )
    parser.add_argument("--data", default="data/shakespeare.txt", help="corpus; its held-out split is scored")
    parser.add_argument("--batch-size", type=int, default=64, help="rows per forward pass")
    parser.add_argument("--no-heldout", action="store_true", help="skip the held-out loss and the probes")
    parser.add_argument("--cloze", default=str(CLOZE_FILE), help="cloze items: sentence<TAB>answer|answer")
    parser.add_argument("--shuffle-lines", type=int, default=100, help="held-out lines in the shuffle test")
    parser.add_argument("--context-figure", help="write the loss-by-context figure to this PNG")
    parser.add_argument("sentences", nargs="*", help="sentences to score by pseudo-perplexity")
    args = parser.parse_args(argv)
    training.check_positive(batch_size=args.batch_size, shuffle_lines=args.shuffle_lines)
    if args.no_heldout and not args.sentences:
        raise ValueError("--no-heldout leaves nothing to score; give sentences to score, or drop the flag")
    model, tokenizer = load_bert(args.checkpoint)
    result: dict = {"checkpoint": str(args.checkpoint or "checkpoints/mini-bert")}

    if not args.no_heldout:
        seq_len = heldout_seq_len(model.config.max_position_embeddings)
        train_speeches, heldout_speeches = split_corpus(load_corpus(args.data))
        batches = heldout_batches(tokenizer, heldout_speeches, seq_len, args.batch_size)
        unigram = unigram_baseline(tokenizer, train_speeches)
        baseline = baseline_metrics(unigram, batches)
        metrics = mlm_metrics(model, batches)
        print(f"held-out masked tokens: {metrics['tokens']} (rows of {seq_len} tokens, each one [MASK])")
        print(f"{'':18s}{'loss':>8s}{'accuracy':>10s}{'perplexity':>12s}")
        for name, values in (("Mini-BERT", metrics), ("unigram baseline", baseline)):
            print(f"{name:18s}{values['loss']:8.3f}{values['accuracy']:10.1%}{values['perplexity']:12.1f}")
        print(f"gap to the unigram baseline: {baseline['loss'] - metrics['loss']:.3f} nats")
        cloze = cloze_accuracy(model, tokenizer, read_cloze(args.cloze), unigram)
        print(
            f"cloze set ({cloze['items']} sentences): top-1 {cloze['top1']:.0%}, top-5 {cloze['top5']:.0%} "
            f"| unigram baseline: top-1 {cloze['unigram_top1']:.0%}, top-5 {cloze['unigram_top5']:.0%}"
        )
        shuffle = real_vs_shuffled(model, tokenizer, heldout_speeches, sentences=args.shuffle_lines)
        print(
            f"real held-out lines preferred to their shuffles: {shuffle['real_preferred']:.1%} of "
            f"{shuffle['pairs']} pairs ({shuffle['sentences']} lines)"
        )
        result.update(
            val_loss=metrics["loss"],
            val_accuracy=metrics["accuracy"],
            val_perplexity=metrics["perplexity"],
            baseline_loss=baseline["loss"],
            baseline_accuracy=baseline["accuracy"],
            baseline_perplexity=baseline["perplexity"],
            gap=baseline["loss"] - metrics["loss"],
            val_masked_tokens=metrics["tokens"],
            cloze_top1=cloze["top1"],
            cloze_top5=cloze["top5"],
            real_preferred=shuffle["real_preferred"],
        )
        if args.context_figure:
            losses = loss_by_context(
                model, tokenizer, batches[0] if len(batches) == 1 else merge(batches[:4])
            )
            for radius, loss in losses.items():
                print(f"  {radius:3d} neighbours each side: loss {loss:.3f}")
            plot_context(
                Path(args.context_figure),
                losses,
                baseline["loss"],
                "A masked token's loss as context is revealed",
            )
            result["loss_by_context"] = {str(r): v for r, v in losses.items()}

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


def merge(batches: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """Several held-out batches as one (the same keys, rows stacked)."""
    return {key: np.concatenate([batch[key] for batch in batches]) for key in batches[0]}


if __name__ == "__main__":
    training.run_main(main)
