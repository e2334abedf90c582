"""Milliseconds per GPT training step: our `models/gpt.py` against the same model in torch, twice: laid
out as ours (`benchmarks/gpt_torch.py`) and laid out as nanoGPT's `model.py` (`benchmarks/nanogpt_torch.py`:
one q/k/v Linear and torch's fused `scaled_dot_product_attention`), same weights, dropout off, in one
run, interleaved.

A step = pick a batch of random token windows, forward, loss, backward, AdamW update. Both sides use
the same number of threads (numpy's BLAS through OPENBLAS_NUM_THREADS/OMP_NUM_THREADS, set before
numpy is imported; torch through `torch.set_num_threads`). The three run in alternating rounds
(ours, torch, nanoGPT-style, ours, ...) so that a noisy neighbour slows all; the figure is the median
step, and the ratios are ours over each.

Shapes: "names" is the makemore set-up of the README (4 layers, 4 heads, 64 wide, block 16, batch 32,
vocab 27); "shakespeare" the character-stream one (4 layers, 4 heads, 128 wide, block 64, batch 32,
vocab 80).

Run: python benchmarks/bench_gpt.py [--shapes names shakespeare] [--rounds 6] [--steps 10] [--threads 2]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time

SHAPES = {
    "names": dict(block_size=16, vocab_size=27, n_layer=4, n_head=4, n_embd=64, batch_size=32),
    "shakespeare": dict(block_size=64, vocab_size=80, n_layer=4, n_head=4, n_embd=128, batch_size=32),
}


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--shapes", nargs="+", choices=sorted(SHAPES), default=["names", "shakespeare"])
    parser.add_argument("--rounds", type=int, default=6, help="alternating rounds of ours and torch")
    parser.add_argument("--steps", type=int, default=10, help="timed steps per round and side")
    parser.add_argument("--warmup", type=int, default=5, help="untimed steps per side first")
    parser.add_argument("--threads", type=int, default=1)
    return parser.parse_args(argv)


def bench_shape(shape_name: str, args: argparse.Namespace) -> dict:
    """Median ms per training step of ours and of torch for one shape, in alternating rounds."""
    import numpy as np
    import torch
    from gpt_torch import TorchGPT, torch_state_dict
    from nanogpt_torch import NanoGPTStyle, nanogpt_state_dict

    import tinygrad_edu as tg
    from models.gpt import GPT, GPTConfig

    shape = dict(SHAPES[shape_name])
    batch_size = shape.pop("batch_size")
    config = GPTConfig(**shape, dropout=0.0)
    ours = GPT(config, generator=tg.Generator(0))
    theirs = TorchGPT(config)
    theirs.load_state_dict(torch_state_dict(ours))
    nano = NanoGPTStyle(config)
    nano.load_state_dict(nanogpt_state_dict(ours))
    our_optimizer = tg.optim.AdamW(ours.parameters(), lr=1e-3)
    torch_optimizer = torch.optim.AdamW(theirs.parameters(), lr=1e-3)
    nano_optimizer = torch.optim.AdamW(nano.parameters(), lr=1e-3)
    rng = np.random.default_rng(0)
    data = rng.integers(0, config.vocab_size, size=(4096, config.block_size + 1))

    def batch():
        rows = data[rng.integers(0, len(data), size=batch_size)]
        return rows[:, :-1], rows[:, 1:]

    def our_step() -> float:
        inputs, targets = batch()
        start = time.perf_counter()
        _, loss = ours(tg.Tensor(inputs), tg.Tensor(targets))
        our_optimizer.zero_grad()
        loss.backward()
        our_optimizer.step()
        return time.perf_counter() - start

    def torch_step(model, optimizer) -> float:
        inputs, targets = batch()
        start = time.perf_counter()
        _, loss = model(torch.from_numpy(inputs), torch.from_numpy(targets))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return time.perf_counter() - start

    for _ in range(args.warmup):
        our_step(), torch_step(theirs, torch_optimizer), torch_step(nano, nano_optimizer)
    our_times, torch_times, nano_times = [], [], []
    for _ in range(args.rounds):
        our_times += [our_step() for _ in range(args.steps)]
        torch_times += [torch_step(theirs, torch_optimizer) for _ in range(args.steps)]
        nano_times += [torch_step(nano, nano_optimizer) for _ in range(args.steps)]
    ours_ms = 1e3 * statistics.median(our_times)
    torch_ms = 1e3 * statistics.median(torch_times)
    nano_ms = 1e3 * statistics.median(nano_times)
    return dict(
        shape=shape_name,
        batch_size=batch_size,
        **shape,
        params=sum(p.numel() for p in ours.parameters()),
        ours_ms=round(ours_ms, 2),
        torch_ms=round(torch_ms, 2),
        nanogpt_ms=round(nano_ms, 2),
        ratio=round(ours_ms / torch_ms, 2),
        ratio_to_nanogpt=round(ours_ms / nano_ms, 2),
    )


def main(argv=None) -> None:
    args = parse_args(argv)
    for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[variable] = str(args.threads)  # read by numpy's BLAS when it is first loaded
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

    import torch

    torch.set_num_threads(args.threads)
    results = [bench_shape(name, args) for name in args.shapes]

    print(f"threads: {args.threads}")
    print(
        f"{'shape':<12} {'params':>8} {'ours ms':>9} {'torch ms':>9} {'nanoGPT ms':>10} {'x torch':>8} {'x nanoGPT':>9}"
    )
    for row in results:
        print(
            f"{row['shape']:<12} {row['params']:>8} {row['ours_ms']:>9.2f} {row['torch_ms']:>9.2f} "
            f"{row['nanogpt_ms']:>10.2f} {row['ratio']:>8.2f} {row['ratio_to_nanogpt']:>9.2f}"
        )
    print(json.dumps({"benchmark": "gpt_train_step", "threads": args.threads, "results": results}))


if __name__ == "__main__":
    main()
