"""Mini-BERT masked-LM training and inference: our `models/bert.py` against Hugging Face
`transformers.BertForMaskedLM` on torch (`pip install torch==2.13.0 transformers==5.23.0`), in one run.

The same config on both sides: vocab 8192, hidden 256, 4 layers, 4 heads, FFN 1024, post-LN, erf
GELU, tied decoder, dropout 0.1, AdamW lr 1e-4 (weight decay 0.01), batch 32, seq 64 and 128, random
token batches masked as BERT masks them (15%, 80/10/10). A timed training step is zero_grad +
forward + loss + backward + AdamW step; inference is eval mode, no_grad, logits at every position.
`--head all` computes the MLM head at every position (as Hugging Face); `--head masked` only at the
masked ones; both sides use the same `--head`.

Each side and each sequence length runs in its own subprocess, so every peak RSS (ru_maxrss) is its
own; the sides alternate (ours 64, torch 64, ours 128, torch 128). GFLOPS count the matmul FLOPs
(2*m*n*k; training = 3x forward); the ceiling is numpy's float32 GEMM measured in the same run (best
median over a few square sizes). Both sides get --threads threads.

Prints a table and one JSON line.

Run: python benchmarks/bench_bert.py [--seq 64 128] [--steps N] [--head all|masked] [--threads 2]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "examples"))
from train_bert import PRESETS  # noqa: E402  (the shipped Mini-BERT's recipe: one definition)

RECIPE = PRESETS["default"]
# --config bench: the 5.4M-parameter Mini-BERT of this benchmark's table (the default).
# --config recipe: the shape and training settings of the shipped checkpoints/mini-bert (the default
# preset of examples/train_bert.py): with it, batch 64, no dropout, 30% of the tokens predicted and the
# decoder only at those, unless the flags say otherwise.
CONFIGS = {
    "bench": dict(
        vocab_size=8192,
        hidden_size=256,
        num_hidden_layers=4,
        num_attention_heads=4,
        intermediate_size=1024,
        max_position_embeddings=128,
        type_vocab_size=2,
    ),
    "recipe": dict(
        vocab_size=RECIPE["vocab_size"],
        hidden_size=RECIPE["hidden_size"],
        num_hidden_layers=RECIPE["num_layers"],
        num_attention_heads=RECIPE["num_heads"],
        intermediate_size=RECIPE["intermediate_size"],
        max_position_embeddings=RECIPE["max_position_embeddings"],
        type_vocab_size=2,
    ),
}
RECIPE_DEFAULTS = dict(
    batch=RECIPE["batch_size"],
    dropout=RECIPE["dropout"],
    head="masked",
    mlm_probability=RECIPE["mlm_probability"],
)
SIZES = dict(CONFIGS["bench"])  # the sizes in use; parse_args sets them from --config
PAD, CLS, SEP, MASK, N_SPECIAL = 0, 1, 2, 3, 4


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seq", type=int, nargs="+", default=[64, 128], help="sequence lengths")
    parser.add_argument(
        "--steps", type=int, default=0, help="timed train steps (default 12 at seq<=64, else 8)"
    )
    parser.add_argument(
        "--infer-steps", type=int, default=0, help="timed inference batches (default 20 / 10)"
    )
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--config", choices=sorted(CONFIGS), default="bench", help="model shape (see above)")
    parser.add_argument("--batch", type=int, help="rows per step (default 32; recipe 64)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--dropout", type=float, help="default 0.1; recipe 0")
    parser.add_argument("--head", choices=["all", "masked"], help="default all; recipe masked")
    parser.add_argument(
        "--mlm-probability", type=float, help="share of tokens predicted (default 0.15; recipe 0.3)"
    )
    parser.add_argument("--no-torch", action="store_true", help="only our side (for profiling)")
    parser.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)  # run ours at this seq
    parser.add_argument("--torch-child", type=int, default=None, help=argparse.SUPPRESS)  # torch at this seq
    parser.add_argument("--gemm-child", action="store_true", help=argparse.SUPPRESS)  # the GEMM ceiling
    parser.add_argument("--profile", action="store_true", help="with --child: cProfile the train steps")
    args = parser.parse_args(argv)
    defaults = (
        RECIPE_DEFAULTS
        if args.config == "recipe"
        else dict(batch=32, dropout=0.1, head="all", mlm_probability=0.15)
    )
    for name, value in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    SIZES.clear()
    SIZES.update(CONFIGS[args.config])
    return args


def make_batch(rng, batch: int, time_steps: int, vocab: int, mlm_probability: float = 0.15):
    """Random ids shaped like pre-training rows: [CLS] ... [SEP] ... [SEP], two segments, a share
    `mlm_probability` of the tokens chosen and masked 80/10/10."""
    import numpy as np

    ids = rng.integers(N_SPECIAL, vocab, (batch, time_steps))
    ids[:, 0] = CLS
    ids[:, time_steps // 2 - 1] = SEP
    ids[:, -1] = SEP
    types = np.zeros((batch, time_steps), dtype=np.int64)
    types[:, time_steps // 2 :] = 1
    mask = np.ones((batch, time_steps), dtype=np.int64)
    special = (ids == CLS) | (ids == SEP)
    masked = (rng.random((batch, time_steps)) < mlm_probability) & ~special
    labels = np.where(masked, ids, -100)
    choice = rng.random((batch, time_steps))
    inputs = ids.copy()
    inputs[masked & (choice < 0.8)] = MASK
    random_tokens = masked & (choice >= 0.8) & (choice < 0.9)
    inputs[random_tokens] = rng.integers(N_SPECIAL, vocab, int(random_tokens.sum()))
    return inputs, types, mask, labels


def fwd_gflop(batch: int, time_steps: int, head_tokens: float) -> float:
    """Matmul GFLOP of one forward pass."""
    tokens, hidden, inter = batch * time_steps, SIZES["hidden_size"], SIZES["intermediate_size"]
    per_layer = 4 * 2 * tokens * hidden * hidden + 2 * 2 * tokens * hidden * inter
    per_layer += 2 * 2 * batch * time_steps * time_steps * hidden
    head = 2 * head_tokens * hidden * hidden + 2 * head_tokens * hidden * SIZES["vocab_size"]
    return (SIZES["num_hidden_layers"] * per_layer + head) / 1e9


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def run_ours(args: argparse.Namespace, time_steps: int) -> dict:
    """One sequence length of our model, in this (child) process."""
    import numpy as np

    import tinygrad_edu as tg
    from models.bert import BertConfig, BertForMaskedLM
    from tinygrad_edu.nn import functional as F

    tg.manual_seed(0)
    config = BertConfig(**SIZES, hidden_dropout_prob=args.dropout, attention_probs_dropout_prob=args.dropout)
    model = BertForMaskedLM(config)
    params = sum(p.numel() for p in model.parameters())
    optimizer = tg.optim.AdamW(model.parameters(), lr=1e-4, weight_decay=0.01)
    rng = np.random.default_rng(1234)
    batches = [
        make_batch(rng, args.batch, time_steps, SIZES["vocab_size"], args.mlm_probability) for _ in range(4)
    ]
    rss_before = rss_mb()

    def loss_of(inputs, types, mask, labels):
        if args.head == "all":
            return model(inputs, mask, types, labels=labels).loss
        hidden = model.bert(inputs, mask, types).last_hidden_state
        picked = np.flatnonzero(labels.reshape(-1) != -100)
        logits = model.cls(hidden.reshape(-1, SIZES["hidden_size"])[picked])
        return F.cross_entropy(logits, labels.reshape(-1)[picked])

    model.train()
    times, losses = [], []
    steps = args.steps or (12 if time_steps <= 64 else 8)
    profiler = None
    for step in range(args.warmup + steps):
        if args.profile and step == args.warmup:
            import cProfile

            profiler = cProfile.Profile()
            profiler.enable()
        inputs, types, mask, labels = batches[step % len(batches)]
        start = time.perf_counter()
        optimizer.zero_grad(set_to_none=True)
        loss = loss_of(inputs, types, mask, labels)
        loss.backward()
        optimizer.step()
        end = time.perf_counter()
        losses.append(loss.item())
        if step >= args.warmup:
            times.append(end - start)
    if profiler is not None:
        import pstats

        profiler.disable()
        pstats.Stats(profiler, stream=sys.stderr).sort_stats("tottime").print_stats(25)
    rss_train = rss_mb()

    model.eval()
    infer_times = []
    infer_steps = args.infer_steps or (20 if time_steps <= 64 else 10)
    with tg.no_grad():
        for step in range(2 + infer_steps):
            inputs, types, mask, _ = batches[step % len(batches)]
            start = time.perf_counter()
            logits = model(inputs, mask, types).logits
            end = time.perf_counter()
            if step >= 2:
                infer_times.append(end - start)
    assert logits.shape == (args.batch, time_steps, SIZES["vocab_size"]) and logits.dtype == np.float32
    masked_tokens = statistics.mean(int((b[3] != -100).sum()) for b in batches)
    train_tokens = args.batch * time_steps if args.head == "all" else masked_tokens
    train_gflop = 3 * fwd_gflop(args.batch, time_steps, train_tokens)
    infer_gflop = fwd_gflop(args.batch, time_steps, args.batch * time_steps)
    train_s, infer_s = statistics.median(times), statistics.median(infer_times)
    return {
        "seq": time_steps,
        "train_ms_per_step_median": round(1000 * train_s, 2),
        "train_ms_per_step_min": round(1000 * min(times), 2),
        "train_tokens_per_s": round(args.batch * time_steps / train_s, 1),
        "infer_ms_per_batch_median": round(1000 * infer_s, 2),
        "train_gflops_achieved": round(train_gflop / train_s, 1),
        "infer_gflops_achieved": round(infer_gflop / infer_s, 1),
        "peak_rss_mb": round(rss_train, 1),
        "rss_before_train_mb": round(rss_before, 1),
        "first_loss": round(losses[0], 4),
        "last_loss": round(losses[-1], 4),
        "params": params,
    }


def run_torch(args: argparse.Namespace, time_steps: int) -> dict:
    """The same workload with transformers' BertForMaskedLM on torch, in this (child) process."""
    import numpy as np
    import torch
    from transformers import BertConfig as HFConfig
    from transformers import BertForMaskedLM as HFBert

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    config = HFConfig(**SIZES, hidden_dropout_prob=args.dropout, attention_probs_dropout_prob=args.dropout)
    model = HFBert(config)
    params = sum(p.numel() for p in model.parameters())  # tied weights are counted once, as ours
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4, weight_decay=0.01)
    rng = np.random.default_rng(1234)
    batches = [
        tuple(
            torch.from_numpy(a)
            for a in make_batch(rng, args.batch, time_steps, SIZES["vocab_size"], args.mlm_probability)
        )
        for _ in range(4)
    ]
    rss_before = rss_mb()

    def loss_of(inputs, types, mask, labels):
        if args.head == "all":
            return model(input_ids=inputs, attention_mask=mask, token_type_ids=types, labels=labels).loss
        hidden = model.bert(input_ids=inputs, attention_mask=mask, token_type_ids=types).last_hidden_state
        picked = (labels.reshape(-1) != -100).nonzero().squeeze(1)
        logits = model.cls(hidden.reshape(-1, SIZES["hidden_size"])[picked])
        return torch.nn.functional.cross_entropy(logits, labels.reshape(-1)[picked])

    model.train()
    times, losses = [], []
    steps = args.steps or (12 if time_steps <= 64 else 8)
    for step in range(args.warmup + steps):
        inputs, types, mask, labels = batches[step % len(batches)]
        start = time.perf_counter()
        optimizer.zero_grad(set_to_none=True)
        loss = loss_of(inputs, types, mask, labels)
        loss.backward()
        optimizer.step()
        end = time.perf_counter()
        losses.append(loss.item())
        if step >= args.warmup:
            times.append(end - start)
    rss_train = rss_mb()
    model.eval()
    infer_times = []
    infer_steps = args.infer_steps or (20 if time_steps <= 64 else 10)
    with torch.no_grad():
        for step in range(2 + infer_steps):
            inputs, types, mask, _ = batches[step % len(batches)]
            start = time.perf_counter()
            logits = model(input_ids=inputs, attention_mask=mask, token_type_ids=types).logits
            end = time.perf_counter()
            if step >= 2:
                infer_times.append(end - start)
    assert tuple(logits.shape) == (args.batch, time_steps, SIZES["vocab_size"])
    masked_tokens = statistics.mean(int((b[3] != -100).sum()) for b in batches)
    train_tokens = args.batch * time_steps if args.head == "all" else masked_tokens
    train_s, infer_s = statistics.median(times), statistics.median(infer_times)
    return {
        "seq": time_steps,
        "train_ms_per_step_median": round(1000 * train_s, 2),
        "train_ms_per_step_min": round(1000 * min(times), 2),
        "train_tokens_per_s": round(args.batch * time_steps / train_s, 1),
        "infer_ms_per_batch_median": round(1000 * infer_s, 2),
        "train_gflops_achieved": round(3 * fwd_gflop(args.batch, time_steps, train_tokens) / train_s, 1),
        "infer_gflops_achieved": round(
            fwd_gflop(args.batch, time_steps, args.batch * time_steps) / infer_s, 1
        ),
        "peak_rss_mb": round(rss_train, 1),
        "rss_before_train_mb": round(rss_before, 1),
        "first_loss": round(losses[0], 4),
        "last_loss": round(losses[-1], 4),
        "params": params,
    }


def gemm_ceiling(repeats: int = 5) -> float:
    """numpy's float32 matmul speed in GFLOPS: the best median over a few square sizes."""
    import numpy as np

    best = 0.0
    for size in (256, 512, 1024):
        a = np.random.default_rng(0).standard_normal((size, size), dtype=np.float32)
        a @ a  # warm-up
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            a @ a
            times.append(time.perf_counter() - start)
        best = max(best, 2 * size**3 / statistics.median(times) / 1e9)
    return round(best, 1)


def last_json_line(command: list[str], env: dict) -> dict:
    result = subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    args = parse_args()
    threads = str(args.threads)
    env = dict(os.environ, OPENBLAS_NUM_THREADS=threads, OMP_NUM_THREADS=threads, MKL_NUM_THREADS=threads)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    if args.child is not None:
        print(json.dumps(run_ours(args, args.child)))
        return
    if args.torch_child is not None:
        print(json.dumps(run_torch(args, args.torch_child)))
        return
    if args.gemm_child:
        print(json.dumps({"gflops": gemm_ceiling()}))
        return

    ceiling = last_json_line([sys.executable, __file__, "--gemm-child", "--threads", threads], env)["gflops"]

    passthrough = ["--config", args.config, "--head", args.head, "--batch", str(args.batch)]
    passthrough += ["--warmup", str(args.warmup), "--mlm-probability", str(args.mlm_probability)]
    passthrough += ["--dropout", str(args.dropout)]
    for flag, value in (("--steps", args.steps), ("--infer-steps", args.infer_steps)):
        if value:
            passthrough += [flag, str(value)]
    runs = {}
    for time_steps in args.seq:
        ours = last_json_line(
            [sys.executable, __file__, "--child", str(time_steps), "--threads", threads] + passthrough, env
        )
        theirs = None
        if not args.no_torch:
            torch_json = last_json_line(
                [sys.executable, __file__, "--torch-child", str(time_steps), "--threads", threads]
                + passthrough,
                env,
            )
            theirs = torch_json
        runs[str(time_steps)] = {"ours": ours, "torch": theirs}

    print(
        f"Mini-BERT MLM, --config {args.config}, batch {args.batch}, --head {args.head}, "
        f"{args.mlm_probability:.0%} predicted, {args.threads} threads; "
        f"numpy float32 GEMM ceiling {ceiling:.0f} GFLOPS"
    )
    header = f"{'seq':>4} {'metric':<22} {'ours':>10} {'torch':>10} {'ours/torch':>10}"
    print(header)
    print("-" * len(header))
    summary = {}
    for time_steps, pair in runs.items():
        ours, theirs = pair["ours"], pair["torch"]
        rows = [
            ("train ms/step", "train_ms_per_step_median"),
            ("infer ms/batch", "infer_ms_per_batch_median"),
            ("peak RSS MB", "peak_rss_mb"),
            ("train GFLOPS", "train_gflops_achieved"),
            ("infer GFLOPS", "infer_gflops_achieved"),
        ]
        ratios = {}
        for label, key in rows:
            mine = ours[key]
            ref = theirs[key] if theirs else None
            ratio = mine / ref if ref else None
            ratios[key] = round(ratio, 3) if ratio else None
            ref_text = f"{ref:>10.1f}" if ref is not None else f"{'-':>10}"
            ratio_text = f"{ratio:>10.2f}" if ratio is not None else f"{'-':>10}"
            print(f"{time_steps:>4} {label:<22} {mine:>10.1f} {ref_text} {ratio_text}")
        fraction = ours["train_gflops_achieved"] / ceiling
        print(f"{time_steps:>4} {'train / GEMM ceiling':<22} {fraction:>10.0%}")
        summary[time_steps] = {"ratios": ratios, "train_fraction_of_gemm_ceiling": round(fraction, 3)}
    print(
        json.dumps(
            {
                "workload": "bert_mini_mlm",
                "head": args.head,
                "batch": args.batch,
                "threads": args.threads,
                "gemm_ceiling_gflops_float32": ceiling,
                "runs": runs,
                "summary": summary,
            }
        )
    )


if __name__ == "__main__":
    main()
