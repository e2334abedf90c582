"""Helpers for the notebooks in `notebooks/`: exercise checks and the lesson environment.

Exercises. Every notebook ends with exercises; each has an answer cell that starts as `answer = None`
and a check cell `check("NN.k", answer, **lesson_objects)`. The right answer is never in the notebook:
the check computes it here, from the lesson's own objects passed by keyword (the lessons' checks live in
`foundations.py`, `language.py`, `bert.py` and `finetuning.py`). An answer still at `None` prints "not answered yet"
and passes (so the notebook runs top to bottom, in CI too); a wrong answer raises `ExerciseError`, whose
message says what is off (sign, shape, a factor, the order of magnitude, which entries differ) and
gives a hint, never the answer; a right one prints "correct".

Environment. Two variables let the same notebook run as a full lesson or as a short CI check:
- `TG_NOTEBOOK_FAST=1`: `fast_mode()` is True and notebooks shorten their trainings (the figures then
  show fewer steps; a person running a notebook leaves it unset and sees the full-length run);
- `TG_NOTEBOOK_OUT=<dir>`: where `output_dir()` puts the files a notebook writes (checkpoints,
  tokenizer vocabularies). Unset, a fresh temporary folder is used, never the repository.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from tinygrad_edu.exercises import bert, finetuning, foundations, language  # noqa: F401  (they register the checks)
from tinygrad_edu.exercises.compare import EXERCISES, ExerciseError, NotAnswered, close, exact

FAST_ENV = "TG_NOTEBOOK_FAST"
OUT_ENV = "TG_NOTEBOOK_OUT"


# ---- the lesson environment ----


def fast_mode() -> bool:
    """True when TG_NOTEBOOK_FAST=1 (set by tests/test_notebooks.py): trainings run shortened."""
    return os.environ.get(FAST_ENV, "") == "1"


def steps(full: int, fast: int) -> int:
    """`full` training steps for a person, `fast` ones in CI (see `fast_mode`)."""
    return fast if fast_mode() else full


def output_dir(name: str = "") -> Path:
    """A folder for the files a notebook writes: $TG_NOTEBOOK_OUT/<name>, or, unset, a folder in one
    temporary directory that is removed when the Python session (the notebook's kernel) ends."""
    base = os.environ.get(OUT_ENV)
    root = Path(base) if base else _session_dir()
    folder = root / name if name else root
    folder.mkdir(parents=True, exist_ok=True)
    return folder


_SESSION_DIRS: list[Path] = []


def _session_dir() -> Path:
    if not _SESSION_DIRS:
        _SESSION_DIRS.append(Path(tempfile.mkdtemp(prefix="tinygrad_edu_")))
        atexit.register(shutil.rmtree, _SESSION_DIRS[0], ignore_errors=True)
    return _SESSION_DIRS[0]


def repo_root() -> Path:
    """The repository checkout (it holds `data/`): the package is installed in editable mode from it."""
    root = Path(__file__).resolve().parents[2]
    if not (root / "data").is_dir():
        raise FileNotFoundError(
            f"repo_root: no data/ folder next to the package at {root}; "
            "install the project from its checkout with `pip install -e .`"
        )
    return root


def show_graph(root: Any, rankdir: str = "LR") -> Any:
    """The computation graph of `root`, drawn by Graphviz when its `dot` program is installed,
    otherwise as DOT text (paste it into any Graphviz viewer)."""
    from tinygrad_edu.viz import draw_dot, to_dot

    if shutil.which("dot"):
        return draw_dot(root, rankdir)
    print("(Graphviz's `dot` program is not installed: showing the graph as DOT text)")
    print(to_dot(root, rankdir))
    return None


# ---- exercise checks ----


def check(key: str, answer: Any, **lesson: Any) -> None:
    """Check exercise `key` ("NN.k") of a notebook: prints "correct" or "not answered yet", or raises
    ExerciseError saying what is off. `lesson` holds the lesson objects the check computes the right
    answer from (the exercise's `needs`)."""
    if key not in EXERCISES:
        raise KeyError(f"check: no exercise {key!r}; the exercises are {', '.join(sorted(EXERCISES))}")
    item = EXERCISES[key]
    missing = [name for name in item.needs if name not in lesson]
    if missing:
        raise TypeError(f"check({key!r}): pass the lesson objects {', '.join(missing)} by keyword")
    name = f"exercise {key.split('.')[1]}"
    try:
        item.run(answer, **{k: lesson[k] for k in item.needs})
    except NotAnswered:
        print(f"{name}: not answered yet (replace `None` in the answer cell, then run this cell again)")
        return
    print(f"{name}: correct")


def check_close(
    name: str, answer: Any, expected: Any, hint: str = "", rtol: float = 1e-4, atol: float = 1e-6
) -> None:
    """A learner's own check: `answer` equals `expected` within rtol/atol (the message never shows it)."""
    try:
        close(name, answer, expected, hint, rtol, atol)
    except NotAnswered:
        print(f"{name}: not answered yet")
        return
    print(f"{name}: correct")


def check_equal(name: str, answer: Any, expected: Any, hint: str = "") -> None:
    """A learner's own check: `answer == expected` exactly (the message never shows `expected`)."""
    try:
        exact(name, answer, expected, hint)
    except NotAnswered:
        print(f"{name}: not answered yet")
        return
    print(f"{name}: correct")


__all__ = [
    "EXERCISES",
    "ExerciseError",
    "check",
    "check_close",
    "check_equal",
    "fast_mode",
    "output_dir",
    "repo_root",
    "show_graph",
    "steps",
]
