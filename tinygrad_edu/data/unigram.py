"""A Unigram language-model tokenizer (the model of SentencePiece, Kudo 2018), trained, applied and saved.

The model: a vocabulary of pieces, each with a probability p(piece); a segmentation x1 x2 ... xn of a
word has probability p(x1) p(x2) ... p(xn), and a word is encoded by its most probable segmentation.
Words are the whitespace-separated parts of the text, each with "▁" (U+2581) in front, so that pieces
carry where words begin and `decode` restores the spaces: `decode(encode(t)) == " ".join(t.split())`
whenever every character of `t` was seen in training (an unseen character becomes `<unk>`, id 0).

Training, from a large seed vocabulary down to `vocab_size`:
1. seed: every character, plus the most frequent substrings of the words (frequency times length);
2. EM: the E-step runs the forward-backward algorithm on each word's lattice (every way of cutting it
   into pieces) to get each piece's expected count; the M-step sets p(piece) = count / total count;
3. prune: for each piece, the loss of likelihood if it were removed (its count times how much worse the
   best segmentation of the piece from the other pieces scores); keep the best `shrink` share of the
   pieces (characters always stay), then EM again, until `vocab_size` pieces are left.

Encoding finds the best segmentation by Viterbi (dynamic programming over the lattice). With
`enable_sampling=True` it draws a segmentation instead, with probability proportional to
p(segmentation)^alpha (subword regularisation: the same word cut differently from one epoch to the
next); the draw is forward filtering, then sampling backwards through the lattice.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from tinygrad_edu.files import atomic_write

FILE_FORMAT = "tinygrad_edu unigram"
FILE_VERSION = 1
WORD_START = "\u2581"  # "▁", SentencePiece's mark of a word start
UNK = "<unk>"
UNK_TEXT = "\u2047"  # what <unk> decodes to ("⁇")
UNK_PENALTY = 10.0  # an unseen character scores this far below the rarest piece


def split_words(text: str) -> list[str]:
    """The text's words, each with the word-start mark: "to be" -> ["▁to", "▁be"]."""
    return [WORD_START + word for word in text.split()]


def _logsumexp(values: list[float]) -> float:
    top = max(values)
    return top + math.log(sum(math.exp(v - top) for v in values)) if top > -math.inf else -math.inf


class UnigramTokenizer:
    def __init__(self, pieces: dict[str, float], max_piece_length: int | None = None):
        """`pieces`: piece -> log probability. Ids: 0 is `<unk>`, then the pieces, most probable first."""
        if not pieces:
            raise ValueError("UnigramTokenizer: the vocabulary is empty")
        self.scores = dict(pieces)
        self.vocab = [UNK, *sorted(self.scores, key=lambda piece: (-self.scores[piece], piece))]
        self.piece_to_id = {piece: index for index, piece in enumerate(self.vocab)}
        self.max_piece_length = max_piece_length or max(len(piece) for piece in self.scores)
        self.unk_score = min(self.scores.values()) - UNK_PENALTY
        self._cache: dict[str, list[str]] = {}

    @property
    def vocab_size(self) -> int:
        return len(self.vocab)

    def __len__(self) -> int:
        return self.vocab_size

    def __repr__(self) -> str:
        return f"UnigramTokenizer(vocab_size={self.vocab_size})"

    # ---- the lattice of a word ----

    def _edges(self, word: str, end: int, exclude: str = "") -> list[tuple[int, float]]:
        """(start, log p) of every piece (but `exclude`) that ends at `end`; an unseen character is a
        one-letter <unk>."""
        edges = []
        for start in range(max(0, end - self.max_piece_length), end):
            piece = word[start:end]
            score = self.scores.get(piece)
            if score is not None and piece != exclude:
                edges.append((start, score))
        if word[end - 1] not in self.scores:
            edges.append((end - 1, self.unk_score))
        return edges

    def viterbi(self, word: str, exclude: str = "") -> list[str]:
        """The most probable segmentation of one word (with its "▁"), without the piece `exclude`."""
        best = [0.0] + [-math.inf] * len(word)
        back = [0] * (len(word) + 1)
        for end in range(1, len(word) + 1):
            for start, score in self._edges(word, end, exclude):
                if best[start] + score > best[end]:
                    best[end], back[end] = best[start] + score, start
        pieces, end = [], len(word)
        while end > 0:
            pieces.append(word[back[end] : end])
            end = back[end]
        return pieces[::-1]

    def _forward(self, word: str, alpha: float = 1.0) -> list[float]:
        """log of the summed probability (each raised to `alpha`) of all segmentations of word[:i]."""
        forward = [0.0] + [-math.inf] * len(word)
        for end in range(1, len(word) + 1):
            forward[end] = _logsumexp([forward[s] + alpha * score for s, score in self._edges(word, end)])
        return forward

    def expected_counts(self, word: str) -> tuple[dict[str, float], float]:
        """E-step for one word: each piece's expected count under p(segmentation | word), and log p(word).

        Forward-backward in probability space (a word's segmentations have a handful of pieces, so
        their products stay far from float64's underflow): forward[i] sums p over the ways to cut
        word[:i], backward[i] over the ways to cut word[i:]; a piece from j to i is used with probability
        forward[j] p(piece) backward[i] / forward[n]."""
        length = len(word)
        edges = [[]] + [
            [(start, math.exp(score)) for start, score in self._edges(word, end)]
            for end in range(1, length + 1)
        ]
        forward = [1.0] + [0.0] * length
        for end in range(1, length + 1):
            forward[end] = sum(forward[start] * prob for start, prob in edges[end])
        backward = [0.0] * length + [1.0]
        for end in range(length, 0, -1):
            for start, prob in edges[end]:
                backward[start] += prob * backward[end]
        counts: dict[str, float] = {}
        for end in range(1, length + 1):
            for start, prob in edges[end]:
                piece = word[start:end]
                if piece in self.scores:
                    counts[piece] = (
                        counts.get(piece, 0.0) + forward[start] * prob * backward[end] / forward[-1]
                    )
        return counts, math.log(forward[-1])

    def sample(self, word: str, alpha: float, rng: np.random.Generator) -> list[str]:
        """One segmentation drawn with probability proportional to p(segmentation)^alpha."""
        forward = self._forward(word, alpha)
        pieces, end = [], len(word)
        while end > 0:
            edges = self._edges(word, end)
            logits = np.array([forward[start] + alpha * score for start, score in edges])
            weights = np.exp(logits - logits.max())
            start = edges[rng.choice(len(edges), p=weights / weights.sum())][0]
            pieces.append(word[start:end])
            end = start
        return pieces[::-1]

    # ---- training ----

    @classmethod
    def train(
        cls,
        texts: Iterable[str],
        vocab_size: int = 1000,
        max_piece_length: int = 12,
        seed_size: int | None = None,
        shrink: float = 0.75,
        em_iterations: int = 2,
    ) -> UnigramTokenizer:
        """Learn `vocab_size` ids (<unk> and the pieces) from `texts`; see the module's doc."""
        if isinstance(texts, str):
            raise TypeError("UnigramTokenizer.train: texts must be a list of strings, not one string")
        words: Counter[str] = Counter()
        for text in texts:
            words.update(split_words(text))
        characters = {char for word in words for char in word}
        if not isinstance(vocab_size, int) or vocab_size < len(characters) + 1:
            raise ValueError(
                f"UnigramTokenizer.train: vocab_size must be an int >= {len(characters) + 1} "
                f"(<unk> and the {len(characters)} characters of the texts), got {vocab_size!r}"
            )
        substrings: Counter[str] = Counter()
        for word, count in words.items():
            for start in range(len(word)):
                for end in range(start + 2, min(len(word), start + max_piece_length) + 1):
                    substrings[word[start:end]] += count
        seed_size = seed_size or 4 * vocab_size
        seed = sorted(substrings, key=lambda s: (-substrings[s] * len(s), s))[:seed_size]
        frequency = {**{c: float(sum(n for w, n in words.items() if c in w)) for c in characters}}
        frequency.update({piece: float(substrings[piece]) for piece in seed})
        total = sum(frequency.values())
        model = cls({piece: math.log(count / total) for piece, count in frequency.items()}, max_piece_length)
        while True:
            for _ in range(em_iterations):
                model = model._em_step(words, characters)
            if len(model.scores) <= vocab_size - 1:
                return model
            keep = max(vocab_size - 1, int(len(model.scores) * shrink))
            model = model._prune(words, characters, keep)

    def _em_step(self, words: Counter[str], characters: set[str]) -> UnigramTokenizer:
        """One E-step over all words (weighted by their counts), then the M-step."""
        totals: Counter[str] = Counter()
        for word, count in words.items():
            counts, _ = self.expected_counts(word)
            for piece, expected in counts.items():
                totals[piece] += count * expected
        kept = {p: n for p, n in totals.items() if n >= 0.5 or p in characters}
        kept.update({c: max(kept.get(c, 0.0), 1e-3) for c in characters})  # every word stays spellable
        norm = sum(kept.values())
        return type(self)({p: math.log(n / norm) for p, n in kept.items()}, self.max_piece_length)

    def _prune(self, words: Counter[str], characters: set[str], keep: int) -> UnigramTokenizer:
        """Keep the `keep` pieces whose removal would cost the most likelihood (and every character)."""
        used: Counter[str] = Counter()
        for word, count in words.items():
            used.update({piece: count * n for piece, n in Counter(self.viterbi(word)).items()})
        loss: dict[str, float] = {}
        for piece, score in self.scores.items():
            if piece in characters:
                continue
            alternative = sum(self.scores.get(p, self.unk_score) for p in self.viterbi(piece, exclude=piece))
            loss[piece] = used[piece] * (score - alternative)
        ranked = sorted(loss, key=lambda p: (-loss[p], p))[: max(0, keep - len(characters))]
        return type(self)({p: self.scores[p] for p in [*ranked, *characters]}, self.max_piece_length)

    # ---- using it ----

    def tokenize(self, text: str, enable_sampling: bool = False, alpha: float = 0.1, rng=None) -> list[str]:
        """The pieces of `text`: the best segmentation of each word, or a sampled one."""
        if not isinstance(text, str):
            raise TypeError(f"UnigramTokenizer.tokenize: expected a str, got {type(text).__name__}")
        if enable_sampling:
            rng = rng if rng is not None else np.random.default_rng()
            return [piece for word in split_words(text) for piece in self.sample(word, alpha, rng)]
        pieces: list[str] = []
        for word in split_words(text):
            if word not in self._cache:
                if len(self._cache) >= 100_000:  # bounded: a cache must not grow without end
                    self._cache.clear()
                self._cache[word] = self.viterbi(word)
            pieces.extend(self._cache[word])
        return pieces

    def encode(self, text: str, enable_sampling: bool = False, alpha: float = 0.1, rng=None) -> list[int]:
        return [self.piece_to_id.get(p, 0) for p in self.tokenize(text, enable_sampling, alpha, rng)]

    def decode(self, ids: Iterable[int]) -> str:
        parts = []
        for token_id in ids:
            token_id = int(token_id)
            if not 0 <= token_id < self.vocab_size:
                raise ValueError(
                    f"UnigramTokenizer.decode: token id {token_id} is outside [0, {self.vocab_size})"
                )
            parts.append(UNK_TEXT if token_id == 0 else self.vocab[token_id])
        text = "".join(parts).replace(WORD_START, " ")
        return text[1:] if text.startswith(" ") else text

    def save(self, path: str | Path) -> Path:
        """Write the pieces and their log probabilities as JSON, atomically."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        payload = {
            "format": FILE_FORMAT,
            "version": FILE_VERSION,
            "max_piece_length": self.max_piece_length,
            "pieces": [[piece, self.scores[piece]] for piece in self.vocab[1:]],
        }
        with atomic_write(path, "w", encoding="utf-8") as file:
            json.dump(payload, file, ensure_ascii=False)
        return path

    @classmethod
    def load(cls, path: str | Path) -> UnigramTokenizer:
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"UnigramTokenizer.load: no tokenizer file at {str(path)!r}")
        try:
            payload = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as error:
            raise ValueError(f"UnigramTokenizer.load: {str(path)!r} is not valid JSON ({error})") from None
        if not isinstance(payload, dict) or payload.get("format") != FILE_FORMAT:
            raise ValueError(f"UnigramTokenizer.load: {str(path)!r} is not a {FILE_FORMAT} file")
        return cls({piece: float(score) for piece, score in payload["pieces"]}, payload["max_piece_length"])

    from_file = load
