# %% [markdown]
# # 06 · Tokenization: characters, byte-level BPE, WordPiece and Unigram
#
# A language model reads integers, not text. A **tokenizer** cuts text into pieces from a fixed
# vocabulary and maps each piece to its id. The choice trades vocabulary size against sequence length:
#
# | tokenizer | vocabulary | a token is | used by |
# |---|---|---|---|
# | characters | ~70 | one character | makemore, the char transformer |
# | byte-level BPE | 256 + merges | a run of bytes learnt by merging frequent pairs | GPT-2 and later |
# | WordPiece | a few thousand | a word or a `##`-continued word piece | BERT |
# | Unigram (SentencePiece) | a few thousand | a word piece, `▁` marking a word's start | T5, ALBERT, XLNet |
#
# All four are trained here on the Shakespeare corpus (`data/shakespeare.txt`, one speech per line).
# The library code: `tinygrad_edu/data/bpe.py`, `wordpiece.py`, `merges.py` (the merge loop those two
# share) and `unigram.py`.

# %%
import time
import warnings
from collections import Counter

import matplotlib.pyplot as plt
import numpy as np

from tinygrad_edu.data import BPETokenizer, UnigramTokenizer, WordPieceTokenizer, load_corpus, split_corpus
from tinygrad_edu.data.merges import merge_pair
from tinygrad_edu.exercises import check, fast_mode, output_dir, repo_root

speeches = load_corpus(repo_root() / "data" / "shakespeare.txt")
train_speeches, heldout_speeches = split_corpus(speeches)
# CI trains on a slice of the corpus; a person on all of it (about 10 s more)
training_texts = train_speeches[:4000] if fast_mode() else train_speeches
print(f"{len(speeches)} speeches: {len(train_speeches)} train, {len(heldout_speeches)} held out")
print(f"training the tokenizers on {len(training_texts)} speeches, {sum(map(len, training_texts)):,} characters")
sentence = "Unsex me here, and fill me from the crown to the toe top-full of direst cruelty!"

# %% [markdown]
# ## 1. Characters
#
# The simplest tokenizer: every distinct character is a token. Short vocabulary, long sequences: one
# id per character.

# %%
chars = sorted(set("".join(train_speeches)))
char_to_id = {ch: i for i, ch in enumerate(chars)}
char_ids = [char_to_id[ch] for ch in sentence]
print(f"vocabulary: {len(chars)} characters: {''.join(chars)!r}")
print(f"{len(sentence)} characters -> {len(char_ids)} ids: {char_ids[:16]} ...")

# %% [markdown]
# ## 2. Byte-level BPE
#
# Byte-pair encoding starts from the 256 byte values (so *any* text can be encoded, no unknown token)
# and learns **merges**: repeatedly find the most frequent adjacent pair of symbols in the training text
# and replace it everywhere with a new symbol. With $k$ merges the vocabulary has $256 + k$ tokens.
# Text is first cut into chunks (words with their leading space, punctuation, digits) so that merges
# never cross a word boundary.
#
# One merge step by hand, on the bytes of a short string:

# %%
text = "the theatre thee"
ids = list(text.encode("utf-8"))  # the UTF-8 bytes: integers 0..255
pair_counts = Counter(zip(ids, ids[1:]))
top_pair, top_count = pair_counts.most_common(1)[0]
print("most frequent pair:", bytes(top_pair), "seen", top_count, "times")
merged = merge_pair(ids, top_pair, 256)
print(f"{len(ids)} symbols -> {len(merged)} after merging {bytes(top_pair)!r} into symbol 256")

# %%
start = time.perf_counter()
bpe = BPETokenizer.train(training_texts, vocab_size=1024)
print(f"{bpe} trained in {time.perf_counter() - start:.1f} s")
print("the first 24 merges:", [bpe.token_bytes[256 + k].decode("utf-8", "replace") for k in range(24)])
print("the last 12 merges: ", [bpe.token_bytes[1024 - 12 + k].decode("utf-8", "replace") for k in range(12)])
bpe_ids = bpe.encode(sentence)
bpe_pieces = [bpe.token_bytes[i].decode("utf-8", "replace") for i in bpe_ids]
print(f"{len(sentence)} characters -> {len(bpe_ids)} BPE tokens: {bpe_pieces}")
assert bpe.decode(bpe_ids) == sentence  # byte-level: every text round-trips exactly

# %% [markdown]
# The merges are ordered, so the first $k$ merges of this tokenizer *are* a BPE tokenizer with
# $256 + k$ tokens. How much shorter do held-out texts get as the vocabulary grows?

# %%
heldout_text = heldout_speeches[:300]
heldout_chars = sum(len(text) for text in heldout_text)
vocab_sizes = [256, 300, 400, 512, 640, 768, 896, 1024]
tokens_per_char = []
for size in vocab_sizes:
    smaller = BPETokenizer(bpe.merges[: size - 256])
    tokens_per_char.append(sum(len(smaller.encode(text)) for text in heldout_text) / heldout_chars)
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.plot(vocab_sizes, tokens_per_char, "o-")
ax.set_xlabel("BPE vocabulary size (256 bytes + merges)")
ax.set_ylabel("tokens per character")
ax.set_title("Held-out Shakespeare: more merges, shorter sequences")
ax.grid(alpha=0.3)
plt.show()

# %% [markdown]
# ## 3. WordPiece (BERT)
#
# WordPiece first splits text into words (lowercased, punctuation apart), then cuts each word with a
# **greedy longest match**: take the longest vocabulary entry that starts the word, then the longest that
# continues it, marked `##`. Its vocabulary is learnt by merging frequent pairs too, and saved as a plain
# `vocab.txt`, one token per line, the line number being the id.

# %%
start = time.perf_counter()
wordpiece = WordPieceTokenizer.train(training_texts, vocab_size=2000)
print(f"{wordpiece} trained in {time.perf_counter() - start:.1f} s")
print("the first tokens:", wordpiece.vocab[:12], "...")
wp_tokens = wordpiece.tokenize(sentence)
print(f"{len(wp_tokens)} WordPiece tokens: {wp_tokens}")

# %% [markdown]
# BERT's inputs for a pair of segments: `[CLS] a [SEP] b [SEP]`, with `token_type_ids` saying which
# segment each token belongs to and `attention_mask` marking real tokens (1) against padding (0).

# %%
encoding = wordpiece.encode("To be, or not to be", "that is the question", max_length=20, padding="max_length")
print(f"{'token':>12s} {'id':>5s} {'type':>4s} {'mask':>4s}")
for token_id, token_type, mask in zip(encoding.input_ids, encoding.token_type_ids, encoding.attention_mask):
    print(f"{wordpiece.vocab[token_id]:>12s} {token_id:5d} {token_type:4d} {mask:4d}")

# %% [markdown]
# ## 4. Unigram (SentencePiece)
#
# BPE and WordPiece *build* a vocabulary by merging; the Unigram model *prunes* one. It gives every piece
# a probability $p(x)$ and scores a segmentation of a word by the product $\prod_i p(x_i)$; a word is
# encoded by its most probable segmentation, found by **Viterbi** (dynamic programming over the lattice
# of all the ways to cut it). Training starts from a large **seed** vocabulary (every character and the
# most frequent substrings), then alternates
#
# - **EM**: the E-step computes, by the forward-backward algorithm on each word's lattice, how often
#   each piece is *expected* to be used; the M-step sets $p(x)$ = expected count / total;
# - **pruning**: each piece is scored by how much likelihood the corpus would lose without it (its
#   count times how much worse its best split into other pieces scores); the lowest quarter goes,
#
# until the vocabulary has the size asked for. Words keep their start as `▁`, so decoding restores the
# spaces. The training is pure Python and slower than the merges, so it reads a **subset**: the first
# 2,000 training speeches (400 in CI mode).

# %%
unigram_texts = train_speeches[:400] if fast_mode() else train_speeches[:2000]
start = time.perf_counter()
unigram = UnigramTokenizer.train(unigram_texts, vocab_size=1024)
print(f"{unigram} trained on {len(unigram_texts)} speeches in {time.perf_counter() - start:.1f} s")
print("the most probable pieces:", unigram.vocab[1:25])
unigram_pieces = unigram.tokenize(sentence)
print(f"{len(unigram_pieces)} Unigram pieces: {unigram_pieces}")
assert unigram.decode(unigram.encode(sentence)) == sentence  # every character here was seen in training

# %% [markdown]
# Viterbi picks the best segmentation; **sampling** draws one with probability proportional to
# $p(\text{segmentation})^\alpha$ instead (subword regularisation: a model trained on sampled
# segmentations sees each word cut several ways). A small $\alpha$ flattens the distribution:

# %%
rng = np.random.default_rng(0)
print("best:      ", " | ".join(unigram.tokenize("discontented kingdoms")))
for alpha in (1.0, 0.2):
    for _ in range(3):
        print(f"alpha {alpha}: ", " | ".join(unigram.tokenize("discontented kingdoms", enable_sampling=True, alpha=alpha, rng=rng)))

# %% [markdown]
# ## 5. One sentence, four ways
#
# The same sentence in each tokenizer: characters give the longest sequence; WordPiece's text is
# lowercased (it cannot give back the original capitals).

# %%
rows = [("characters", list(sentence)), ("byte-level BPE (1024)", bpe_pieces), ("WordPiece (2000)", wp_tokens),
        ("Unigram (1024)", unigram_pieces)]
fig, ax = plt.subplots(figsize=(7, 2.8))
ax.barh([name for name, _ in rows], [len(pieces) for _, pieces in rows], color=["C0", "C1", "C2", "C3"])
for y, (_, pieces) in enumerate(rows):
    ax.text(len(pieces) + 1, y, str(len(pieces)), va="center")
ax.set_xlabel("tokens for the sentence")
ax.set_xlim(0, len(sentence) * 1.12)
ax.invert_yaxis()
plt.show()
for name, pieces in rows:
    print(f"{name:>22s}: {' | '.join(pieces)}")

# %% [markdown]
# ## 6. Held-out text: tokens per word, rare words, vocabulary against length
#
# On 300 held-out speeches, how many tokens does each tokenizer spend per (whitespace-separated) word,
# and how do they cut words that never occur in their training text?

# %%
heldout_words = sum(len(text.split()) for text in heldout_text)
tokenizers = {"BPE (1024)": bpe.encode, "WordPiece (2000)": wordpiece.tokenize, "Unigram (1024)": unigram.encode}
print(f"{heldout_words:,} held-out words; characters: {heldout_chars / heldout_words:.2f} per word (spaces included)")
for name, encode in tokenizers.items():
    print(f"{name:>18s}: {sum(len(encode(text)) for text in heldout_text) / heldout_words:.2f} tokens per word")

seen = {word.strip(".,;:!?'-").lower() for text in training_texts for word in text.split()}
rare = [w for w in dict.fromkeys(word.strip(".,;:!?'-").lower() for text in heldout_text for word in text.split())
        if len(w) >= 9 and w.isalpha() and w not in seen][:6]
for word in rare:
    print(f"{word:>14s}  BPE: {' '.join(bpe.token_bytes[i].decode('utf-8', 'replace') for i in bpe.encode(word)):28s}"
          f"WordPiece: {' '.join(wordpiece.tokenize(word)):28s}Unigram: {' '.join(unigram.tokenize(word))}")

# %% [markdown]
# A larger vocabulary means shorter sequences. BPE's and WordPiece's vocabularies are ordered by merge,
# so their first $k$ entries are smaller tokenizers of the same kind; for Unigram the $k$ most probable
# pieces (every character kept) play that part.

# %%
def tokens_per_word(encode, texts):
    return sum(len(encode(text)) for text in texts) / sum(len(text.split()) for text in texts)


sample_texts = heldout_text[:40] if fast_mode() else heldout_text[:100]
unigram_chars = [piece for piece in unigram.vocab[1:] if len(piece) == 1]
curves = {
    "BPE": [(k, tokens_per_word(BPETokenizer(bpe.merges[: k - 256]).encode, sample_texts))
            for k in (256, 384, 512, 768, 1024)],
    "WordPiece": [(k, tokens_per_word(WordPieceTokenizer(wordpiece.vocab[:k]).tokenize, sample_texts))
                  for k in (256, 512, 1024, 1500, 2000)],
    "Unigram": [(k, tokens_per_word(UnigramTokenizer({p: unigram.scores[p] for p in set(unigram.vocab[1:k]) | set(unigram_chars)}).encode, sample_texts))
                for k in (128, 256, 512, 768, 1024)],
}
fig, ax = plt.subplots(figsize=(6, 3.5))
for name, points in curves.items():
    ax.plot(*zip(*points), "o-", label=name)
ax.set_xlabel("vocabulary size")
ax.set_ylabel("tokens per held-out word")
ax.set_title(f"Vocabulary size against sequence length ({len(sample_texts)} held-out speeches)")
ax.grid(alpha=0.3)
ax.legend()
plt.show()

# %% [markdown]
# ## 7. The same `vocab.txt` in Hugging Face
#
# Because the vocabulary file has BERT's format, Hugging Face's `BertTokenizer` reads it and must cut text
# the same way. This cell needs `transformers` (the `ref` extra); without it, it says so and skips.

# %%
vocab_dir = output_dir("06_tokenization")
vocab_path = wordpiece.save(vocab_dir)
print("saved", vocab_path, f"({vocab_path.stat().st_size:,} bytes)")
warnings.filterwarnings("ignore", message="IProgress not found")  # a tqdm notice on importing transformers
try:
    import transformers
except ImportError:
    transformers = None
    print("transformers is not installed: skipping the comparison (pip install -e '.[ref]')")
if transformers is not None:
    reference = transformers.BertTokenizer.from_pretrained(str(vocab_dir))
    texts = heldout_speeches[:200] + [sentence]
    same = sum(reference.tokenize(text) == wordpiece.tokenize(text) for text in texts)
    print(f"Hugging Face BertTokenizer agrees on {same} of {len(texts)} texts (200 held-out speeches and our sentence)")
    print("HF:  ", reference.tokenize(sentence))
    print("ours:", wordpiece.tokenize(sentence))

# %% [markdown]
# ## Exercises
#
# Replace each `None`, run the check cell below it. Solutions: `notebooks/solutions/06_tokenization.py`.
#
# **Exercise 1.** In the string `"aaabdaaabac"`, which adjacent pair of characters is the most frequent?
# Give it as a 2-character string (count pairs where they overlap, as BPE does).

# %% [answer ex1]
answer_ex1 = None

# %%
check("06.1", answer_ex1)

# %% [markdown]
# **Exercise 2.** Write `merge(ids, pair, new_id)` that replaces every non-overlapping occurrence of
# `pair` in the list `ids`, scanning left to right, by `new_id` (this is one BPE merge).

# %% [answer ex2]
def merge(ids, pair, new_id):
    return None  # replace with your loop


# %%
check("06.2", merge)

# %% [markdown]
# **Exercise 3.** With the vocabulary below, how does WordPiece split the word `"unhappiness"`? Apply the
# greedy longest match by hand and give the list of pieces.

# %% [answer ex3]
small_vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "u", "un", "unh", "happ", "##h", "##happ", "##appi", "##i", "##ness", "##n", "##e", "##s", "##a", "##p"]
answer_ex3 = None

# %%
check("06.3", answer_ex3, vocab=small_vocab)

# %% [markdown]
# **Exercise 4.** A Unigram vocabulary with the log-probabilities below. Which segmentation of the word
# `"▁unhappy"` does Viterbi choose? Compare the total log-probability of each way to cut it (give the
# list of pieces).

# %% [answer ex4]
toy_pieces = {"▁un": -3.0, "▁unh": -2.5, "happy": -4.0, "appy": -5.0, "▁": -2.0, "u": -8.0, "n": -8.0,
              "h": -8.0, "a": -8.0, "p": -8.0, "y": -8.0}
answer_ex4 = None

# %%
check("06.4", answer_ex4, pieces=toy_pieces)
