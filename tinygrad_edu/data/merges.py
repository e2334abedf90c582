"""Learn pair merges over a bag of words: the training loop shared by BPE and WordPiece.

Both tokenizers train the same way. Every word starts as a sequence of small symbols (bytes for BPE,
characters for WordPiece); we count how often each adjacent pair of symbols occurs in the corpus,
merge the most frequent pair into a new symbol everywhere, and repeat.

Two things keep this fast enough for a whole corpus in pure Python:
- we work on *unique* words with their counts ("the" is stored once, with count 27,000), and
- after a merge we update the pair counts only for the words that contained the merged pair
  (`words_with_pair` says which), instead of recounting everything.
The most frequent pair comes from a heap. Counts change after merges, so heap entries can go stale;
we push a fresh entry on every change and skip stale ones when they surface ("lazy deletion").

Ties are broken by the smaller pair of symbol ids, so training is deterministic.
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Iterator

Pair = tuple[int, int]


def iterate_merges(words: list[list[int]], counts: list[int], next_symbol: int) -> Iterator[tuple[Pair, int]]:
    """Yield `((a, b), new_symbol)` merges, most frequent pair first, until no pair is left.

    `words[i]` is the symbol sequence of a unique word that occurs `counts[i]` times; it is updated
    in place as merges happen. New symbols are numbered from `next_symbol` up. The caller stops the
    loop when its vocabulary is full (a generator does only the work that is asked for).
    """
    pair_counts: dict[Pair, int] = defaultdict(int)
    words_with_pair: dict[Pair, set[int]] = defaultdict(set)
    for index, symbols in enumerate(words):
        for pair in zip(symbols, symbols[1:]):
            pair_counts[pair] += counts[index]
            words_with_pair[pair].add(index)
    # Max-heap through negated counts; the pair itself is the deterministic tie-break.
    heap = [(-count, pair) for pair, count in pair_counts.items()]
    heapq.heapify(heap)

    while heap:
        negative_count, pair = heapq.heappop(heap)
        if pair_counts.get(pair, 0) != -negative_count or negative_count == 0:
            continue  # stale entry: this pair's count changed after the entry was pushed
        new_symbol = next_symbol
        next_symbol += 1
        changed: set[Pair] = set()
        for index in sorted(words_with_pair.pop(pair)):
            old = words[index]
            new = merge_pair(old, pair, new_symbol)
            if len(new) == len(old):
                continue
            # Take the word's old pairs out of the counts and put its new pairs in.
            for old_pair in zip(old, old[1:]):
                pair_counts[old_pair] -= counts[index]
                changed.add(old_pair)
            for new_pair in zip(new, new[1:]):
                pair_counts[new_pair] += counts[index]
                words_with_pair[new_pair].add(index)
                changed.add(new_pair)
            words[index] = new
        for changed_pair in changed:
            count = pair_counts[changed_pair]
            if count > 0:
                heapq.heappush(heap, (-count, changed_pair))
            else:
                # Gone from every word: forget it (its word index sets may still name old words,
                # which is harmless: merge_pair then finds nothing to merge).
                pair_counts.pop(changed_pair, None)
        pair_counts.pop(pair, None)
        yield pair, new_symbol


def merge_pair(symbols: list[int], pair: Pair, new_symbol: int) -> list[int]:
    """Replace every non-overlapping occurrence of `pair` in `symbols`, left to right."""
    first, second = pair
    merged: list[int] = []
    position = 0
    while position < len(symbols):
        if position + 1 < len(symbols) and symbols[position] == first and symbols[position + 1] == second:
            merged.append(new_symbol)
            position += 2
        else:
            merged.append(symbols[position])
            position += 1
    return merged
