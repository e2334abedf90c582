"""A text-classification task from the corpus: which kind of play does a speech come from?

`data/shakespeare_labels.tsv` (written by `data/build_corpus.py` beside `data/shakespeare.txt`) gives
the play and the source's kind of every speech. The source sorts the 38 plays into six kinds: comedies,
histories, problems (the "problem plays"), roman, romances, tragedies. The task uses three classes:

    comedy   = comedies + problems + romances   17 plays
    history  = histories                        11 plays
    tragedy  = tragedies + roman                10 plays

These are the three kinds under which the First Folio (1623) printed the plays. "Problem play" and
"romance" are later critics' names for groups of comedies, and the Roman plays are tragedies, so the
six source kinds are three kinds subdivided. Three classes also keep the test honest: with whole plays
held out, the four Roman plays or four romances would put one play per class in the test split, and
the score would be about that one play, not about its kind. (A few plays are disputed: Troilus and
Cressida and Cymbeline were printed among the tragedies; here they follow the source's grouping.)

The split holds out WHOLE plays, so a classifier cannot score by remembering character names of a
play it trained on: `TEST_PLAYS` (7 plays) and `VALIDATION_PLAYS` (6 plays) are fixed lists, each
with plays of every source kind; the other 25 plays are for training. No play is on two sides.

    from tinygrad_edu.data import load_play_kinds
    splits = load_play_kinds()        # {"train": PlayKindSplit, "validation": ..., "test": ...}
    splits["test"].texts[0], splits["test"].labels[0], CLASSES[splits["test"].labels[0]]
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tinygrad_edu.data.corpus import DEFAULT_CORPUS_PATH, load_corpus
from tinygrad_edu.data.paths import find_data_file

DEFAULT_LABELS_PATH = "data/shakespeare_labels.tsv"
CLASSES = ("comedy", "history", "tragedy")
KIND_TO_CLASS = {
    "comedies": "comedy",
    "problems": "comedy",
    "romances": "comedy",
    "histories": "history",
    "roman": "tragedy",
    "tragedies": "tragedy",
}
# One play of each source kind in the test split (two histories: it is the largest kind); the
# validation split is built the same way from other plays.
TEST_PLAYS = (
    "twelfth-night",  # comedies
    "measure-for-measure",  # problems
    "the-tempest",  # romances
    "henry-v",  # histories
    "richard-ii",  # histories
    "macbeth",  # tragedies
    "julius-caesar",  # roman
)
VALIDATION_PLAYS = (
    "much-ado-about-nothing",  # comedies
    "the-merchant-of-venice",  # problems
    "a-winter-s-tale",  # romances
    "henry-iv-part-1",  # histories
    "othello",  # tragedies
    "coriolanus",  # roman
)
SPLITS = ("train", "validation", "test")


@dataclass
class PlayKindSplit:
    """The speeches of one split, their class indices (into CLASSES) and their plays."""

    texts: list[str]
    labels: np.ndarray  # (N,) int64
    plays: list[str]

    def __len__(self) -> int:
        return len(self.texts)


def load_labels(path: str | Path = DEFAULT_LABELS_PATH) -> list[tuple[str, str]]:
    """The (play, kind) rows of a labels file, one per speech, in corpus order."""
    path = find_data_file(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"load_labels: no labels file at {str(path)!r}; build it with `python data/build_corpus.py`"
        )
    lines = path.read_text(encoding="utf-8").splitlines()
    if not lines or lines[0] != "play\tkind":
        raise ValueError(f"load_labels: {str(path)!r} does not start with the header 'play<TAB>kind'")
    rows = []
    for number, line in enumerate(lines[1:], start=2):
        fields = line.split("\t")
        if len(fields) != 2 or fields[1] not in KIND_TO_CLASS:
            raise ValueError(
                f"load_labels: {str(path)!r} line {number} is not 'play<TAB>kind' with a known kind "
                f"({', '.join(sorted(KIND_TO_CLASS))}): {line!r}"
            )
        rows.append((fields[0], fields[1]))
    return rows


def split_of_play(play: str) -> str:
    """The one split (test, validation or train) that every speech of `play` belongs to."""
    if play in TEST_PLAYS:
        return "test"
    if play in VALIDATION_PLAYS:
        return "validation"
    return "train"


def load_play_kinds(
    corpus_path: str | Path = DEFAULT_CORPUS_PATH, labels_path: str | Path = DEFAULT_LABELS_PATH
) -> dict[str, PlayKindSplit]:
    """The task's three splits: speeches, class indices and plays, in corpus order within each."""
    speeches = load_corpus(corpus_path)
    rows = load_labels(labels_path)
    if len(rows) != len(speeches):
        raise ValueError(
            f"load_play_kinds: {len(speeches)} speeches in {str(corpus_path)!r} but {len(rows)} label rows "
            f"in {str(labels_path)!r}; rebuild both with `python data/build_corpus.py`"
        )
    parts: dict[str, tuple[list, list, list]] = {name: ([], [], []) for name in SPLITS}
    for speech, (play, kind) in zip(speeches, rows, strict=True):
        texts, labels, plays = parts[split_of_play(play)]
        texts.append(speech)
        labels.append(CLASSES.index(KIND_TO_CLASS[kind]))
        plays.append(play)
    return {
        name: PlayKindSplit(texts, np.array(labels, dtype=np.int64), plays)
        for name, (texts, labels, plays) in parts.items()
    }


def majority_baseline(train_labels: np.ndarray, test_labels: np.ndarray) -> dict[str, float]:
    """Accuracy and macro-F1 of always answering the most frequent class of the training split."""
    majority = int(np.bincount(train_labels, minlength=len(CLASSES)).argmax())
    predictions = np.full_like(test_labels, majority)
    return {
        "class": CLASSES[majority],
        "accuracy": float((predictions == test_labels).mean()),
        "macro_f1": macro_f1(test_labels, predictions, len(CLASSES)),
    }


def confusion_matrix(targets: np.ndarray, predictions: np.ndarray, num_classes: int) -> np.ndarray:
    """counts[i, j] = how many examples of true class i were predicted as class j."""
    counts = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(counts, (np.asarray(targets), np.asarray(predictions)), 1)
    return counts


def per_class_scores(targets: np.ndarray, predictions: np.ndarray, num_classes: int) -> dict[str, np.ndarray]:
    """precision, recall, f1 and support per class (0 where a ratio has nothing to divide by, as
    scikit-learn's `zero_division=0`)."""
    counts = confusion_matrix(targets, predictions, num_classes)
    true_positives = np.diag(counts).astype(np.float64)
    predicted, actual = counts.sum(axis=0), counts.sum(axis=1)
    precision = np.divide(true_positives, predicted, out=np.zeros(num_classes), where=predicted > 0)
    recall = np.divide(true_positives, actual, out=np.zeros(num_classes), where=actual > 0)
    total = precision + recall
    f1 = np.divide(2 * precision * recall, total, out=np.zeros(num_classes), where=total > 0)
    return {"precision": precision, "recall": recall, "f1": f1, "support": actual}


def macro_f1(targets: np.ndarray, predictions: np.ndarray, num_classes: int) -> float:
    """The unweighted mean of the per-class F1 scores: every class counts the same, however rare."""
    return float(per_class_scores(targets, predictions, num_classes)["f1"].mean())
