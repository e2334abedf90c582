"""BERT's basic pre-tokenisation: clean the text, lower-case it, strip accents, split into words.

WordPiece never sees raw text. BERT first cuts text into "words" with the simple rules below, and only
then splits each word into sub-word pieces. These rules follow the original BERT `BasicTokenizer`
(and the `BertNormalizer` + `BertPreTokenizer` of Hugging Face `tokenizers`), so a vocabulary we train
gives the same tokens in `transformers.BertTokenizer`:

1. drop NUL, U+FFFD and control characters; turn every kind of whitespace into a plain space;
2. put spaces around CJK ideographs, so each becomes a word of its own (Chinese has no spaces);
3. lower-case, then strip accents: decompose with NFD ("é" -> "e" + U+0301) and drop the combining
   marks (category Mn);
4. split on whitespace, and make every punctuation character a word of its own.
"""

from __future__ import annotations

import unicodedata

# CJK Unified Ideographs blocks, as listed in BERT's tokenizer. Hangul and Japanese kana are not in
# them: those scripts use spaces, so they are split like any other letters.
CJK_RANGES = (
    (0x4E00, 0x9FFF),
    (0x3400, 0x4DBF),
    (0x20000, 0x2A6DF),
    (0x2A700, 0x2B73F),
    (0x2B740, 0x2B81F),
    (0x2B820, 0x2CEAF),
    (0xF900, 0xFAFF),
    (0x2F800, 0x2FA1F),
)


def is_whitespace(char: str) -> bool:
    # Tab, newline and carriage return are control characters to Unicode, but BERT counts them as spaces.
    return char in " \t\n\r" or unicodedata.category(char) == "Zs"


def is_control(char: str) -> bool:
    if char in "\t\n\r":
        return False
    return unicodedata.category(char).startswith("C")


def is_punctuation(char: str) -> bool:
    """BERT's punctuation: every non-letter, non-digit printable ASCII character, and Unicode P*.

    ASCII "$", "+", "<", "^", "`" and "|" are symbols (S*) to Unicode, but BERT splits them off too.
    """
    code = ord(char)
    if 33 <= code <= 47 or 58 <= code <= 64 or 91 <= code <= 96 or 123 <= code <= 126:
        return True
    return unicodedata.category(char).startswith("P")


def is_cjk(char: str) -> bool:
    code = ord(char)
    return any(low <= code <= high for low, high in CJK_RANGES)


def clean_text(text: str) -> str:
    """Steps 1 and 2: remove invalid and control characters, normalise whitespace, space out CJK."""
    pieces = []
    for char in text:
        if char == "\0" or char == "\ufffd" or is_control(char):
            continue
        if is_whitespace(char):
            pieces.append(" ")
        elif is_cjk(char):
            pieces.append(f" {char} ")
        else:
            pieces.append(char)
    return "".join(pieces)


def strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(char for char in decomposed if unicodedata.category(char) != "Mn")


def split_on_punctuation(word: str) -> list[str]:
    """ "don't!" -> ["don", "'", "t", "!"]: each punctuation character stands alone."""
    pieces: list[str] = []
    current = ""
    for char in word:
        if is_punctuation(char):
            if current:
                pieces.append(current)
                current = ""
            pieces.append(char)
        else:
            current += char
    if current:
        pieces.append(current)
    return pieces


def bert_pretokenize(text: str, lowercase: bool = True) -> list[str]:
    """Split `text` into BERT's words: `"Héllo, World!"` -> `["hello", ",", "world", "!"]`."""
    text = clean_text(text)
    if lowercase:
        # Accents are stripped only with lower-casing, as in uncased BERT.
        text = strip_accents(text.lower())
    words: list[str] = []
    for chunk in text.split(" "):
        if chunk:
            words.extend(split_on_punctuation(chunk))
    return words
