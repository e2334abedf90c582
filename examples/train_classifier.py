"""Train a classifier of the kind of play a speech comes from (comedy, history, tragedy).

    python examples/train_classifier.py --model bow --out runs/cls_bow                  # bag of words
    python examples/train_classifier.py --model bert --out runs/cls_bert                # fine-tune Mini-BERT
    python examples/train_classifier.py --model bert --init scratch --out runs/cls_scratch
    python examples/train_classifier.py --model bert --freeze-encoder --out runs/cls_frozen

The task and its split are `tinygrad_edu.data.play_kinds`: whole plays are held out (7 for the test
split, 6 for validation), so a model cannot score by knowing a play's characters. Every model reads the
same WordPiece tokens: the vocab.txt of `--tokenizer` (the pretrained Mini-BERT's by default).

- `--model bow`: the mean of the tokens' embeddings into an MLP (models/bow_classifier.py).
- `--model bert`: BertForSequenceClassification (models/bert_classification.py) whose encoder starts
  from the masked-LM folder `--init` (default checkpoints/mini-bert) or, with `--init scratch`, from
  random weights with the same architecture (its config.json). The pooler and classifier start new.
  `--freeze-encoder` trains only the pooler and classifier.

Every model gets the same schedule: AdamW, linear warm-up then linear decay to zero, clipping, and
batches of speeches cut to `--max-length` tokens. Validation is scored every `--eval-interval` steps
(the folder `--out` is saved then, with `training_state.npz`: `--resume` continues exactly); at the end
the test split gets accuracy, macro-F1, a per-class report and `confusion.png`, each printed beside the
majority-class baseline. The last line printed is one JSON object with these figures.
"""

from __future__ import annotations

import argparse
import json
import sys
from functools import lru_cache
from pathlib import Path

import numpy as np

import tinygrad_edu as tg
from tinygrad_edu.data.play_kinds import CLASSES, load_play_kinds, majority_baseline
from tinygrad_edu.files import atomic_write
from tinygrad_edu.tensor import default_generator

sys.path.insert(0, str(Path(__file__).resolve().parent))
import training_common as training  # noqa: E402
from classifier_common import (  # noqa: E402
    MAX_LENGTH_KEY,
    encode_texts,
    format_report,
    load_tokenizer,
    pad_batch,
    plot_confusion,
    predict_probs,
    report,
)

from models.bert import BertConfig  # noqa: E402
from models.bert_classification import BertForSequenceClassification  # noqa: E402
from models.bert_pretrained import read_config  # noqa: E402
from models.bow_classifier import BagOfWordsClassifier, BagOfWordsConfig  # noqa: E402

DEFAULT_BASE = "checkpoints/mini-bert"
# per model; the pretrained and the from-scratch BERT always share theirs
DEFAULT_LR = {"bow": 2e-3, "bert": 3e-4}
DEFAULT_STEPS = {"bow": 3000, "bert": 1000}
# the flags that fix the run; a resumed run must use the same ones
RUN_FLAGS = ("model", "init", "tokenizer", "freeze_encoder", "max_length", "steps", "batch_size", "lr",
             "warmup_fraction", "weight_decay", "clip", "dropout", "seed", "embedding_dim", "hidden_size")  # fmt: skip


def parse_args(argv=None) -> argparse.Namespace:
    parser = training.make_parser(
        __doc__.split("\n\n")[0],
        data="data/shakespeare.txt",
        steps=None,  # per model: DEFAULT_STEPS
        batch_size=32,
        lr=None,  # per model: DEFAULT_LR
        out="runs/classifier",
        eval_interval=0,  # 0: twice a run (the default depends on --steps)
    )
    parser.add_argument(
        "--labels", default="data/shakespeare_labels.tsv", help="play and kind of every speech"
    )
    parser.add_argument("--model", choices=("bow", "bert"), default="bert", help="the classifier")
    parser.add_argument(
        "--init", help=f"bert: a masked-LM (or classifier) folder, or 'scratch' (default {DEFAULT_BASE})"
    )
    parser.add_argument(
        "--tokenizer", help="folder with vocab.txt (and, for scratch, config.json); default: --init's"
    )
    parser.add_argument(
        "--freeze-encoder", action="store_true", help="bert: train only the pooler and classifier"
    )
    parser.add_argument(
        "--max-length", type=int, default=64, help="tokens per speech, [CLS] and [SEP] included"
    )
    parser.add_argument(
        "--dropout", type=float, default=0.1, help="dropout in the model (and its classifier)"
    )
    parser.add_argument("--warmup-fraction", type=float, default=0.1, help="share of steps in linear warm-up")
    parser.add_argument("--weight-decay", type=float, default=0.01, help="AdamW's decoupled weight decay")
    parser.add_argument("--clip", type=float, default=1.0, help="clip the gradient's global norm to this")
    parser.add_argument("--embedding-dim", type=int, default=128, help="bow: size of the token vectors")
    parser.add_argument("--hidden-size", type=int, default=128, help="bow: width of the MLP's hidden layer")
    args = parser.parse_args(argv)
    args.lr = DEFAULT_LR[args.model] if args.lr is None else args.lr
    args.steps = DEFAULT_STEPS[args.model] if args.steps is None else args.steps
    args.eval_interval = args.eval_interval or args.steps // 2
    if args.model == "bow" and (args.init is not None or args.freeze_encoder):
        raise ValueError(
            "--init and --freeze-encoder are for --model bert; the bag of words always starts new"
        )
    if args.model == "bert":
        args.init = args.init or DEFAULT_BASE
    if args.init == "scratch" and args.freeze_encoder:
        raise ValueError("--freeze-encoder with --init scratch would train a head on random features")
    args.tokenizer = args.tokenizer or (args.init if args.init not in (None, "scratch") else DEFAULT_BASE)
    training.check_positive(steps=args.steps, batch_size=args.batch_size, lr=args.lr, eval_interval=args.eval_interval,
                            clip=args.clip, embedding_dim=args.embedding_dim, hidden_size=args.hidden_size)  # fmt: skip
    if args.max_length < 3:
        raise ValueError(f"--max-length must be at least 3 ([CLS], a token, [SEP]), got {args.max_length}")
    if not 0.0 <= args.dropout < 1.0 or not 0.0 <= args.warmup_fraction < 1.0:
        raise ValueError("--dropout and --warmup-fraction must lie in [0, 1)")
    return args


def make_batch_indices(lengths: list[int], batch_size: int, seed: int, bucket_batches: int = 50):
    """Row indices of step s's batch. Each epoch shuffles the rows (seeded by seed and epoch), sorts
    each run of `bucket_batches` batches' worth of rows by length and cuts it into batches, then
    shuffles the batches: rows of like length share a batch, so padding costs little. A pure function
    of the step, so a resumed run sees exactly the batches an uninterrupted one would."""
    lengths = np.asarray(lengths)
    bucket = batch_size * bucket_batches

    @lru_cache(maxsize=2)
    def epoch_batches(epoch: int) -> list[np.ndarray]:
        rng = np.random.default_rng([seed, epoch])
        order = rng.permutation(len(lengths))
        batches = []
        for start in range(0, len(order), bucket):
            chunk = order[start : start + bucket]
            chunk = chunk[np.argsort(lengths[chunk], kind="stable")]
            batches += [chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size)]
        return [batches[i] for i in rng.permutation(len(batches))]

    per_epoch = len(epoch_batches(0))
    return lambda step: epoch_batches(step // per_epoch)[step % per_epoch]


def build_model(args, tokenizer, names: dict[int, str]):
    if args.model == "bow":
        config = BagOfWordsConfig(tokenizer.vocab_size, len(names), args.embedding_dim, args.hidden_size,
                                  args.dropout, tokenizer.pad_token_id, names, args.max_length)  # fmt: skip
        return BagOfWordsClassifier(config), "bag of words (new)"
    dropouts = dict(hidden_dropout_prob=args.dropout, attention_probs_dropout_prob=args.dropout)
    if args.init == "scratch":
        if not (Path(args.tokenizer) / "config.json").is_file():
            raise FileNotFoundError(
                f"--init scratch takes the architecture from {args.tokenizer}/config.json: not found"
            )
        base = read_config(Path(args.tokenizer))
        config = BertConfig(**{**vars(base), **dropouts})
        model, started = BertForSequenceClassification(config, id2label=names), "BERT from random weights"
    else:
        model, info = BertForSequenceClassification.from_pretrained(
            args.init,
            id2label=names,
            output_loading_info=True,
            **dropouts,  # fine-tuning's dropout, not pretraining's
        )
        new = sorted({key.rsplit(".", 1)[0] for key in info["missing_keys"]})
        started = f"BERT from {args.init}" + (f" (new: {', '.join(new)})" if new else "")
    if model.config.vocab_size != tokenizer.vocab_size:
        raise ValueError(
            f"{args.tokenizer}/vocab.txt has {tokenizer.vocab_size} tokens, the model {model.config.vocab_size}"
        )
    if args.max_length > model.config.max_position_embeddings:
        raise ValueError(
            f"--max-length {args.max_length} is over the model's {model.config.max_position_embeddings} positions"
        )
    model.config.extra[MAX_LENGTH_KEY] = args.max_length  # kept in config.json, for classify.py
    if args.freeze_encoder:
        for parameter in [*model.bert.embeddings.parameters(), *model.bert.encoder.parameters()]:
            parameter.requires_grad_(False)
    return model, started


def main(argv=None) -> None:
    args = parse_args(argv)
    timer = training.Timer()
    out = Path(args.out)
    state_path = out / "training_state.npz"
    saved = None
    if args.resume:
        if not state_path.is_file():
            raise FileNotFoundError(
                f"--resume: no {state_path} to continue from (train without --resume first)"
            )
        saved = tg.load(state_path)
        for flag in RUN_FLAGS:
            if saved["args"][flag] != getattr(args, flag):
                raise ValueError(f"--resume: the run in {out} used --{flag.replace('_', '-')} {saved['args'][flag]}, "
                                 f"not {getattr(args, flag)}; pass the same flags to continue it")  # fmt: skip

    # ----- data: the three splits, tokenised once -----
    splits = load_play_kinds(args.data, args.labels)
    tokenizer = load_tokenizer(args.tokenizer)
    rows = {name: encode_texts(tokenizer, split.texts, args.max_length) for name, split in splits.items()}
    labels = {name: split.labels for name, split in splits.items()}
    names = dict(enumerate(CLASSES))
    baselines = {name: majority_baseline(labels["train"], labels[name]) for name in ("validation", "test")}
    counts = ", ".join(
        f"{name} {len(split)} speeches ({len(set(split.plays))} plays)" for name, split in splits.items()
    )
    print(f"play kinds {list(CLASSES)} | {counts} | speeches cut to {args.max_length} tokens")

    # ----- model, optimizer, schedule -----
    tg.manual_seed(args.seed)
    model, started = build_model(args, tokenizer, names)
    model.train()
    trainable = [(name, p) for name, p in model.named_parameters() if p.requires_grad]
    no_decay = [p for name, p in trainable if name.endswith("bias") or "LayerNorm" in name]
    decay = [p for name, p in trainable if not (name.endswith("bias") or "LayerNorm" in name)]
    optimizer = tg.optim.AdamW([{"params": decay, "weight_decay": args.weight_decay},
                                {"params": no_decay, "weight_decay": 0.0}], lr=args.lr)  # fmt: skip
    warmup = int(args.warmup_fraction * args.steps)
    scheduler = tg.optim.lr_scheduler.get_linear_schedule_with_warmup(optimizer, warmup, args.steps)
    batch_indices = make_batch_indices([len(row) for row in rows["train"]], args.batch_size, args.seed)
    params, trained = training.count_parameters(model), sum(p.numel() for _, p in trainable)
    print(f"{started} | {params:,} parameters, {trained:,} trained | batch {args.batch_size}, {args.steps} steps, "
          f"AdamW lr {args.lr:g}, warm-up {warmup}, dropout {args.dropout:g}")  # fmt: skip

    start_step, curve, seconds_before = 0, training.LossCurve(), 0.0
    if saved is not None:
        model.load_state_dict(saved["model"])
        optimizer.load_state_dict(saved["optimizer"])
        scheduler.load_state_dict(saved["scheduler"])
        default_generator.set_state(saved["dropout_rng"])
        start_step, seconds_before = int(saved["step"]), float(saved["seconds"])
        for series, (steps, values) in saved["curve"].items():
            for step, value in zip(steps, values, strict=True):
                curve.add(series, step, value)
        print(f"resumed from {state_path} at step {start_step}")
    if start_step >= args.steps:
        raise ValueError(f"--resume: the run in {out} already finished its {args.steps} steps")

    def evaluate(split: str) -> dict:
        probs = predict_probs(model, rows[split], tokenizer.pad_token_id)
        result = report(labels[split], probs.argmax(axis=1), list(CLASSES))
        result["loss"] = float(-np.log(probs[np.arange(len(probs)), labels[split]] + 1e-12).mean())
        return result

    def checkpoint(step: int) -> None:
        model.save_pretrained(out, tokenizer=tokenizer)
        tg.save({"step": step, "model": model.state_dict(), "optimizer": optimizer.state_dict(),
                 "scheduler": scheduler.state_dict(), "dropout_rng": default_generator.get_state(),
                 "curve": curve.series(), "seconds": seconds_before + timer.seconds, "args": vars(args)},
                state_path)  # fmt: skip

    # ----- the loop -----
    stop_at = args.steps if args.stop_after is None else min(args.steps, start_step + args.stop_after)
    running = training.RunningLoss(beta=0.95)
    bar = training.progress(stop_at - start_step, desc="train_classifier", disable=args.no_progress)
    for offset in bar:
        step = start_step + offset
        chosen = batch_indices(step)
        ids, mask = pad_batch([rows["train"][i] for i in chosen], tokenizer.pad_token_id)
        loss_tensor = model(ids, attention_mask=mask, labels=labels["train"][chosen]).loss
        optimizer.zero_grad()
        loss_tensor.backward()
        tg.nn.utils.clip_grad_norm_([p for _, p in trainable], args.clip)
        optimizer.step()
        scheduler.step()
        loss = float(loss_tensor.item())
        curve.add("train (batch)", step + 1, loss)
        bar.set_postfix(loss=f"{running.update(loss):.3f}")
        done = step + 1
        if done % args.eval_interval == 0 or done == stop_at:
            val = evaluate("validation")
            curve.add("validation", done, val["loss"])
            message = (f"step {done}/{args.steps} | train {running.value:.3f} | validation loss {val['loss']:.3f} "
                       f"acc {val['accuracy']:.3f} macro-F1 {val['macro_f1']:.3f} (majority "
                       f"{baselines['validation']['macro_f1']:.3f}) | {seconds_before + timer.seconds:.0f}s")  # fmt: skip
            bar.write(message) if not args.no_progress else print(message, flush=True)
            checkpoint(done)
    bar.close()
    seconds = seconds_before + timer.seconds
    if stop_at < args.steps:
        print(f"stopped after step {stop_at} of {args.steps}; continue with the same flags and --resume")

    # ----- the test split -----
    test = evaluate("test")
    print(
        format_report(
            test,
            baselines["test"],
            f"test split ({len(rows['test'])} speeches of {len(set(splits['test'].plays))} unseen plays)",
        )
    )
    kind = (
        args.model
        if args.model == "bow"
        else ("bert-scratch" if args.init == "scratch" else "bert-pretrained")
    )
    kind += "-frozen" if args.freeze_encoder else ""
    plot_confusion(out / "confusion.png", test["confusion"], list(CLASSES),
                   f"{kind}, test split: macro-F1 {test['macro_f1']:.3f}")  # fmt: skip
    training.plot_curves(out / "loss.png", curve.series(), title=f"{kind}: cross entropy",
                         smooth={"train (batch)": 50}, ylabel="cross entropy (nats)")  # fmt: skip
    metrics = {
        "model": kind,
        "seed": args.seed,
        "test_accuracy": test["accuracy"],
        "test_macro_f1": test["macro_f1"],
        "val_accuracy": val["accuracy"],
        "val_macro_f1": val["macro_f1"],
        "baseline_accuracy": baselines["test"]["accuracy"],
        "baseline_macro_f1": baselines["test"]["macro_f1"],
        "test_per_class_f1": {name: row["f1"] for name, row in test["per_class"].items()},
        "steps": stop_at,
        "params": params,
        "trained_params": trained,
        "seconds": seconds,
        "checkpoint": str(out),
    }
    with atomic_write(out / "metrics.json", "w", encoding="utf-8") as file:
        file.write(json.dumps({**metrics, "test_report": test}, indent=2) + "\n")
    training.print_final_json(metrics)


if __name__ == "__main__":
    training.run_main(main)
