"""Train the character-level GPT (models/gpt.py) on names or on Shakespeare.

    python examples/train_gpt.py --out runs/gpt_names                # data/names.txt
    python examples/train_gpt.py --data data/shakespeare.txt --char-stream --out runs/gpt_shakespeare
    python examples/train_gpt.py --out runs/gpt_names --resume       # continue an interrupted run

Two ways to read the data:
- names (default): one word per line, makemore's seed-42 80/10/10 split. Each name is one sequence
  "." + name, and the model predicts name + "." one character at a time; shorter names are padded
  and the padded positions are left out of the loss. block_size defaults to the longest name + 1.
- --char-stream: the file as one stream of characters (for data/shakespeare.txt, the speeches of
  `tinygrad_edu.data.corpus` joined by newlines); training batches are random windows of block_size
  characters, and the validation loss is measured on the corpus's fixed held-out speeches.

AdamW with weight decay on the weight matrices only, a linear warm-up then a cosine decay of the
learning rate, gradient clipping. Every --eval-interval steps: train/val loss and a checkpoint
(written atomically, with the optimizer, schedule and random state, so --resume continues exactly
where it stopped, with the data and model shape the run recorded; a flag that contradicts the record
is refused). At the end: losses, the checkpoint, a loss plot, samples, and one JSON line.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import training_common as training
import training_health

import tinygrad_edu as tg
from models.gpt import GPT, GPTConfig
from tinygrad_edu.data import CharTokenizer, load_words, split_words
from tinygrad_edu.data.corpus import load_corpus, split_corpus
from tinygrad_edu.nn.functional import IGNORE_INDEX
from tinygrad_edu.nn.utils import clip_grad_norm_
from tinygrad_edu.tensor import default_generator

STREAM_BLOCK_SIZE = 64  # --char-stream's default context


# ------------------------------------------------------------------------------------------------
# data: both kinds give (inputs, targets) int64 arrays of shape (N, block_size) per split


def name_sequences(
    words: list[str], tokenizer: CharTokenizer, block_size: int
) -> tuple[np.ndarray, np.ndarray]:
    """One row per word: inputs ". e m m a . . ." and targets "e m m a . I I I" (I: IGNORE_INDEX)."""
    inputs = np.zeros((len(words), block_size), dtype=np.int64)
    targets = np.full((len(words), block_size), IGNORE_INDEX, dtype=np.int64)
    for row, word in enumerate(words):
        ids = [0, *tokenizer.encode(word), 0]
        if len(ids) - 1 > block_size:
            raise ValueError(
                f"the word {word!r} needs block_size {len(ids) - 1}, but --block-size is {block_size}"
            )
        inputs[row, : len(ids) - 1] = ids[:-1]
        targets[row, : len(ids) - 1] = ids[1:]
    return inputs, targets


def stream_windows(ids: np.ndarray, starts: np.ndarray, block_size: int) -> tuple[np.ndarray, np.ndarray]:
    """Windows of the stream at `starts`: inputs ids[s : s+T], targets ids[s+1 : s+T+1]."""
    offsets = starts[:, None] + np.arange(block_size)[None, :]  # (N, T)
    return ids[offsets], ids[offsets + 1]


class NamesTask:
    """Names, one sequence each; batches are random rows of the training split."""

    task = "words"

    def __init__(self, path: str, block_size: int | None, tokenizer: CharTokenizer | None = None) -> None:
        words = load_words(path)
        self.tokenizer = tokenizer or CharTokenizer.from_words(words)
        self.block_size = block_size or max(len(word) for word in words) + 1
        parts = dict(zip(("train", "val", "test"), split_words(words)))
        self.splits = {
            name: name_sequences(part, self.tokenizer, self.block_size) for name, part in parts.items()
        }
        sizes = ", ".join(f"{name} {len(part):,}" for name, part in parts.items())
        self.description = f"{path}: {len(words):,} names ({sizes}), vocabulary {self.tokenizer.vocab_size}"

    def batch(self, rng: np.random.Generator, batch_size: int) -> tuple[np.ndarray, np.ndarray]:
        inputs, targets = self.splits["train"]
        rows = rng.integers(0, len(inputs), size=batch_size)
        return inputs[rows], targets[rows]

    def eval_split(self, name: str, limit: int | None) -> tuple[np.ndarray, np.ndarray]:
        inputs, targets = self.splits[name]
        return inputs[:limit], targets[:limit]


class StreamTask:
    """A continuous character stream; batches are random windows of the training text, evaluation
    uses evenly spaced windows (the same ones every time) of the training and held-out text."""

    task = "text"

    def __init__(self, path: str, block_size: int | None, tokenizer: CharTokenizer | None = None) -> None:
        train_speeches, heldout_speeches = split_corpus(load_corpus(path))
        train_text, heldout_text = "\n".join(train_speeches), "\n".join(heldout_speeches)
        self.tokenizer = tokenizer or CharTokenizer(set(train_text + heldout_text))
        self.block_size = block_size or STREAM_BLOCK_SIZE
        self.ids = {
            "train": np.array(self.tokenizer.encode(train_text), dtype=np.int64),
            "val": np.array(self.tokenizer.encode(heldout_text), dtype=np.int64),
        }
        for name, ids in self.ids.items():
            if len(ids) <= self.block_size:
                raise ValueError(f"the {name} text of {path} is shorter than block_size {self.block_size}")
        self.description = (
            f"{path}: {len(train_text):,} training and {len(heldout_text):,} held-out characters, "
            f"vocabulary {self.tokenizer.vocab_size}"
        )

    def batch(self, rng: np.random.Generator, batch_size: int) -> tuple[np.ndarray, np.ndarray]:
        ids = self.ids["train"]
        starts = rng.integers(0, len(ids) - self.block_size, size=batch_size)
        return stream_windows(ids, starts, self.block_size)

    def eval_split(self, name: str, limit: int | None) -> tuple[np.ndarray, np.ndarray]:
        ids = self.ids[name]
        last_start = len(ids) - self.block_size - 1
        count = last_start // self.block_size + 1  # non-overlapping windows cover the whole text
        if limit is not None:
            count = min(count, limit)
        starts = np.linspace(0, last_start, count).astype(np.int64)
        return stream_windows(ids, starts, self.block_size)


def split_losses(model: GPT, data, splits: tuple[str, ...], limit: int | None) -> dict[str, float]:
    """The loss per predicted token (padding excluded) of each split, by the shared evaluation loop."""
    return {
        f"{name}_loss": training.evaluate(model, training.batches_of(*data.eval_split(name, limit), 512))[
            "loss"
        ]
        for name in splits
    }


# ------------------------------------------------------------------------------------------------
# the run


def parse_args(argv=None):
    parser = training.make_parser(
        __doc__, steps=15000, batch_size=128, lr=2e-3, out="runs/gpt", eval_interval=1500
    )
    parser.add_argument("--char-stream", action="store_true", help="read --data as one character stream")
    parser.add_argument(
        "--eval-examples", type=int, default=4000, help="rows per split at interval evaluations"
    )
    parser.add_argument("--samples", type=int, default=20, help="names (or texts) to sample at the end")
    parser.add_argument("--sample-tokens", type=int, default=400, help="--char-stream: characters per sample")
    parser.add_argument("--prompt", default="\n", help="--char-stream: the text samples continue")
    optim = parser.add_argument_group("optimizer")
    optim.add_argument("--weight-decay", type=float, default=0.01, help="AdamW decay of weight matrices")
    optim.add_argument("--warmup", type=int, default=100, help="linear warm-up steps")
    optim.add_argument("--min-lr-ratio", type=float, default=0.1, help="the cosine decay ends at lr * this")
    optim.add_argument("--grad-clip", type=float, default=1.0, help="clip the gradient norm (0: off)")
    training_health.add_args(parser)
    model = parser.add_argument_group("model")
    model.add_argument(
        "--block-size", type=int, default=None, help="context (names: longest + 1; stream: 64)"
    )
    model.add_argument("--n-layer", type=int, default=4, help="transformer blocks")
    model.add_argument("--n-head", type=int, default=4, help="attention heads per block")
    model.add_argument("--n-embd", type=int, default=64, help="width of the residual stream")
    model.add_argument("--dropout", type=float, default=0.1, help="dropout probability in training")
    model.add_argument("--no-bias", action="store_true", help="Linear and LayerNorm layers without biases")
    model.add_argument("--tie-weights", action="store_true", help="share the token embedding with lm_head")
    args = parser.parse_args(argv)
    resumed = None
    if args.resume:
        checkpoint_path = training.check_out_folder(args.out) / "model.npz"
        resumed = training.load_resume_checkpoint(checkpoint_path, "gpt")
        given = training.explicit_flags(parser, argv)
        training.apply_run_record(args, given, resumed["extra"]["run"], args.out)
    training.check_out_folder(args.out)
    training.check_positive(
        steps=args.steps, batch_size=args.batch_size, lr=args.lr, eval_interval=args.eval_interval,
        eval_examples=args.eval_examples, n_layer=args.n_layer, n_head=args.n_head, n_embd=args.n_embd,
    )  # fmt: skip
    if args.block_size is not None:
        training.check_positive(block_size=args.block_size)
    if args.stop_after is not None:
        training.check_positive(stop_after=args.stop_after)
    if not 0.0 <= args.dropout < 1.0:
        raise ValueError(f"--dropout must lie in [0, 1), got {args.dropout}")
    if args.n_embd % args.n_head:
        raise ValueError(f"--n-embd {args.n_embd} is not divisible by --n-head {args.n_head}")
    return args, resumed


FREE_FLAGS = ("samples", "sample_tokens", "prompt", "eval_examples")  # may change on --resume


def make_optimizer(model: GPT, args):
    """AdamW; weight matrices and embeddings decay, biases and LayerNorm gains do not."""
    decay = [p for p in model.parameters() if p.ndim >= 2]
    no_decay = [p for p in model.parameters() if p.ndim < 2]
    optimizer = tg.optim.AdamW(
        [{"params": decay, "weight_decay": args.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
        lr=args.lr,
        betas=(0.9, 0.99),
    )
    scheduler = tg.optim.lr_scheduler.get_cosine_schedule_with_warmup(
        optimizer, args.warmup, args.steps, min_lr_ratio=args.min_lr_ratio
    )
    return optimizer, scheduler


def save(path: Path, model, config, data, args, metrics, state: dict) -> Path:
    return training.save_checkpoint(
        path,
        model_type="gpt",
        config=config,
        model=model,
        tokenizer=data.tokenizer,
        metrics=metrics,
        extra={
            "task": data.task,
            "data": args.data,
            "run": training.run_record(args, FREE_FLAGS),
            "resume": state,
        },
    )


def main(argv=None):
    args, resumed = parse_args(argv)
    out = Path(args.out)
    checkpoint_path = out / "model.npz"
    Task = StreamTask if args.char_stream else NamesTask

    if resumed is not None:  # the data and the model shape come from the run's record
        state = resumed["extra"]["resume"]
        if int(state["step"]) >= args.steps:
            raise ValueError(f"--resume: the run in {out} already finished its {args.steps} steps")
        tokenizer = training.tokenizer_from_dict(resumed["tokenizer"], resumed["path"])
        data = Task(args.data, resumed["config"]["block_size"], tokenizer)
        config = GPTConfig(**resumed["config"])
    else:
        data = Task(args.data, args.block_size)
        config = GPTConfig(
            block_size=data.block_size, vocab_size=data.tokenizer.vocab_size, n_layer=args.n_layer,
            n_head=args.n_head, n_embd=args.n_embd, dropout=args.dropout, bias=not args.no_bias,
            tie_weights=args.tie_weights,
        )  # fmt: skip
    print(f"data: {data.description}")
    tg.manual_seed(args.seed)  # dropout draws from the default generator
    model = GPT(config, generator=tg.Generator(args.seed))
    optimizer, scheduler = make_optimizer(model, args)
    rng = np.random.default_rng(args.seed)  # batches
    curve = training.LossCurve()
    start_step, timer = 0, training.Timer()
    if resumed is not None:
        training.check_weights(resumed["state_dict"], model, resumed["path"])
        model.load_state_dict(resumed["state_dict"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        rng.bit_generator.state = state["batch_rng"]
        default_generator.rng.bit_generator.state = state["dropout_rng"]
        curve = training.LossCurve(state["curve"])
        start_step, timer = int(state["step"]), training.Timer(before=float(state["seconds"]))
        print(f"resumed from {checkpoint_path} at step {start_step}")
    print(model)
    params = training.count_parameters(model)
    print(f"parameters: {params:,}")

    eval_splits = ("train", "val")
    end_step = args.steps if args.stop_after is None else min(args.steps, start_step + args.stop_after)

    def training_state(step: int) -> dict:
        return {
            "step": step,
            "seconds": timer.seconds,
            "optimizer": optimizer.state_dict(),
            "scheduler": scheduler.state_dict(),
            "batch_rng": rng.bit_generator.state,
            "dropout_rng": default_generator.rng.bit_generator.state,
            "curve": curve.series(),
        }

    running = training.RunningLoss()
    health = training_health.start(model, args, args.grad_clip if args.grad_clip > 0 else None, start_step)
    bar = training.progress(max(0, end_step - start_step), desc="train_gpt", disable=args.no_progress)
    for step in (start_step + i for i in bar):
        inputs, targets = data.batch(rng, args.batch_size)
        _, loss = model(tg.Tensor(inputs), tg.Tensor(targets))
        optimizer.zero_grad()
        loss.backward()
        norm = clip_grad_norm_(model.parameters(), args.grad_clip) if args.grad_clip > 0 else None
        training_health.optimizer_step(health, optimizer, norm)
        scheduler.step()
        value = loss.item()
        curve.add("batch", step + 1, value)
        running.update(value)
        if step % 50 == 0:
            bar.set_postfix(loss=f"{running.value:.4f}", lr=f"{optimizer.param_groups[0]['lr']:.2e}")
        if (step + 1) % args.eval_interval == 0 and step + 1 < args.steps:
            losses = split_losses(model, data, eval_splits, args.eval_examples)
            for name, loss_value in losses.items():
                curve.add(name.replace("_loss", ""), step + 1, loss_value)
            bar.write(
                f"step {step + 1:>6}/{args.steps}: train {losses['train_loss']:.4f}  val {losses['val_loss']:.4f}"
            )
            save(checkpoint_path, model, config, data, args, {"step": step + 1}, training_state(step + 1))

    training_health.finish(health, args, f"GPT on {Path(args.data).name}")
    if end_step < args.steps:  # --stop-after: leave a checkpoint to resume from, and stop
        save(checkpoint_path, model, config, data, args, {"step": end_step}, training_state(end_step))
        print(f"stopped at step {end_step} of {args.steps}; continue with --resume")
        training.print_final_json({"step": end_step, "checkpoint": str(checkpoint_path)})
        return None
    return finish(model, config, data, args, curve, params, timer.seconds, training_state)


def finish(model, config, data, args, curve, params, seconds, training_state) -> dict:
    """The end of a run: losses on the full splits, then the shared finish (checkpoint, plot, JSON)."""
    if isinstance(data, NamesTask):
        losses = split_losses(model, data, ("train", "val", "test"), None)
    else:  # the whole held-out text, but not all of the ~65k windows of a long training text
        losses = {
            **split_losses(model, data, ("train",), args.eval_examples),
            **split_losses(model, data, ("val",), None),
        }
    for name in ("train", "val"):
        curve.add(name, args.steps, losses[f"{name}_loss"])
    generator = tg.Generator(args.seed)
    if isinstance(data, NamesTask):
        samples = [data.tokenizer.decode(ids) for ids in model.sample(args.samples, generator=generator)]
        show = None
    else:
        prompt = tg.tensor([data.tokenizer.encode(args.prompt)] * args.samples, dtype=tg.int64)
        rows = model.generate(prompt, args.sample_tokens, generator=generator).tolist()
        samples = [data.tokenizer.decode(row) for row in rows]

        def show(texts):
            for text in texts:
                print("-" * 40)
                print(text)

    return training.finish(
        out=Path(args.out),
        losses=losses,
        save=lambda metrics: save(
            Path(args.out) / "model.npz", model, config, data, args, metrics, training_state(args.steps)
        ),
        curve=curve,
        title=f"GPT ({config.n_layer} layers, {config.n_embd} wide): loss on {Path(args.data).name}",
        samples=samples,
        seconds=seconds,
        params=params,
        data=args.data,
        steps=args.steps,
        smooth={"batch": max(1, min(200, args.steps // 20))},
        show_samples=show,
    )


if __name__ == "__main__":
    training.run_main(main)
