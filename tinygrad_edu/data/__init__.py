"""Data: the Shakespeare corpus and the tokenizers (WordPiece for BERT, byte-level BPE, Unigram)."""

from tinygrad_edu.data.bpe import BPETokenizer
from tinygrad_edu.data.chars import BOUNDARY, CharTokenizer, build_dataset, load_words, split_words
from tinygrad_edu.data.corpus import HELDOUT_FRACTION, load_corpus, split_corpus
from tinygrad_edu.data.mlm import IGNORE_INDEX, MLMCollator, pack_sequences, unigram_log_probs
from tinygrad_edu.data.play_kinds import CLASSES as PLAY_KIND_CLASSES
from tinygrad_edu.data.play_kinds import load_play_kinds
from tinygrad_edu.data.unigram import UnigramTokenizer
from tinygrad_edu.data.wordpiece import Encoding, WordPieceTokenizer

__all__ = [
    "BOUNDARY",
    "CharTokenizer",
    "build_dataset",
    "load_words",
    "split_words",
    "BPETokenizer",
    "Encoding",
    "HELDOUT_FRACTION",
    "IGNORE_INDEX",
    "MLMCollator",
    "pack_sequences",
    "unigram_log_probs",
    "UnigramTokenizer",
    "WordPieceTokenizer",
    "load_corpus",
    "split_corpus",
    "PLAY_KIND_CLASSES",
    "load_play_kinds",
]
