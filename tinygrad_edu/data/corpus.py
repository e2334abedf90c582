"""The Shakespeare corpus: load `data/shakespeare.txt` and split it into training and held-out speeches.

The file is built by `data/build_corpus.py` (see `data/README_corpus.md`): one speech per line, plays
in a fixed order. Every script takes its held-out text from `split_corpus`, so numbers reported by
different scripts are measured on the same speeches.
"""

from __future__ import annotations

from pathlib import Path

from tinygrad_edu.data.paths import find_data_file
from tinygrad_edu.files import read_text

DEFAULT_CORPUS_PATH = "data/shakespeare.txt"

# The held-out split is the last 5% of speeches in file order. Plays are written one after another,
# so these are whole scenes of the last plays (the end of Romeo and Juliet and Timon of Athens), not
# speeches sprinkled through text the model trains on.
HELDOUT_FRACTION = 0.05


def load_corpus(path: str | Path = DEFAULT_CORPUS_PATH) -> list[str]:
    """Read a corpus file and return its speeches, one per non-empty line, in file order."""
    path = find_data_file(path)
    if not path.exists():
        raise FileNotFoundError(
            f"load_corpus: no corpus file at {str(path)!r}; build it with `python data/build_corpus.py`"
        )
    speeches = [line.strip() for line in read_text(path, "corpus file").splitlines()]
    speeches = [speech for speech in speeches if speech]
    if not speeches:
        raise ValueError(f"load_corpus: the corpus file {str(path)!r} holds no text")
    return speeches


def split_corpus(
    speeches: list[str], heldout_fraction: float = HELDOUT_FRACTION
) -> tuple[list[str], list[str]]:
    """Split speeches into (train, heldout): the held-out part is the last `heldout_fraction` of them.

    The split depends only on the order and number of speeches, so it is the same on every run.
    """
    if not 0.0 < heldout_fraction < 1.0:
        raise ValueError(f"split_corpus: heldout_fraction must lie in (0, 1), got {heldout_fraction}")
    if len(speeches) < 2:
        raise ValueError(f"split_corpus: need at least 2 speeches to split, got {len(speeches)}")
    # At least one speech on each side, however small the list.
    heldout_count = min(max(1, round(len(speeches) * heldout_fraction)), len(speeches) - 1)
    boundary = len(speeches) - heldout_count
    return list(speeches[:boundary]), list(speeches[boundary:])
