"""Byte-level BPE: the tokenizer family of GPT-2, trained, applied and saved in one small class.

Text is first turned into UTF-8 bytes, so the 256 byte values are the starting vocabulary and *any*
string can be encoded: there is no unknown token, and `decode(encode(s)) == s` always holds.
Training then merges the most frequent adjacent pair of symbols into a new symbol, again and again
(the loop lives in `merges.py`, shared with WordPiece), until the vocabulary has `vocab_size` ids.

Before counting pairs, text is cut into chunks so that merges never cross a word boundary
("dog." never becomes one token with its full stop). Like GPT-2, but without its regex, a chunk is
an optional single leading space plus a run of letters, or of digits, or of other symbols; runs of
whitespace are chunks of their own. Chunks concatenate back to the text exactly.

Encoding a chunk replays the merges in the order they were learned: at each step, merge the adjacent
pair that was learned earliest, until no learned pair is left.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from tinygrad_edu.data.merges import Pair, iterate_merges, merge_pair
from tinygrad_edu.files import atomic_write, read_text

FILE_FORMAT = "tinygrad_edu byte-level BPE"
FILE_VERSION = 1


def character_class(char: str) -> str:
    if char.isalpha():
        return "letter"
    if char.isdigit():
        return "digit"
    if char.isspace():
        return "space"
    return "other"


def split_into_chunks(text: str) -> list[str]:
    """`"Hello, world!  Hi"` -> `["Hello", ",", " world", "!", " ", " Hi"]`.

    A single space before a word stays with it (" world"), so common words with their space become
    one token. In a run of several spaces, the last one goes to the next word.
    """
    chunks: list[str] = []
    position = 0
    while position < len(text):
        start = position
        if text[position] == " " and position + 1 < len(text) and not text[position + 1].isspace():
            position += 1  # the leading space joins the chunk that follows
        kind = character_class(text[position])
        while position < len(text) and character_class(text[position]) == kind:
            # A whitespace run stops before its last space when a non-space follows that space.
            if kind == "space" and text[position] == " " and position > start:
                if position + 1 < len(text) and not text[position + 1].isspace():
                    break
            position += 1
        chunks.append(text[start:position])
    return chunks


class BPETokenizer:
    def __init__(self, merges: list[Pair] | None = None):
        merges = [tuple(pair) for pair in (merges or [])]
        # merges[k] builds symbol 256 + k from two earlier symbols.
        for rank, (first, second) in enumerate(merges):
            if not (0 <= first < 256 + rank and 0 <= second < 256 + rank):
                raise ValueError(
                    f"BPETokenizer: merge {rank} = {(first, second)} names a symbol not yet built"
                )
        self.merges: list[Pair] = merges
        self.merge_rank: dict[Pair, int] = {pair: rank for rank, pair in enumerate(merges)}
        # The bytes each id stands for: 0..255 are themselves, each merge is its two parts joined.
        self.token_bytes: list[bytes] = [bytes([value]) for value in range(256)]
        for first, second in merges:
            self.token_bytes.append(self.token_bytes[first] + self.token_bytes[second])
        self._chunk_cache: dict[str, list[int]] = {}

    @property
    def vocab_size(self) -> int:
        return 256 + len(self.merges)

    def __len__(self) -> int:
        return self.vocab_size

    def __repr__(self) -> str:
        return f"BPETokenizer(vocab_size={self.vocab_size})"

    @classmethod
    def train(cls, texts: Iterable[str], vocab_size: int = 1000) -> BPETokenizer:
        """Learn `vocab_size - 256` merges from `texts` (fewer if the texts run out of pairs)."""
        if isinstance(texts, str):
            raise TypeError("BPETokenizer.train: texts must be a list of strings, not one string")
        if not isinstance(vocab_size, int) or vocab_size < 256:
            raise ValueError(
                f"BPETokenizer.train: vocab_size must be an int >= 256 (the bytes), got {vocab_size!r}"
            )
        chunk_counts: Counter[str] = Counter()
        for text in texts:
            chunk_counts.update(split_into_chunks(text))
        unique_chunks = sorted(chunk_counts)  # a fixed order, so training is deterministic
        words = [list(chunk.encode("utf-8", errors="surrogatepass")) for chunk in unique_chunks]
        counts = [chunk_counts[chunk] for chunk in unique_chunks]
        merges: list[Pair] = []
        for pair, _new_symbol in iterate_merges(words, counts, next_symbol=256):
            if 256 + len(merges) >= vocab_size:
                break
            merges.append(pair)
        return cls(merges)

    def encode(self, text: str) -> list[int]:
        if not isinstance(text, str):
            raise TypeError(f"BPETokenizer.encode: expected a str, got {type(text).__name__}")
        ids: list[int] = []
        for chunk in split_into_chunks(text):
            cached = self._chunk_cache.get(chunk)
            if cached is None:
                cached = self._encode_chunk(chunk)
                if len(self._chunk_cache) < 100_000:  # bounded: a cache must not grow without end
                    self._chunk_cache[chunk] = cached
            ids.extend(cached)
        return ids

    def _encode_chunk(self, chunk: str) -> list[int]:
        # "surrogatepass" lets lone surrogates ("\ud800", legal in a Python str) round-trip too.
        symbols = list(chunk.encode("utf-8", errors="surrogatepass"))
        while len(symbols) > 1:
            ranked = [
                (self.merge_rank.get(pair, len(self.merges)), pair) for pair in zip(symbols, symbols[1:])
            ]
            rank, pair = min(ranked)
            if rank == len(self.merges):
                break  # no adjacent pair was ever merged in training
            symbols = merge_pair(symbols, pair, 256 + rank)
        return symbols

    def decode(self, ids: Iterable[int]) -> str:
        """Ids back to text. Ids that cut a character in half decode to U+FFFD instead of failing."""
        data = bytearray()
        for token_id in ids:
            token_id = int(token_id)
            if not 0 <= token_id < self.vocab_size:
                raise ValueError(
                    f"BPETokenizer.decode: token id {token_id} is outside [0, {self.vocab_size})"
                )
            data += self.token_bytes[token_id]
        try:
            return data.decode("utf-8", errors="surrogatepass")
        except UnicodeDecodeError:
            return data.decode("utf-8", errors="replace")

    def save(self, path: str | Path) -> Path:
        """Write the merges as JSON, atomically (a temporary file, then `os.replace`)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        payload = {
            "format": FILE_FORMAT,
            "version": FILE_VERSION,
            "merges": [list(pair) for pair in self.merges],
        }
        with atomic_write(path, "w", encoding="utf-8") as file:
            json.dump(payload, file)
        return path

    @classmethod
    def load(cls, path: str | Path) -> BPETokenizer:
        path = Path(path)
        if not path.exists():
            raise FileNotFoundError(f"BPETokenizer.load: no tokenizer file at {str(path)!r}")
        try:
            payload = json.loads(read_text(path, "tokenizer file"))
        except json.JSONDecodeError as error:
            raise ValueError(f"BPETokenizer.load: {str(path)!r} is not valid JSON ({error})") from None
        if not isinstance(payload, dict) or payload.get("format") != FILE_FORMAT:
            raise ValueError(f"BPETokenizer.load: {str(path)!r} is not a {FILE_FORMAT} file")
        merges = payload.get("merges")
        if not isinstance(merges, list) or not all(
            isinstance(pair, list) and len(pair) == 2 and all(type(v) is int for v in pair) for pair in merges
        ):
            raise ValueError(f'BPETokenizer.load: {str(path)!r} has no list of [int, int] "merges"')
        try:
            return cls([tuple(pair) for pair in merges])
        except ValueError as error:
            raise ValueError(f"BPETokenizer.load: {str(path)!r}: {error}") from None

    from_file = load  # the same name as WordPieceTokenizer's loader
