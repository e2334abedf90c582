"""A clone of the repository is the whole project: what users read and run (README, docs, examples,
benchmarks, notebooks, data notes) never points at a path outside the repository."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
READ_BY_USERS = ["README.md", "docs/**/*.md", "examples/**/*.py", "benchmarks/**/*.py", "notebooks/src/*.py",
                 "notebooks/*.md", "notebooks/*.py", "data/*.md", "data/*.py"]  # fmt: skip
# files outside the repository that must never be named: the development notes of the people who wrote it
FORBIDDEN = re.compile(
    r"/work/|/home/\w|BENCHMARKS\.md|REFERENCE_NOTES|STYLE\.md|\bshared/bench\b|\.\./shared"
)
PARENT_PATH = re.compile(r"(?<![\w.])((?:\.\./)+[\w.\-/]*)")


def user_files() -> list[Path]:
    files = {path for pattern in READ_BY_USERS for path in ROOT.glob(pattern) if path.is_file()}
    return sorted(files)


def outside_paths(path: Path) -> list[str]:
    """Every mention in `path` of a file outside the repository, as 'line N: text'."""
    found = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if FORBIDDEN.search(line):
            found.append(f"line {number}: {line.strip()}")
            continue
        for match in PARENT_PATH.finditer(line):
            target = (path.parent / match.group(1)).resolve()
            if not target.is_relative_to(ROOT) or not target.exists():  # e.g. ../shared/..., ../../x
                found.append(f"line {number}: {match.group(1)}")
    return found


@pytest.mark.parametrize("path", user_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_path_outside_the_repository(path):
    assert outside_paths(path) == [], str(path.relative_to(ROOT))


def test_the_check_catches_what_it_is_for(tmp_path):
    sample = ROOT / "docs" / "__probe__.md"
    try:
        sample.write_text("run `python x.py --data ../shared/data/names.txt`\nsee [notes](../../elsewhere.md)\n"
                          "fine: [readme](../README.md)\n")  # fmt: skip
        assert [line.split(":")[0] for line in outside_paths(sample)] == ["line 1", "line 2"]
    finally:
        sample.unlink()
