"""Masked-language-model data: speeches packed into fixed-length sequences, and BERT's masking.

    speeches --tokenize--> ids --pack_sequences--> [CLS] t1 t2 ... t62 [SEP]    (seq_len = 64)
             --MLMCollator--> input_ids  [CLS] t1 [MASK] t3 ... t62 [SEP]
                               labels    -100  -100  t2  -100 ... -100 -100

BERT's masking rule (Devlin et al. 2018, section 3.1): choose 15% of the real tokens (never [CLS],
[SEP], [PAD] or another special token). Of the chosen ones, replace 80% with [MASK], 10% with a
random token and leave 10% unchanged. The loss is computed only at the chosen positions: `labels`
holds the original token there and -100 (ignored by cross entropy) everywhere else. The random and
unchanged cases keep the model from learning that "only [MASK] positions matter": it must build a
good representation of every token, since any of them might be asked about.

Each token is chosen independently with probability 15%, as in Hugging Face's
`DataCollatorForLanguageModeling`, so a sequence holds 15% of its tokens chosen *on average*. The
random replacement is drawn from the ordinary (non-special) tokens only: HF draws from the whole
vocabulary, which now and then puts a [PAD] or [CLS] into the middle of a sentence.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from tinygrad_edu.nn.functional import IGNORE_INDEX  # the labels of positions not to predict


def pack_sequences(
    token_ids: Iterable[Sequence[int]],
    seq_len: int,
    cls_token_id: int,
    sep_token_id: int,
    pad_token_id: int = 0,
    keep_last: bool = False,
) -> np.ndarray:
    """Concatenate tokenised speeches and cut the stream into rows `[CLS] ... [SEP]` of `seq_len`.

    Speeches are joined with a [SEP] between them, so a row may hold the end of one speech and the
    start of the next, as BERT's pre-training data did. Packing wastes no compute on padding; a row
    never holds fewer than `seq_len - 2` real tokens except the last one, which is dropped, or with
    `keep_last=True` padded with [PAD] (use that for held-out text so that nothing is lost).
    Returns an int64 array of shape (rows, seq_len).
    """
    if not isinstance(seq_len, int) or seq_len < 3:
        raise ValueError(
            f"pack_sequences: seq_len must be an int >= 3 ([CLS], a token, [SEP]), got {seq_len!r}"
        )
    stream: list[int] = []
    for ids in token_ids:
        if not ids:
            continue
        if stream:
            stream.append(sep_token_id)
        stream.extend(ids)
    body = seq_len - 2
    full_rows = len(stream) // body
    rows = full_rows + (1 if keep_last and len(stream) % body else 0)
    packed = np.full((rows, seq_len), pad_token_id, dtype=np.int64)
    for row in range(rows):
        chunk = stream[row * body : (row + 1) * body]
        packed[row, 0] = cls_token_id
        packed[row, 1 : 1 + len(chunk)] = chunk
        packed[row, 1 + len(chunk)] = sep_token_id
    return packed


class MLMCollator:
    """Turn a batch of token-id lists into BERT's masked-LM inputs, with its own seeded generator.

        collator = MLMCollator.from_tokenizer(tokenizer, seed=0)
        batch = collator([[2, 51, 77, 3], [2, 9, 3]])      # lists of ids, or a 2-D int array
        batch["input_ids"], batch["attention_mask"], batch["token_type_ids"], batch["labels"]
        # each an int64 array of shape (2, 4); the short row is padded with [PAD] (mask 0)

    Rows shorter than the longest (or than `max_length`, when given) are padded on the right; rows
    longer than `max_length` raise a ValueError. The generator's state can be saved and restored
    (`get_state` / `set_state`) so that a resumed training run masks exactly as an uninterrupted one.
    """

    def __init__(
        self,
        vocab_size: int,
        mask_token_id: int,
        special_token_ids: Iterable[int],
        pad_token_id: int = 0,
        mlm_probability: float = 0.15,
        mask_fraction: float = 0.8,
        random_fraction: float = 0.1,
        seed: int | None = 0,
    ) -> None:
        if not 0.0 < mlm_probability <= 1.0:
            raise ValueError(f"MLMCollator: mlm_probability must lie in (0, 1], got {mlm_probability}")
        if mask_fraction < 0 or random_fraction < 0 or mask_fraction + random_fraction > 1:
            raise ValueError(
                "MLMCollator: mask_fraction and random_fraction must be >= 0 and sum to at most 1, "
                f"got {mask_fraction} and {random_fraction}"
            )
        self.vocab_size = int(vocab_size)
        self.mask_token_id = int(mask_token_id)
        self.pad_token_id = int(pad_token_id)
        self.special_token_ids = np.array(sorted({int(i) for i in special_token_ids} | {self.pad_token_id}))
        # the tokens a "random replacement" may be: everything but the special tokens
        self.ordinary_token_ids = np.setdiff1d(np.arange(self.vocab_size), self.special_token_ids)
        if self.ordinary_token_ids.size == 0:
            raise ValueError("MLMCollator: the vocabulary holds only special tokens")
        self.mlm_probability = mlm_probability
        self.mask_fraction = mask_fraction
        self.random_fraction = random_fraction
        self.rng = np.random.default_rng(seed)

    @classmethod
    def from_tokenizer(cls, tokenizer, **kwargs) -> MLMCollator:
        """Build a collator from a `WordPieceTokenizer` (its vocabulary size and special ids)."""
        return cls(
            vocab_size=tokenizer.vocab_size,
            mask_token_id=tokenizer.mask_token_id,
            special_token_ids=tokenizer.special_token_ids,
            pad_token_id=tokenizer.pad_token_id,
            **kwargs,
        )

    def get_state(self) -> dict:
        return self.rng.bit_generator.state

    def set_state(self, state: dict) -> None:
        self.rng.bit_generator.state = state

    def pad(
        self, sequences: Sequence[Sequence[int]] | np.ndarray, max_length: int | None = None
    ) -> np.ndarray:
        """Lists of ids -> an int64 (B, T) array padded with [PAD] to the longest row or `max_length`."""
        if isinstance(sequences, np.ndarray):
            if sequences.ndim != 2:
                raise ValueError(
                    f"MLMCollator: expected a (batch, length) array, got shape {sequences.shape}"
                )
            sequences = sequences.tolist()
        if len(sequences) == 0:
            raise ValueError("MLMCollator: the batch is empty")
        longest = max(len(row) for row in sequences)
        length = longest if max_length is None else max_length
        if longest > length:
            raise ValueError(
                f"MLMCollator: a sequence of {longest} tokens is longer than max_length={length}"
            )
        input_ids = np.full((len(sequences), length), self.pad_token_id, dtype=np.int64)
        for row, ids in enumerate(sequences):
            input_ids[row, : len(ids)] = ids
        if input_ids.size and (input_ids.min() < 0 or input_ids.max() >= self.vocab_size):
            raise ValueError(
                f"MLMCollator: token ids must lie in [0, {self.vocab_size}), got {input_ids.min()}..{input_ids.max()}"
            )
        return input_ids

    def mask_tokens(self, input_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """BERT's 15% / 80-10-10 rule on a padded (B, T) array. Returns (masked input_ids, labels)."""
        rng = self.rng
        maskable = ~np.isin(input_ids, self.special_token_ids)  # real, non-special tokens
        chosen = (rng.random(input_ids.shape) < self.mlm_probability) & maskable
        labels = np.where(chosen, input_ids, IGNORE_INDEX)

        # One uniform draw per chosen token splits it three ways: [0, 0.8) -> [MASK],
        # [0.8, 0.9) -> random token, [0.9, 1) -> unchanged.
        split = rng.random(input_ids.shape)
        to_mask = chosen & (split < self.mask_fraction)
        to_random = (
            chosen & (split >= self.mask_fraction) & (split < self.mask_fraction + self.random_fraction)
        )
        masked = input_ids.copy()
        masked[to_mask] = self.mask_token_id
        random_tokens = self.ordinary_token_ids[
            rng.integers(0, self.ordinary_token_ids.size, input_ids.shape)
        ]
        masked[to_random] = random_tokens[to_random]
        return masked, labels

    def __call__(
        self, sequences: Sequence[Sequence[int]] | np.ndarray, max_length: int | None = None
    ) -> dict[str, np.ndarray]:
        input_ids = self.pad(sequences, max_length)
        attention_mask = (input_ids != self.pad_token_id).astype(np.int64)
        masked, labels = self.mask_tokens(input_ids)
        return {
            "input_ids": masked,
            "attention_mask": attention_mask,
            "token_type_ids": np.zeros_like(input_ids),
            "labels": labels,
        }


def unigram_log_probs(
    token_rows: np.ndarray, vocab_size: int, special_token_ids: Iterable[int]
) -> np.ndarray:
    """Log-probabilities of the unigram baseline: every masked token is predicted by its frequency
    in `token_rows` (the training split), ignoring context. Special tokens get no mass; add-one
    smoothing gives every ordinary token some, so an unseen held-out token has a finite loss."""
    counts = np.bincount(np.asarray(token_rows).ravel(), minlength=vocab_size).astype(np.float64)
    counts += 1.0
    counts[list(special_token_ids)] = 0.0
    with np.errstate(divide="ignore"):  # log(0) = -inf for the special tokens, on purpose
        return np.log(counts / counts.sum())
