"""Does a Mini-BERT use context? Three probes beside the held-out loss, shared by `evaluate_bert.py`,
the tests and the lessons.

- **Cloze set** (`data/cloze.tsv`): sentences written for this project, one `[MASK]` each, with the
  answers that fit. Top-1 and top-5 accuracy: is an acceptable answer the model's first guess, or
  among its first five? The unigram baseline guesses the same frequent tokens for every blank.
- **Real lines against their shuffles**: a held-out speech and the same words in a random order. A
  model of the language gives the real line the higher pseudo-log-likelihood (each token masked in
  turn, the log-probability of the true token given all the others, summed).
- **Loss as the context grows**: a held-out token is masked, and so is every token farther than `r`
  positions from it; the loss of the masked token as `r` grows from 0 (no context: only its
  position) to the whole row. A model that uses context gets better as it sees more of it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from bert_common import REPO_ROOT, encode_sentence, log_softmax

import tinygrad_edu as tg

CLOZE_FILE = REPO_ROOT / "data" / "cloze.tsv"
CONTEXT_RADII = (0, 1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 64)


def read_cloze(path: str | Path = CLOZE_FILE) -> list[tuple[str, list[str]]]:
    """(sentence, acceptable answers) pairs from a tab-separated file; '#' lines are comments."""
    path = Path(path)
    items = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        sentence, sep, answers = line.partition("\t")
        if not sep or sentence.count("[MASK]") != 1 or not answers.strip():
            raise ValueError(f"{path}:{number}: expected 'sentence with one [MASK]<TAB>answer|answer'")
        items.append((sentence.strip(), [a.strip() for a in answers.split("|") if a.strip()]))
    if not items:
        raise ValueError(f"{path}: no cloze items")
    return items


def mask_log_probs(model, tokenizer, texts: list[str]) -> np.ndarray:
    """(len(texts), vocab) log-probabilities at the one [MASK] of each text."""
    rows = [encode_sentence(tokenizer, text, model.config.max_position_embeddings) for text in texts]
    length = max(len(row) for row in rows)
    ids = np.full((len(rows), length), tokenizer.pad_token_id, dtype=np.int64)
    for i, row in enumerate(rows):
        ids[i, : len(row)] = row
    positions = np.argmax(ids == tokenizer.mask_token_id, axis=1)
    with tg.no_grad():
        logits = model(tg.Tensor(ids), attention_mask=tg.Tensor((ids != tokenizer.pad_token_id) * 1)).logits
    return log_softmax(logits.numpy()[np.arange(len(rows)), positions].astype(np.float64))


def cloze_accuracy(model, tokenizer, items, unigram: np.ndarray | None = None) -> dict:
    """Top-1 and top-5 accuracy on the cloze items (an item counts if any acceptable answer is there);
    with `unigram` log-probabilities, the same for the baseline that ignores the sentence."""
    log_probs = mask_log_probs(model, tokenizer, [sentence for sentence, _ in items])
    answer_ids = [{tokenizer.token_to_id.get(a, -1) for a in answers} - {-1} for _, answers in items]
    top5 = np.argsort(-log_probs, axis=1)[:, :5]
    result = {
        "items": len(items),
        "top1": float(np.mean([top[0] in ids for top, ids in zip(top5, answer_ids, strict=True)])),
        "top5": float(np.mean([bool(set(top) & ids) for top, ids in zip(top5, answer_ids, strict=True)])),
        "guesses": [tokenizer.convert_ids_to_tokens(top) for top in top5],
    }
    if unigram is not None:
        best = set(np.argsort(-unigram)[:5].tolist())
        first = int(np.argmax(unigram))
        result["unigram_top1"] = float(np.mean([first in ids for ids in answer_ids]))
        result["unigram_top5"] = float(np.mean([bool(best & ids) for ids in answer_ids]))
    return result


def token_log_probs(model, tokenizer, ids: np.ndarray) -> tuple[list[int], np.ndarray]:
    """(positions, log p(token | all the others)) for each ordinary token of one row of ids, each masked
    in turn; all the masked copies go through the model as one batch (row i has token i masked)."""
    positions = [i for i, token_id in enumerate(ids) if token_id not in tokenizer.special_token_ids]
    if not positions:
        raise ValueError("the sentence holds no ordinary tokens to score")
    batch = np.repeat(ids[None, :], len(positions), axis=0)  # (tokens, T)
    batch[np.arange(len(positions)), positions] = tokenizer.mask_token_id
    with tg.no_grad():
        logits = model(tg.Tensor(batch)).logits.numpy()[np.arange(len(positions)), positions]
    return positions, log_softmax(logits.astype(np.float64))[np.arange(len(positions)), ids[positions]]


def pseudo_log_likelihood(model, tokenizer, ids: np.ndarray) -> float:
    """Sum over the ordinary tokens of log p(token | all the others) (Salazar et al. 2020)."""
    return float(token_log_probs(model, tokenizer, ids)[1].sum())


def real_vs_shuffled(
    model, tokenizer, speeches: list[str], sentences: int = 100, shuffles: int = 5, seed: int = 0
) -> dict:
    """How often a real held-out line has a higher pseudo-log-likelihood than a shuffle of its tokens.

    The lines are the first `sentences` held-out speeches of 6 to 24 tokens; each is compared with
    `shuffles` random orders of the same tokens ([CLS] and [SEP] stay in place)."""
    rng = np.random.default_rng(seed)
    wins, pairs, used = 0, 0, 0
    for speech in speeches:
        ids = np.array(tokenizer.encode(speech).input_ids, dtype=np.int64)
        if not 6 <= len(ids) - 2 <= 24 or ids.size > model.config.max_position_embeddings:
            continue
        real = pseudo_log_likelihood(model, tokenizer, ids)
        for _ in range(shuffles):
            shuffled = ids.copy()
            shuffled[1:-1] = rng.permutation(ids[1:-1])
            if np.array_equal(shuffled, ids):
                continue
            wins += real > pseudo_log_likelihood(model, tokenizer, shuffled)
            pairs += 1
        used += 1
        if used == sentences:
            break
    if pairs == 0:
        raise ValueError("no held-out line of 6 to 24 tokens to shuffle")
    return {"sentences": used, "pairs": pairs, "real_preferred": wins / pairs}


def hide_beyond(
    original: np.ndarray, targets: np.ndarray, radius: int, mask_id: int, special_ids
) -> np.ndarray:
    """Row i of `original` (N, T) with its target position `targets[i]` masked, and every ordinary token
    farther than `radius` positions from it masked too ([CLS], [SEP] and [PAD] stay)."""
    distance = np.abs(np.arange(original.shape[1])[None, :] - targets[:, None])  # (N, T)
    hidden = ((distance > radius) | (distance == 0)) & ~np.isin(original, list(special_ids))
    return np.where(hidden, mask_id, original)


def loss_by_context(
    model, tokenizer, batch: dict[str, np.ndarray], radii=CONTEXT_RADII, max_targets: int = 600, seed: int = 0
) -> dict[int, float]:
    """Mean loss of held-out masked tokens when only the tokens within `r` positions stay visible.

    `batch` is held-out rows (`heldout_batches`); up to `max_targets` of their masked tokens are scored
    one at a time: that token and every ordinary token farther than `r` away become [MASK]."""
    rows, cols = np.nonzero(batch["labels"] >= 0)
    pick = np.random.default_rng(seed).permutation(len(rows))[:max_targets]
    rows, cols = rows[pick], cols[pick]
    # the rows as they were before masking (labels hold the true ids of the held-out masked tokens)
    original = np.where(batch["labels"] >= 0, batch["labels"], batch["input_ids"])[rows]  # (N, T)
    answers = original[np.arange(len(rows)), cols]
    result = {}
    for radius in radii:
        ids = hide_beyond(original, cols, radius, tokenizer.mask_token_id, tokenizer.special_token_ids)
        losses = []
        for start in range(0, len(ids), 64):
            chunk, where = ids[start : start + 64], cols[start : start + 64]
            with tg.no_grad():
                logits = model(
                    tg.Tensor(chunk), attention_mask=tg.Tensor((chunk != tokenizer.pad_token_id) * 1)
                ).logits.numpy()
            at = log_softmax(logits[np.arange(len(chunk)), where].astype(np.float64))
            losses.append(-at[np.arange(len(chunk)), answers[start : start + 64]])
        result[radius] = float(np.concatenate(losses).mean())
    return result


if __name__ == "__main__":  # shared code: --help describes it
    import training_common

    training_common.run_main(lambda: training_common.module_help(__doc__))
