"""WordPiece: BERT's sub-word tokenizer, with its trainer, encoder and decoder.

    text --bert_pretokenize--> words --greedy longest match--> pieces --vocab--> ids
    "Unsex me here" -> ["unsex", "me", "here"] -> ["un", "##sex", "me", "here"] -> [812, 3021, 95, 160]

A piece that continues a word carries the prefix "##", so "un" (a word start) and "##un" (inside a
word) are different tokens, and decoding knows where the spaces were. The vocabulary is a plain
`vocab.txt`, one token per line, line number = id: the file BERT and `transformers.BertTokenizer` use.

Training (`WordPieceTokenizer.train`) starts from single characters, "c" for a word's first
character and "##c" for the others, and merges the most *frequent* adjacent pair again and again,
as Hugging Face's `WordPieceTrainer` does (it runs a BPE trainer and keeps the vocabulary). The
WordPiece paper instead merges the pair with the best score freq(ab) / (freq(a) * freq(b)); that
favours rare pairs whose parts seldom occur apart. We keep the frequency rule: it shares its loop
with our BPE (`merges.py`) and gives common words whole tokens, which suits a small corpus.
Only the vocabulary is kept: encoding is greedy longest-match, not a replay of the merges.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from tinygrad_edu.data.bert_pretokenizer import bert_pretokenize
from tinygrad_edu.data.merges import iterate_merges
from tinygrad_edu.files import atomic_write, read_text

PAD, UNK, CLS, SEP, MASK = "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"
SPECIAL_TOKENS = (PAD, UNK, CLS, SEP, MASK)  # in id order: [PAD] is 0, as BERT's embeddings expect
CONTINUATION = "##"
MAX_WORD_CHARS = 100  # longer "words" (URLs, junk) become [UNK] instead of dozens of pieces
PADDING_CHOICES = (False, True, "longest", "max_length")


@dataclass
class Encoding:
    """The model inputs for one text (or one pair of texts), named as in Hugging Face.

    `token_type_ids` is 0 for the first segment and 1 for the second; `attention_mask` is 1 for real
    tokens and 0 for padding. `encoding["input_ids"]` works too, as on HF's `BatchEncoding`.
    """

    input_ids: list[int]
    token_type_ids: list[int]
    attention_mask: list[int]

    def __getitem__(self, key: str) -> list[int]:
        return getattr(self, key)

    def __len__(self) -> int:
        return len(self.input_ids)


class WordPieceTokenizer:
    def __init__(self, vocab: list[str], lowercase: bool = True):
        missing = [token for token in SPECIAL_TOKENS if token not in vocab]
        if missing:
            raise ValueError(f"WordPieceTokenizer: the vocabulary lacks the special tokens {missing}")
        if len(set(vocab)) != len(vocab):
            duplicates = sorted(token for token, count in Counter(vocab).items() if count > 1)
            raise ValueError(f"WordPieceTokenizer: duplicate tokens in the vocabulary: {duplicates[:10]}")
        self.vocab = list(vocab)
        self.token_to_id = {token: index for index, token in enumerate(self.vocab)}
        self.lowercase = lowercase
        self.pad_token_id = self.token_to_id[PAD]
        self.unk_token_id = self.token_to_id[UNK]
        self.cls_token_id = self.token_to_id[CLS]
        self.sep_token_id = self.token_to_id[SEP]
        self.mask_token_id = self.token_to_id[MASK]
        self.special_token_ids = {self.token_to_id[token] for token in SPECIAL_TOKENS}
        # Special tokens are cut out of the text before pre-tokenisation, which would split "[MASK]"
        # into "[", "mask", "]".
        self._special_pattern = re.compile("(" + "|".join(re.escape(token) for token in SPECIAL_TOKENS) + ")")

    @property
    def vocab_size(self) -> int:
        return len(self.vocab)

    def __len__(self) -> int:
        return len(self.vocab)

    def __repr__(self) -> str:
        return f"WordPieceTokenizer(vocab_size={self.vocab_size}, lowercase={self.lowercase})"

    # ----- training -----

    @classmethod
    def train(
        cls, texts: Iterable[str], vocab_size: int = 8000, lowercase: bool = True
    ) -> WordPieceTokenizer:
        """Learn a vocabulary of `vocab_size` tokens (special tokens included) from `texts`."""
        if isinstance(texts, str):
            raise TypeError("WordPieceTokenizer.train: texts must be a list of strings, not one string")
        word_counts: Counter[str] = Counter()
        for text in texts:
            word_counts.update(bert_pretokenize(text, lowercase=lowercase))
        if not word_counts:
            raise ValueError("WordPieceTokenizer.train: the texts hold no words to learn from")

        # The alphabet: every first character, and every later character as a "##" piece.
        alphabet = sorted(
            {word[0] for word in word_counts} | {CONTINUATION + c for w in word_counts for c in w[1:]}
        )
        minimum = len(SPECIAL_TOKENS) + len(alphabet)
        if vocab_size < minimum:
            raise ValueError(
                f"WordPieceTokenizer.train: vocab_size={vocab_size} is below the {minimum} tokens needed for "
                f"the special tokens and the {len(alphabet)} characters of these texts"
            )
        vocab = list(SPECIAL_TOKENS) + alphabet
        symbol_to_token = list(alphabet)  # merges.py works on integer symbols; this maps them back
        symbol_of = {token: index for index, token in enumerate(alphabet)}
        unique_words = sorted(word_counts)  # sorted, so symbol numbering and ties are deterministic
        words = [[symbol_of[w[0]]] + [symbol_of[CONTINUATION + c] for c in w[1:]] for w in unique_words]
        counts = [word_counts[w] for w in unique_words]

        known = set(vocab)
        for (first, second), _new_symbol in iterate_merges(words, counts, next_symbol=len(alphabet)):
            if len(vocab) >= vocab_size:
                break
            # "un" + "##sex" -> "unsex"; "##se" + "##x" -> "##sex": the second part loses its "##".
            token = symbol_to_token[first] + symbol_to_token[second].removeprefix(CONTINUATION)
            symbol_to_token.append(token)
            # Different merge paths can spell the same token ("ab"+"##c", "a"+"##bc"): keep it once.
            if token not in known:
                known.add(token)
                vocab.append(token)
        return cls(vocab, lowercase=lowercase)

    # ----- text to tokens -----

    def tokenize(self, text: str) -> list[str]:
        """Text to WordPiece tokens: `"Unsex me"` -> `["un", "##sex", "me"]`."""
        if not isinstance(text, str):
            raise TypeError(f"WordPieceTokenizer.tokenize: expected a str, got {type(text).__name__}")
        tokens: list[str] = []
        for index, segment in enumerate(self._special_pattern.split(text)):
            if index % 2 == 1:  # re.split with a group puts the matched special tokens at odd places
                tokens.append(segment)
                continue
            for word in bert_pretokenize(segment, lowercase=self.lowercase):
                tokens.extend(self.split_word(word))
        return tokens

    def split_word(self, word: str) -> list[str]:
        """Greedy longest-match-first: take the longest vocabulary piece at each position.

        If some position has no matching piece, the whole word becomes [UNK] (not just that part),
        as in BERT: a half-spelled word would mislead the model more than an honest unknown.
        """
        if len(word) > MAX_WORD_CHARS:
            return [UNK]
        pieces: list[str] = []
        start = 0
        while start < len(word):
            end = len(word)
            while end > start:
                piece = word[start:end] if start == 0 else CONTINUATION + word[start:end]
                if piece in self.token_to_id:
                    break
                end -= 1
            if end == start:
                return [UNK]
            pieces.append(piece)
            start = end
        return pieces

    def convert_tokens_to_ids(self, tokens: list[str]) -> list[int]:
        return [self.token_to_id.get(token, self.unk_token_id) for token in tokens]

    def convert_ids_to_tokens(self, ids: Iterable[int]) -> list[str]:
        return [self.vocab[self._check_id(token_id)] for token_id in ids]

    def _check_id(self, token_id: int) -> int:
        token_id = int(token_id)
        if not 0 <= token_id < len(self.vocab):
            raise ValueError(f"WordPieceTokenizer: token id {token_id} is outside [0, {len(self.vocab)})")
        return token_id

    # ----- model inputs -----

    def encode(
        self,
        text: str,
        text_pair: str | None = None,
        add_special_tokens: bool = True,
        max_length: int | None = None,
        truncation: bool = False,
        padding: bool | str = False,
    ) -> Encoding:
        """Ids, segment ids and attention mask for `text` (and `text_pair`), as BERT takes them.

        Single text: `[CLS] a [SEP]`; pair: `[CLS] a [SEP] b [SEP]` with token types 0...0 1...1.
        `truncation=True` cuts to `max_length` by dropping tokens from the end of the longer segment
        ("longest first", see `truncate_longest_first`). `padding="max_length"` pads with [PAD] up to
        `max_length`.
        """
        if padding not in PADDING_CHOICES:
            raise ValueError(f"encode: padding must be one of {PADDING_CHOICES}, got {padding!r}")
        if (truncation or padding == "max_length") and max_length is None:
            raise ValueError("encode: truncation=True and padding='max_length' need a max_length")
        if max_length is not None and (not isinstance(max_length, int) or max_length < 1):
            raise ValueError(f"encode: max_length must be a positive int, got {max_length!r}")

        first = self.convert_tokens_to_ids(self.tokenize(text))
        second = None if text_pair is None else self.convert_tokens_to_ids(self.tokenize(text_pair))
        if truncation:
            extra = (2 if second is None else 3) if add_special_tokens else 0
            if max_length < extra:
                raise ValueError(
                    f"encode: max_length={max_length} leaves no room beside {extra} special tokens"
                )
            first, second = truncate_longest_first(first, second, max_length - extra)

        if add_special_tokens:
            input_ids = [self.cls_token_id] + first + [self.sep_token_id]
            token_type_ids = [0] * len(input_ids)
            if second is not None:
                input_ids += second + [self.sep_token_id]
                token_type_ids += [1] * (len(second) + 1)
        else:
            input_ids = first + (second or [])
            token_type_ids = [0] * len(first) + [1] * len(second or [])
        encoding = Encoding(input_ids, token_type_ids, [1] * len(input_ids))
        if padding == "max_length":
            self.pad(encoding, max_length)
        return encoding

    def pad(self, encoding: Encoding, length: int) -> Encoding:
        """Pad `encoding` in place on the right up to `length` ([PAD], token type 0, mask 0)."""
        missing = max(0, length - len(encoding.input_ids))
        encoding.input_ids += [self.pad_token_id] * missing
        encoding.token_type_ids += [0] * missing
        encoding.attention_mask += [0] * missing
        return encoding

    def encode_batch(
        self,
        texts: list[str],
        text_pairs: list[str] | None = None,
        add_special_tokens: bool = True,
        max_length: int | None = None,
        truncation: bool = False,
        padding: bool | str = False,
    ) -> dict[str, list[list[int]]]:
        """Encode many texts into `{"input_ids": [[...], ...], "token_type_ids": [[...], ...], ...}`.

        `padding=True` (or "longest") pads every row to the longest one, so the lists form a matrix.
        """
        if isinstance(texts, str):
            raise TypeError("encode_batch: texts must be a list of strings; use encode() for one text")
        if text_pairs is not None and len(text_pairs) != len(texts):
            raise ValueError(f"encode_batch: {len(texts)} texts but {len(text_pairs)} text_pairs")
        row_padding = "max_length" if padding == "max_length" else False
        if padding not in PADDING_CHOICES:
            raise ValueError(f"encode_batch: padding must be one of {PADDING_CHOICES}, got {padding!r}")
        encodings = [
            self.encode(
                text,
                None if text_pairs is None else text_pairs[index],
                add_special_tokens=add_special_tokens,
                max_length=max_length,
                truncation=truncation,
                padding=row_padding,
            )
            for index, text in enumerate(texts)
        ]
        if padding in (True, "longest") and encodings:
            longest = max(len(encoding) for encoding in encodings)
            for encoding in encodings:
                self.pad(encoding, longest)
        return {
            "input_ids": [encoding.input_ids for encoding in encodings],
            "token_type_ids": [encoding.token_type_ids for encoding in encodings],
            "attention_mask": [encoding.attention_mask for encoding in encodings],
        }

    # ----- ids to text -----

    def decode(self, ids: Iterable[int], skip_special_tokens: bool = True) -> str:
        """Ids back to text: pieces glue onto the previous token, words are joined by spaces.

        Lower-casing, stripped accents and the spaces around punctuation cannot be undone, so
        `decode(encode(s))` is the normalised text (`"Hello, World"` -> `"hello , world"`).
        """
        words: list[str] = []
        for token_id in ids:
            token_id = self._check_id(token_id)
            if skip_special_tokens and token_id in self.special_token_ids:
                continue
            token = self.vocab[token_id]
            if token.startswith(CONTINUATION) and words:
                words[-1] += token.removeprefix(CONTINUATION)
            else:
                words.append(token)
        return " ".join(words)

    # ----- files -----

    def save(self, directory: str | Path) -> Path:
        """Write `directory/vocab.txt` (one token per line, line number = id); returns its path."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / "vocab.txt"
        with atomic_write(path, "w", encoding="utf-8", newline="\n") as file:
            file.write("".join(token + "\n" for token in self.vocab))
        return path

    @classmethod
    def from_file(cls, path: str | Path, lowercase: bool = True) -> WordPieceTokenizer:
        """Read a `vocab.txt`, given either its path or the directory holding it."""
        path = Path(path)
        if path.is_dir():
            path = path / "vocab.txt"
        if not path.exists():
            raise FileNotFoundError(f"WordPieceTokenizer.from_file: no vocabulary file at {str(path)!r}")
        vocab = read_text(path, "vocabulary file").split("\n")
        if vocab and vocab[-1] == "":
            vocab.pop()  # the newline that ends the last line
        vocab = [token.rstrip("\r") for token in vocab]
        if not vocab:
            raise ValueError(f"WordPieceTokenizer.from_file: the vocabulary file {str(path)!r} is empty")
        if "" in vocab:  # a blank line would silently become a token "" and shift every later id
            raise ValueError(
                f"WordPieceTokenizer.from_file: {str(path)!r} line {vocab.index('') + 1} is blank "
                "(one token per line, line number = id)"
            )
        try:
            return cls(vocab, lowercase=lowercase)
        except ValueError as error:
            raise ValueError(f"{str(path)!r}: {error}") from None


def truncate_longest_first(
    first: list[int], second: list[int] | None, budget: int
) -> tuple[list[int], list[int] | None]:
    """Cut segments from their ends so that together they hold at most `budget` tokens.

    A single segment keeps its first `budget` tokens. For a pair, the shorter segment (the first on
    ties) keeps up to half the budget, rounded down, and the longer one takes what is left, as Hugging
    Face's "longest_first" truncation does; a short question is never cut because its context is long.
    """
    if second is None:
        return first[:budget], None
    if len(first) + len(second) <= budget:
        return list(first), list(second)
    if len(first) <= len(second):
        first_keep = min(len(first), budget // 2)
        return first[:first_keep], second[: budget - first_keep]
    second_keep = min(len(second), budget // 2)
    return first[: budget - second_keep], second[:second_keep]
