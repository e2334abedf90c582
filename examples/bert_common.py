"""What the Mini-BERT scripts share: loading a checkpoint folder, encoding a sentence for the model,
the fixed held-out MLM batches, and the metrics (loss, masked-token accuracy, perplexity) of the model
and of the unigram baseline on exactly the same masked tokens.

Used by `train_bert.py`, `fill_mask.py`, `evaluate_bert.py` and `visualize_bert.py` (which run from the
repository root as `python examples/<script>.py`, so this file is importable beside them).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import training_common as training

import tinygrad_edu as tg
from models.bert import BertForMaskedLM
from tinygrad_edu.data import IGNORE_INDEX, MLMCollator, WordPieceTokenizer, pack_sequences, unigram_log_probs

HELDOUT_MASK_SEED = 1234  # the held-out tokens are masked once, with this seed, in every script
# Held-out rows are 64 tokens long whatever a run trained on, so every model is scored on the same rows
# (a model with fewer positions is scored on rows of its own length, and the scripts say so).
HELDOUT_SEQ_LEN = 64


def heldout_seq_len(max_positions: int) -> int:
    """The row length of the held-out measure for a model with `max_positions` positions."""
    return min(HELDOUT_SEQ_LEN, max_positions)


REPO_ROOT = Path(__file__).resolve().parent.parent
# The trained Mini-BERT that ships with the project; the scripts use it when no --checkpoint is given.
DEFAULT_CHECKPOINT = REPO_ROOT / "checkpoints" / "mini-bert"


def load_bert(checkpoint: str | Path | None = None) -> tuple[BertForMaskedLM, WordPieceTokenizer]:
    """Model and tokenizer from a folder written by `train_bert.py` (config.json, model.safetensors,
    vocab.txt), by default the shipped `checkpoints/mini-bert`, read by the loader every script
    shares (`training_common.load_model`); the model is put in eval mode."""
    folder = DEFAULT_CHECKPOINT if checkpoint is None else Path(checkpoint)
    if not folder.is_dir():
        raise FileNotFoundError(
            f"no checkpoint folder {str(folder)!r}; train one with `python examples/train_bert.py --out DIR`"
        )
    if not (folder / "config.json").is_file():
        raise FileNotFoundError(
            f"{str(folder)!r} is not a Mini-BERT checkpoint: it lacks config.json "
            "(train_bert.py writes config.json, model.safetensors and vocab.txt)"
        )
    model, tokenizer, _ = training.load_model(folder, expect="bert")
    return model, tokenizer


def encode_sentence(tokenizer: WordPieceTokenizer, text: str, max_positions: int) -> list[int]:
    """`[CLS] text [SEP]` as ids; a clear error if it is longer than the model's position table."""
    if not text.strip():
        raise ValueError("the sentence is empty")
    ids = tokenizer.encode(text).input_ids
    if len(ids) > max_positions:
        raise ValueError(
            f"the sentence is {len(ids)} tokens long ([CLS] and [SEP] included), more than the model's "
            f"max_position_embeddings={max_positions}; shorten it"
        )
    return ids


def tokenize_speeches(tokenizer: WordPieceTokenizer, speeches: list[str]) -> list[list[int]]:
    return [tokenizer.convert_tokens_to_ids(tokenizer.tokenize(speech)) for speech in speeches]


def heldout_batches(
    tokenizer: WordPieceTokenizer,
    speeches: list[str],
    seq_len: int,
    batch_size: int,
    max_rows: int | None = None,
) -> list[dict[str, np.ndarray]]:
    """The held-out speeches packed into rows and masked ONCE with a fixed seed: every evaluation (and
    the unigram baseline) scores the same masked tokens, so numbers are comparable across runs.

    15% of the ordinary tokens are chosen, as in training, but every chosen token is replaced by
    `[MASK]` (no 10% random, no 10% kept): the model never sees the answer, so the loss measures what
    it infers from the context alone."""
    rows = pack_sequences(
        tokenize_speeches(tokenizer, speeches),
        seq_len,
        tokenizer.cls_token_id,
        tokenizer.sep_token_id,
        tokenizer.pad_token_id,
        keep_last=True,
    )
    if max_rows is not None:
        rows = rows[:max_rows]
    if len(rows) == 0:
        raise ValueError("the held-out text is empty after tokenisation")
    # all rows masked in one call, then cut into batches: the masked tokens do not depend on batch_size
    collator = MLMCollator.from_tokenizer(
        tokenizer, seed=HELDOUT_MASK_SEED, mask_fraction=1.0, random_fraction=0.0
    )
    masked = collator(rows)
    return [
        {key: value[start : start + batch_size] for key, value in masked.items()}
        for start in range(0, len(rows), batch_size)
    ]


def summarize(total_loss: float, correct: int, count: int) -> dict[str, float]:
    if count == 0:
        raise ValueError("no masked tokens to evaluate (the text is too short)")
    loss = total_loss / count
    return {
        "loss": loss,
        "accuracy": correct / count,
        "perplexity": math.exp(min(loss, 50.0)),
        "tokens": count,
    }


def log_softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def masked_token_scores(model: BertForMaskedLM, batch: dict[str, np.ndarray], head_mask=None) -> dict:
    """Summed cross entropy, correct guesses and count of the masked tokens of one batch."""
    output = model(
        tg.Tensor(batch["input_ids"]),
        attention_mask=tg.Tensor(batch["attention_mask"]),
        token_type_ids=tg.Tensor(batch["token_type_ids"]),
        head_mask=None if head_mask is None else tg.Tensor(np.asarray(head_mask, dtype=np.float32)),
    )
    where = batch["labels"] != IGNORE_INDEX
    logits = output.logits.numpy()[where].astype(np.float64)  # (masked tokens, vocab)
    targets = batch["labels"][where]
    log_probs = log_softmax(logits)
    return {
        "loss": -float(log_probs[np.arange(len(targets)), targets].sum()),
        "correct": int((logits.argmax(axis=-1) == targets).sum()),
        "tokens": len(targets),
    }


def mlm_metrics(
    model: BertForMaskedLM, batches: list[dict[str, np.ndarray]], head_mask=None
) -> dict[str, float]:
    """Mean cross entropy, accuracy and perplexity over every masked token of `batches` (eval mode,
    no graph: the shared evaluation loop). `head_mask` (layers, heads) of 0/1 is passed to the model,
    for ablations."""
    try:
        means = training.evaluate(model, batches, lambda m, batch: masked_token_scores(m, batch, head_mask))
    except ValueError:  # evaluate found no masked token
        means = {"loss": 0.0, "correct": 0.0, "tokens": 0}
    return summarize(
        means["loss"] * means["tokens"], round(means["correct"] * means["tokens"]), means["tokens"]
    )


def unigram_baseline(tokenizer: WordPieceTokenizer, train_speeches: list[str]) -> np.ndarray:
    """The unigram baseline's log-probabilities: every token of the training speeches counted once
    (`unigram_log_probs`), whatever the row length a run packs them into."""
    tokens = np.array(
        [i for ids in tokenize_speeches(tokenizer, train_speeches) for i in ids], dtype=np.int64
    )
    return unigram_log_probs(tokens, tokenizer.vocab_size, tokenizer.special_token_ids)


def baseline_metrics(log_probs: np.ndarray, batches: list[dict[str, np.ndarray]]) -> dict[str, float]:
    """The unigram baseline (`unigram_log_probs`) scored on the same masked tokens as `mlm_metrics`."""
    targets = np.concatenate([batch["labels"][batch["labels"] != IGNORE_INDEX] for batch in batches])
    best = int(np.argmax(log_probs))
    return summarize(float(-log_probs[targets].sum()), int((targets == best).sum()), len(targets))


if __name__ == "__main__":
    training.run_main(lambda: training.module_help(__doc__))
