# %% [markdown]
# # Solutions · 06 Tokenization

# %% [answer ex1]
# pairs: aa aa ab bd da aa aa ab ba ac -> "aa" appears 4 times
answer_ex1 = "aa"


# %% [answer ex2]
def merge(ids, pair, new_id):
    merged = []
    position = 0
    while position < len(ids):
        if position + 1 < len(ids) and (ids[position], ids[position + 1]) == pair:
            merged.append(new_id)
            position += 2  # skip both: occurrences never overlap
        else:
            merged.append(ids[position])
            position += 1
    return merged


# %% [answer ex3]
small_vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "u", "un", "unh", "happ", "##h", "##happ", "##appi", "##i", "##ness", "##n", "##e", "##s", "##a", "##p"]
# "unh" is the longest start; then "##appi" (longest continuation of "appiness"), then "##ness"
answer_ex3 = ["unh", "##appi", "##ness"]

# %% [answer ex4]
toy_pieces = {"▁un": -3.0, "▁unh": -2.5, "happy": -4.0, "appy": -5.0, "▁": -2.0, "u": -8.0, "n": -8.0,
              "h": -8.0, "a": -8.0, "p": -8.0, "y": -8.0}
# ▁unh + appy = -2.5 - 5.0 = -7.5, but ▁un + happy = -3.0 - 4.0 = -7.0 is more probable:
# the best total wins, not the longest first piece (greedy longest match would give ▁unh | appy)
answer_ex4 = ["▁un", "happy"]
