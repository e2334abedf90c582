"""Train Mini-BERT with masked-language modelling on the Shakespeare corpus.

    python examples/train_bert.py --preset tiny --out runs/bert_tiny     # a few minutes: the machinery only
    python examples/train_bert.py --out runs/bert                        # the default Mini-BERT
    python examples/train_bert.py --out runs/bert --resume               # continue after a stop
    python examples/train_bert.py --out runs/mini-bert --steps 9000      # checkpoints/mini-bert's command

What it does, in order:
1. Reads `data/shakespeare.txt` and splits it with `split_corpus` (the last 5% of speeches are held out).
2. Trains a WordPiece vocabulary on the training speeches (or reads `--tokenizer DIR/vocab.txt`).
3. Packs the tokenised speeches into rows `[CLS] ... [SEP]` of `--seq-len` tokens.
4. Trains `BertForMaskedLM` on rows masked by BERT's rule (`--mlm-probability` of the tokens chosen,
   30% by default; of those 80% [MASK], 10% random, 10% kept) with AdamW, linear warm-up then linear
   decay to zero, and gradient clipping; the vocabulary-sized decoder runs only at the chosen tokens.
5. Every `--eval-interval` steps scores the held-out rows (masked once, with a fixed seed): MLM loss,
   masked-token accuracy and perplexity, beside the unigram baseline (predict every masked token by
   its frequency in the training split) on exactly the same masked tokens. A model that does not beat
   the baseline has learnt nothing about context.
6. Writes the checkpoint folder `--out` (config.json, model.safetensors, vocab.txt, readable by
   `BertForMaskedLM.from_pretrained` and by Hugging Face) plus `training_state.npz` (optimizer,
   scheduler, random-number states, step: `--resume` continues exactly; it is the authoritative
   copy, and a resumed run rewrites the folder's model from it) and `loss.png`.

The last line printed is one JSON object: val_loss, val_accuracy, val_perplexity, the baseline's,
params, seconds, checkpoint.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from functools import lru_cache
from pathlib import Path

import numpy as np

import tinygrad_edu as tg
from tinygrad_edu.data import (
    IGNORE_INDEX,
    MLMCollator,
    WordPieceTokenizer,
    load_corpus,
    pack_sequences,
    split_corpus,
)
from tinygrad_edu.nn import functional as F
from tinygrad_edu.tensor import default_generator

sys.path.insert(0, str(Path(__file__).resolve().parent))
import training_common as training  # noqa: E402
from bert_common import (  # noqa: E402
    baseline_metrics,
    heldout_batches,
    heldout_seq_len,
    mlm_metrics,
    tokenize_speeches,
    unigram_baseline,
)

from models.bert import BertConfig, BertForMaskedLM  # noqa: E402

# Each preset is a set of defaults; any flag given on the command line wins over it.
PRESETS = {
    # The recipe found by measurement on 2 CPU cores (docs/bert_training.md): a small BERT (about 1M
    # parameters), no dropout, 30% of the tokens predicted, AdamW 1e-3 with warm-up and linear decay
    # to zero, the decoder run only at the masked positions.
    "default": dict(
        vocab_size=4000,
        hidden_size=128,
        num_layers=2,
        num_heads=2,
        intermediate_size=512,
        seq_len=64,
        max_position_embeddings=512,
        batch_size=64,
        lr=1e-3,
        steps=5000,
        eval_interval=500,
        dropout=0.0,
        mlm_probability=0.3,
    ),
    # Small enough to train in a couple of minutes on 2 CPU cores: it shows the machinery working
    # and the loss falling, not a model that knows Shakespeare.
    "tiny": dict(
        vocab_size=2000,
        hidden_size=64,
        num_layers=2,
        num_heads=2,
        intermediate_size=256,
        seq_len=32,
        max_position_embeddings=64,
        batch_size=32,
        lr=2e-3,
        steps=300,
        eval_interval=50,
        dropout=0.1,
        mlm_probability=0.15,
    ),
}
EVAL_BATCH_SIZE = 64  # rows per evaluation forward pass (does not change the figures)
# the flags that fix the model and data; a resumed run must use the same ones
ARCHITECTURE_FLAGS = (
    "vocab_size",
    "hidden_size",
    "num_layers",
    "num_heads",
    "intermediate_size",
    "seq_len",
    "max_position_embeddings",
    "dropout",
    "mlm_probability",
    "batch_size",
    "lr",
    "steps",
    "warmup_fraction",
    "weight_decay",
    "clip",
    "seed",
    "data",
)


def build_parser(preset: str) -> argparse.ArgumentParser:
    defaults = PRESETS[preset]
    parser = training.make_parser(
        __doc__.split("\n\n")[0],
        data="data/shakespeare.txt",
        steps=defaults["steps"],
        batch_size=defaults["batch_size"],
        lr=defaults["lr"],
        seed=42,
        out=f"runs/bert_{preset}",
        eval_interval=defaults["eval_interval"],
    )
    parser.add_argument("--preset", choices=sorted(PRESETS), default="default", help="a set of defaults")
    model = parser.add_argument_group("Mini-BERT")
    model.add_argument("--tokenizer", help="folder (or file) with a vocab.txt to use instead of training one")
    model.add_argument("--vocab-size", type=int, default=defaults["vocab_size"], help="WordPiece vocabulary")
    model.add_argument(
        "--hidden-size", type=int, default=defaults["hidden_size"], help="width of every layer"
    )
    model.add_argument("--num-layers", type=int, default=defaults["num_layers"], help="transformer layers")
    model.add_argument(
        "--num-heads", type=int, default=defaults["num_heads"], help="attention heads per layer"
    )
    model.add_argument(
        "--intermediate-size", type=int, default=defaults["intermediate_size"], help="feed-forward width"
    )
    model.add_argument(
        "--seq-len", type=int, default=defaults["seq_len"], help="tokens per row, [CLS]/[SEP] included"
    )
    model.add_argument(
        "--max-position-embeddings",
        type=int,
        default=defaults["max_position_embeddings"],
        help="longest sequence the model can read",
    )
    model.add_argument(
        "--dropout", type=float, default=defaults["dropout"], help="hidden and attention dropout"
    )
    model.add_argument(
        "--mlm-probability",
        type=float,
        default=defaults["mlm_probability"],
        help="share of the ordinary tokens chosen for prediction in training (held-out: always 0.15)",
    )
    optim = parser.add_argument_group("optimisation")
    optim.add_argument("--warmup-fraction", type=float, default=0.05, help="share of steps in linear warm-up")
    optim.add_argument("--weight-decay", type=float, default=0.01, help="AdamW's decoupled weight decay")
    optim.add_argument("--clip", type=float, default=1.0, help="clip the gradient's global norm to this")
    run = parser.add_argument_group("evaluation and checkpoints")
    run.add_argument(
        "--eval-rows",
        type=int,
        help="score only the first N held-out rows at each interval, for a quicker look (the final "
        "figure always uses every row; default: every row each time)",
    )
    run.add_argument("--checkpoint-interval", type=int, help="save every N steps (default: every eval)")
    return parser


def parse_args(argv=None) -> argparse.Namespace:
    preset_parser = argparse.ArgumentParser(add_help=False)
    preset_parser.add_argument("--preset", choices=sorted(PRESETS), default="default")
    known, _ = preset_parser.parse_known_args(argv)
    args = build_parser(known.preset).parse_args(argv)
    training.check_positive(
        steps=args.steps,
        batch_size=args.batch_size,
        lr=args.lr,
        eval_interval=args.eval_interval,
        hidden_size=args.hidden_size,
        num_layers=args.num_layers,
        num_heads=args.num_heads,
        intermediate_size=args.intermediate_size,
        clip=args.clip,
    )
    if args.hidden_size % args.num_heads:
        raise ValueError(f"--hidden-size {args.hidden_size} is not divisible by --num-heads {args.num_heads}")
    if args.seq_len < 3:
        raise ValueError(f"--seq-len must be at least 3 ([CLS], a token, [SEP]), got {args.seq_len}")
    if args.seq_len > args.max_position_embeddings:
        raise ValueError(
            f"--seq-len {args.seq_len} is longer than --max-position-embeddings {args.max_position_embeddings}"
        )
    if args.eval_rows is not None and args.eval_rows < 1:
        raise ValueError(f"--eval-rows must be a positive integer, got {args.eval_rows}")
    if not 0.0 < args.mlm_probability < 1.0:
        raise ValueError(f"--mlm-probability must lie in (0, 1), got {args.mlm_probability}")
    if not 0.0 <= args.warmup_fraction < 1.0:
        raise ValueError(f"--warmup-fraction must lie in [0, 1), got {args.warmup_fraction}")
    return args


def get_tokenizer(args, train_speeches: list[str], out: Path) -> WordPieceTokenizer:
    if args.resume:
        return WordPieceTokenizer.from_file(out / "vocab.txt")
    if args.tokenizer:
        return WordPieceTokenizer.from_file(args.tokenizer)
    print(
        f"training a WordPiece vocabulary of {args.vocab_size} tokens on {len(train_speeches)} speeches ..."
    )
    return WordPieceTokenizer.train(train_speeches, vocab_size=args.vocab_size)


def make_batch_indices(num_rows: int, batch_size: int, seed: int):
    """Row indices of step s's batch: the rows are walked in a fresh random order each epoch. It is a
    pure function of the step, so a resumed run sees exactly the batches an uninterrupted one would."""

    @lru_cache(maxsize=4)
    def epoch_order(epoch: int) -> np.ndarray:
        return np.random.default_rng([seed, epoch]).permutation(num_rows)

    def batch_indices(step: int) -> np.ndarray:
        positions = np.arange(step * batch_size, (step + 1) * batch_size)
        return np.array([epoch_order(int(p // num_rows))[p % num_rows] for p in positions])

    return batch_indices


def masked_lm_loss(model: BertForMaskedLM, batch: dict[str, np.ndarray]) -> tg.Tensor:
    """The MLM loss with the vocabulary-sized decoder run only where a token was chosen (about 15% of
    positions): the same value as `model(input_ids, ..., labels=labels).loss`, which computes logits
    at every position and then ignores 85% of them, for much less work (benchmarks/bench_bert.py
    calls this `--head masked`)."""
    chosen = batch["labels"] != IGNORE_INDEX
    if not chosen.any():  # nothing to predict in this batch: the full forward gives the (nan) loss
        return model(
            batch["input_ids"], batch["attention_mask"], batch["token_type_ids"], batch["labels"]
        ).loss
    hidden = model.bert(
        batch["input_ids"], batch["attention_mask"], batch["token_type_ids"]
    ).last_hidden_state
    logits = model.cls(hidden[chosen])  # (chosen tokens, vocab)
    return F.cross_entropy(logits, tg.Tensor(batch["labels"][chosen]))


def save_training_state(path: Path, **state) -> None:
    tg.save(state, path)  # atomic: a crash mid-write leaves the previous state intact


def main(argv=None) -> None:
    args = parse_args(argv)
    timer = training.Timer()
    out = training.check_out_folder(args.out)  # before any work: a typo must not cost a training
    state_path = out / "training_state.npz"
    saved = None
    if args.resume:
        if not state_path.is_file():
            raise FileNotFoundError(
                f"--resume: no {state_path} to continue from (train without --resume first)"
            )
        saved = tg.load(state_path)
        if not isinstance(saved, dict) or not isinstance(saved.get("args"), dict):
            raise ValueError(f"--resume: {str(state_path)!r} is not a train_bert.py training state")
        for flag in ARCHITECTURE_FLAGS:
            if saved["args"].get(flag) != getattr(args, flag):
                raise ValueError(
                    f"--resume: the run in {out} used --{flag.replace('_', '-')} {saved['args'][flag]}, "
                    f"not {getattr(args, flag)}; pass the same flags to continue it"
                )

    # ----- data -----
    train_speeches, heldout_speeches = split_corpus(load_corpus(args.data))
    tokenizer = get_tokenizer(args, train_speeches, out)
    train_rows = pack_sequences(
        tokenize_speeches(tokenizer, train_speeches),
        args.seq_len,
        tokenizer.cls_token_id,
        tokenizer.sep_token_id,
        tokenizer.pad_token_id,
    )
    if len(train_rows) == 0:
        raise ValueError(f"the training text is shorter than one row of --seq-len {args.seq_len} tokens")
    eval_seq_len = heldout_seq_len(args.max_position_embeddings)
    eval_all = heldout_batches(tokenizer, heldout_speeches, eval_seq_len, EVAL_BATCH_SIZE)
    eval_some = eval_all
    if args.eval_rows is not None:
        eval_some = heldout_batches(
            tokenizer, heldout_speeches, eval_seq_len, EVAL_BATCH_SIZE, max_rows=args.eval_rows
        )
    rows_note = "" if args.eval_rows is None else f" (first {args.eval_rows} rows)"
    log_probs = unigram_baseline(tokenizer, train_speeches)
    baseline_some, baseline_all = (
        baseline_metrics(log_probs, eval_some),
        baseline_metrics(log_probs, eval_all),
    )
    print(
        f"vocabulary {tokenizer.vocab_size} | {len(train_rows)} training rows of {args.seq_len} tokens "
        f"({train_rows.size:,} tokens) | held-out: {sum(len(b['input_ids']) for b in eval_all)} rows "
        f"of {eval_seq_len}, "
        f"{baseline_all['tokens']} masked tokens"
    )
    print(
        f"unigram baseline on the held-out masked tokens: loss {baseline_all['loss']:.3f}, "
        f"accuracy {baseline_all['accuracy']:.1%}, perplexity {baseline_all['perplexity']:.0f}"
    )

    # ----- model, optimizer, schedule -----
    tg.manual_seed(args.seed)
    config = BertConfig(
        vocab_size=tokenizer.vocab_size,
        hidden_size=args.hidden_size,
        num_hidden_layers=args.num_layers,
        num_attention_heads=args.num_heads,
        intermediate_size=args.intermediate_size,
        max_position_embeddings=args.max_position_embeddings,
        hidden_dropout_prob=args.dropout,
        attention_probs_dropout_prob=args.dropout,
        pad_token_id=tokenizer.pad_token_id,
    )
    model = BertForMaskedLM(config)
    model.train()
    params = training.count_parameters(model)
    # As BERT: no weight decay on biases and LayerNorm weights.
    decay = [p for name, p in model.named_parameters() if not (name.endswith("bias") or "LayerNorm" in name)]
    no_decay = [p for name, p in model.named_parameters() if name.endswith("bias") or "LayerNorm" in name]
    optimizer = tg.optim.AdamW(
        [{"params": decay, "weight_decay": args.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
        lr=args.lr,
    )
    warmup_steps = int(args.warmup_fraction * args.steps)
    scheduler = tg.optim.lr_scheduler.get_linear_schedule_with_warmup(optimizer, warmup_steps, args.steps)
    collator = MLMCollator.from_tokenizer(tokenizer, seed=args.seed, mlm_probability=args.mlm_probability)
    batch_indices = make_batch_indices(len(train_rows), args.batch_size, args.seed)
    print(
        f"Mini-BERT: {params:,} parameters | {args.num_layers} layers, {args.num_heads} heads, hidden "
        f"{args.hidden_size}, FFN {args.intermediate_size} | batch {args.batch_size} x {args.seq_len} | "
        f"AdamW lr {args.lr:g}, warm-up {warmup_steps} of {args.steps} steps, clip {args.clip:g}"
    )

    start_step, train_losses, curve = 0, [], training.LossCurve()
    seconds_before = 0.0
    if saved is not None:
        model.load_state_dict(saved["model"])
        optimizer.load_state_dict(saved["optimizer"])
        scheduler.load_state_dict(saved["scheduler"])
        collator.set_state(saved["collator_rng"])
        default_generator.set_state(saved["dropout_rng"])
        start_step, train_losses = int(saved["step"]), list(saved["train_losses"])
        seconds_before = float(saved["seconds"])
        for name, (steps, values) in saved["curve"].items():
            for step, value in zip(steps, values, strict=True):
                curve.add(name, step, value)
        print(f"resumed from {state_path} at step {start_step}")
        # training_state.npz is authoritative: a run killed between its two writes may have left
        # model.safetensors one step ahead or behind; write it again from the state resumed from
        model.save_pretrained(out, tokenizer=tokenizer)
    if start_step >= args.steps:
        raise ValueError(f"--resume: the run in {out} already finished its {args.steps} steps")

    def checkpoint(step: int) -> None:
        model.save_pretrained(out, tokenizer=tokenizer)
        save_training_state(
            state_path,
            step=step,
            model=model.state_dict(),
            optimizer=optimizer.state_dict(),
            scheduler=scheduler.state_dict(),
            collator_rng=collator.get_state(),
            dropout_rng=default_generator.get_state(),
            train_losses=train_losses,
            curve=curve.series(),
            seconds=seconds_before + timer.seconds,
            args=vars(args),
        )

    # ----- the loop -----
    stop_at = args.steps if args.stop_after is None else min(args.steps, start_step + args.stop_after)
    checkpoint_interval = args.checkpoint_interval or args.eval_interval
    running = training.RunningLoss(beta=0.9)
    bar = training.progress(stop_at - start_step, desc="train_bert", disable=args.no_progress)
    for offset in bar:
        step = start_step + offset  # 0-based; after this iteration `step + 1` updates are done
        batch = collator(train_rows[batch_indices(step)])
        loss_tensor = masked_lm_loss(model, batch)
        optimizer.zero_grad()
        loss_tensor.backward()
        tg.nn.utils.clip_grad_norm_(model.parameters(), args.clip)
        optimizer.step()
        scheduler.step()
        loss = float(loss_tensor.item())
        train_losses.append(loss)
        curve.add("train (batch)", step + 1, loss)
        bar.set_postfix(loss=f"{running.update(loss):.3f}")

        done = step + 1
        if done % args.eval_interval == 0 or done == args.steps:
            metrics = mlm_metrics(model, eval_some)
            curve.add("held-out", done, metrics["loss"])
            message = (
                f"step {done}/{args.steps} | train {running.value:.3f} | held-out{rows_note} loss "
                f"{metrics['loss']:.3f} acc {metrics['accuracy']:.1%} ppl {metrics['perplexity']:.0f} | "
                f"unigram {baseline_some['loss']:.3f} (gap {baseline_some['loss'] - metrics['loss']:.2f}) | "
                f"lr {scheduler.get_last_lr()[0]:.2e} | "
                f"{seconds_before + timer.seconds:.0f}s"
            )
            bar.write(message) if not args.no_progress else print(message, flush=True)
        if done % checkpoint_interval == 0 or done == stop_at:
            checkpoint(done)
    bar.close()

    seconds = seconds_before + timer.seconds
    if stop_at < args.steps:
        print(f"stopped after step {stop_at} of {args.steps}; continue with the same flags and --resume")
    final = mlm_metrics(model, eval_all)
    print(
        f"held-out ({final['tokens']} masked tokens): loss {final['loss']:.3f}, accuracy "
        f"{final['accuracy']:.1%}, perplexity {final['perplexity']:.0f} | unigram baseline: loss "
        f"{baseline_all['loss']:.3f}, accuracy {baseline_all['accuracy']:.1%}, perplexity "
        f"{baseline_all['perplexity']:.0f}"
    )
    training.plot_curves(
        out / "loss.png",
        curve.series(),
        title=f"Mini-BERT masked-LM loss ({params / 1e6:.2f}M parameters)",
        ylabel="cross entropy on masked tokens (nats)",
        smooth={"train (batch)": 25},
        reference={"unigram baseline (held-out)": baseline_some["loss"]},
    )
    metrics = {
        "val_loss": final["loss"],
        "val_accuracy": final["accuracy"],
        "val_perplexity": final["perplexity"],
        "baseline_loss": baseline_all["loss"],
        "baseline_accuracy": baseline_all["accuracy"],
        "baseline_perplexity": baseline_all["perplexity"],
        "val_masked_tokens": final["tokens"],
        "steps": stop_at,
        "params": params,
        "seconds": seconds,
        # CPU time of this process (all its threads): with one thread, the wall time on an idle core
        "cpu_seconds": time.process_time(),
        "checkpoint": str(out),
    }
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    training.print_final_json(metrics)


if __name__ == "__main__":
    training.run_main(main)
