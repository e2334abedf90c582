"""WordPieceTokenizer: BERT pre-tokenisation, greedy longest match, model inputs, files, HF parity."""

from pathlib import Path

import pytest

from tinygrad_edu.data import WordPieceTokenizer, load_corpus, split_corpus
from tinygrad_edu.data.bert_pretokenizer import bert_pretokenize, is_punctuation
from tinygrad_edu.data.wordpiece import SPECIAL_TOKENS

CORPUS = Path(__file__).resolve().parents[1] / "data" / "shakespeare.txt"
SPECIALS = list(SPECIAL_TOKENS)


def small_tokenizer() -> WordPieceTokenizer:
    """A hand-made vocabulary, so each expected split below can be checked by eye."""
    pieces = ["a", "b", "un", "unsex", "me", "here", "the", "##s", "##sex", "##ing", "h", "##e", "##r"]
    return WordPieceTokenizer(SPECIALS + pieces + list(",.!?'"))


@pytest.fixture(scope="module")
def corpus_split():
    return split_corpus(load_corpus(CORPUS))


@pytest.fixture(scope="module")
def trained(corpus_split):
    train, _ = corpus_split
    return WordPieceTokenizer.train(train[:4000], vocab_size=1500)


# ----- pre-tokenisation -----


def test_pretokenize_lowercases_strips_accents_and_splits_punctuation():
    assert bert_pretokenize("Héllo, Wörld! Don't") == ["hello", ",", "world", "!", "don", "'", "t"]
    assert bert_pretokenize("naïve café") == ["naive", "cafe"]
    assert bert_pretokenize("Hello", lowercase=False) == ["Hello"]


def test_pretokenize_whitespace_control_and_cjk():
    assert bert_pretokenize("a\tb\nc\u00a0d") == ["a", "b", "c", "d"]
    assert bert_pretokenize("x\x00y\u200bz") == ["xyz"]  # NUL and a format character (Cf) vanish
    assert bert_pretokenize("ab中文cd") == ["ab", "中", "文", "cd"]


def test_bert_punctuation_includes_ascii_symbols_and_unicode_p():
    for char in "$+<=>^`|~!-/:@[{":
        assert is_punctuation(char), char
    assert is_punctuation("—") and is_punctuation("«")
    assert not is_punctuation("a") and not is_punctuation("5") and not is_punctuation("€")


# ----- greedy longest match -----


def test_greedy_longest_match_with_continuation_pieces():
    tokenizer = small_tokenizer()
    assert tokenizer.tokenize("Unsex me here") == ["unsex", "me", "here"]  # "unsex", not "un" + "##sex"
    assert tokenizer.tokenize("unsexing") == ["unsex", "##ing"]
    assert tokenizer.tokenize("hers!") == ["h", "##e", "##r", "##s", "!"]


def test_unknown_words_and_overlong_words_become_a_single_unk():
    tokenizer = small_tokenizer()
    assert tokenizer.tokenize("here zebra me") == ["here", "[UNK]", "me"]
    assert tokenizer.tokenize("hx") == ["[UNK]"]  # whole word, not "h" + [UNK]
    assert tokenizer.tokenize("a" * 101) == ["[UNK]"]


def test_special_tokens_are_never_split():
    tokenizer = small_tokenizer()
    assert tokenizer.tokenize("me [MASK] here.[SEP]") == ["me", "[MASK]", "here", ".", "[SEP]"]
    assert tokenizer.pad_token_id == 0 and tokenizer.convert_tokens_to_ids(["[MASK]"]) == [4]


# ----- model inputs -----


def test_encode_single_and_pair_with_token_types():
    tokenizer = small_tokenizer()
    cls, sep = tokenizer.cls_token_id, tokenizer.sep_token_id
    me, here = tokenizer.convert_tokens_to_ids(["me", "here"])
    single = tokenizer.encode("me here")
    assert single.input_ids == [cls, me, here, sep]
    assert single.token_type_ids == [0, 0, 0, 0] and single.attention_mask == [1, 1, 1, 1]
    pair = tokenizer.encode("me", "here")
    assert pair["input_ids"] == [cls, me, sep, here, sep]
    assert pair["token_type_ids"] == [0, 0, 0, 1, 1]
    assert tokenizer.encode("me here", add_special_tokens=False).input_ids == [me, here]


def test_truncation_and_padding_to_max_length():
    tokenizer = small_tokenizer()
    encoding = tokenizer.encode("me here me here", max_length=4, truncation=True)
    assert len(encoding) == 4 and encoding.input_ids[-1] == tokenizer.sep_token_id
    padded = tokenizer.encode("me", max_length=6, padding="max_length")
    assert padded.input_ids[3:] == [0, 0, 0] and padded.attention_mask == [1, 1, 1, 0, 0, 0]
    # Longest first: the short first segment keeps its tokens, the long second one is cut.
    pair = tokenizer.encode("me", "here here here here", max_length=7, truncation=True)
    assert pair.token_type_ids == [0, 0, 0, 1, 1, 1, 1]


def test_batch_encoding_pads_to_the_longest_row():
    tokenizer = small_tokenizer()
    batch = tokenizer.encode_batch(["me", "me here here"], padding=True)
    assert [len(row) for row in batch["input_ids"]] == [5, 5]
    assert batch["attention_mask"][0] == [1, 1, 1, 0, 0]


def test_bad_arguments_raise_clear_errors():
    tokenizer = small_tokenizer()
    with pytest.raises(ValueError, match="max_length"):
        tokenizer.encode("me", truncation=True)
    with pytest.raises(ValueError, match="padding"):
        tokenizer.encode("me", padding="left")
    with pytest.raises(TypeError, match="str"):
        tokenizer.tokenize(["me"])
    with pytest.raises(ValueError, match="outside"):
        tokenizer.decode([10_000])
    with pytest.raises(ValueError, match="special tokens"):
        WordPieceTokenizer(["a", "b"])
    with pytest.raises(ValueError, match="vocab_size"):
        WordPieceTokenizer.train(["hello world"], vocab_size=6)


def test_decode_joins_pieces_and_skips_specials():
    tokenizer = small_tokenizer()
    ids = tokenizer.encode("Unsexing me, HERS!").input_ids
    assert tokenizer.decode(ids) == "unsexing me , hers !"
    assert tokenizer.decode(ids, skip_special_tokens=False).startswith("[CLS] unsexing")


# ----- training and files -----


def test_training_is_deterministic_and_fills_the_vocabulary(trained, corpus_split):
    train, _ = corpus_split
    assert trained.vocab_size == 1500 and trained.vocab[:5] == SPECIALS
    assert WordPieceTokenizer.train(train[:4000], vocab_size=1500).vocab == trained.vocab
    assert "the" in trained.token_to_id and "##s" in trained.token_to_id
    # Every word of the training text can be spelled, so no [UNK] on it.
    assert "[UNK]" not in trained.tokenize(" ".join(train[:200]))


def test_save_and_load_round_trip(trained, tmp_path):
    path = trained.save(tmp_path / "tok")
    assert path.name == "vocab.txt"
    assert path.read_text(encoding="utf-8").split("\n")[:5] == SPECIALS
    for source in (tmp_path / "tok", path):  # a directory or the file itself
        assert WordPieceTokenizer.from_file(source).vocab == trained.vocab
    with pytest.raises(FileNotFoundError, match="missing"):
        WordPieceTokenizer.from_file(tmp_path / "missing")


# ----- parity with Hugging Face -----


def test_same_tokens_and_ids_as_hugging_face_bert_tokenizer(trained, corpus_split, tmp_path):
    transformers = pytest.importorskip("transformers")
    trained.save(tmp_path)
    # Not BertTokenizer(vocab_file=...): transformers 5 ignores that argument (REFERENCE_NOTES.md).
    reference = transformers.BertTokenizer.from_pretrained(str(tmp_path))
    assert reference.vocab_size == trained.vocab_size
    train, heldout = corpus_split
    # About 3,000 speeches the vocabulary was not trained on: the held-out split and the end of train.
    texts = heldout + train[-1500:]
    extra = [
        "Héllo [MASK] wörld!",
        "to be or not to [MASK] .",
        "x" * 150,
        "naïve café\t中文 Ω",
        "$5+3 | a^b ~c",
    ]
    for text in texts + extra:
        ours = trained.tokenize(text)
        assert ours == reference.tokenize(text), text
        assert trained.encode(text).input_ids == reference(text)["input_ids"], text
    first, second = heldout[10], heldout[11]
    for max_length in (6, 9, 14):
        ours = trained.encode(first, second, max_length=max_length, truncation=True, padding="max_length")
        theirs = reference(first, second, max_length=max_length, truncation=True, padding="max_length")
        assert ours.input_ids == theirs["input_ids"]
        assert ours.token_type_ids == theirs["token_type_ids"]
        assert ours.attention_mask == theirs["attention_mask"]
