"""Data: the Shakespeare corpus and the tokenizers (WordPiece for BERT, byte-level BPE)."""

from tinygrad_edu.data.bpe import BPETokenizer
from tinygrad_edu.data.corpus import HELDOUT_FRACTION, load_corpus, split_corpus
from tinygrad_edu.data.wordpiece import Encoding, WordPieceTokenizer

__all__ = [
    "BPETokenizer",
    "Encoding",
    "HELDOUT_FRACTION",
    "WordPieceTokenizer",
    "load_corpus",
    "split_corpus",
]
