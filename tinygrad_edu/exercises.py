"""Helpers for the notebooks in `notebooks/`: exercise checks and the lesson environment.

Exercises. Every notebook ends with exercises; each has an answer cell that starts as `answer = None`
and a check cell that calls one of the `check_*` functions below. An answer still at `None` prints
"not answered yet" and passes (so the notebook runs top to bottom, in CI too); a wrong answer raises
`ExerciseError`, whose message says what is wrong and gives a hint; a right one prints "correct".

Environment. Two variables let the same notebook run as a full lesson or as a short CI check:
- `TG_NOTEBOOK_FAST=1`: `fast_mode()` is True and notebooks shorten their trainings (the figures then
  show fewer steps; a person running a notebook leaves it unset and sees the full-length run);
- `TG_NOTEBOOK_OUT=<dir>`: where `output_dir()` puts the files a notebook writes (checkpoints,
  tokenizer vocabularies). Unset, a fresh temporary folder is used, never the repository.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

FAST_ENV = "TG_NOTEBOOK_FAST"
OUT_ENV = "TG_NOTEBOOK_OUT"


class ExerciseError(AssertionError):
    """A wrong exercise answer; the message says what is wrong."""


# ---- the lesson environment ----


def fast_mode() -> bool:
    """True when TG_NOTEBOOK_FAST=1 (set by tests/test_notebooks.py): trainings run shortened."""
    return os.environ.get(FAST_ENV, "") == "1"


def steps(full: int, fast: int) -> int:
    """`full` training steps for a person, `fast` ones in CI (see `fast_mode`)."""
    return fast if fast_mode() else full


def output_dir(name: str = "") -> Path:
    """A folder for the files a notebook writes: $TG_NOTEBOOK_OUT/<name>, or a new temporary folder."""
    base = os.environ.get(OUT_ENV)
    root = Path(base) if base else Path(tempfile.mkdtemp(prefix="tinygrad_edu_"))
    folder = root / name if name else root
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def repo_root() -> Path:
    """The repository checkout (it holds `data/`): the package is installed in editable mode from it."""
    root = Path(__file__).resolve().parent.parent
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


def _not_answered(name: str, answer: Any) -> bool:
    if answer is None:
        print(f"{name}: not answered yet (replace `None` in the answer cell, then run this cell again)")
        return True
    return False


def _as_array(value: Any) -> np.ndarray:
    """A number, list, numpy array, Tensor or Value as a float64 array."""
    if hasattr(value, "numpy"):  # Tensor (and torch tensors)
        value = value.detach().numpy() if hasattr(value, "detach") else value.numpy()
    elif hasattr(value, "data") and isinstance(value.data, (int, float)):  # Value
        value = value.data
    return np.asarray(value, dtype=np.float64)


def check_close(
    name: str, answer: Any, expected: Any, hint: str = "", rtol: float = 1e-4, atol: float = 1e-6
) -> None:
    """Check that `answer` equals `expected` (numbers or arrays) within rtol/atol.

    Says so when the answer is still None and prints "correct" when it is right; raises
    `ExerciseError` naming the exercise, the shapes or values and the hint when it is wrong.
    """
    if _not_answered(name, answer):
        return
    actual, target = _as_array(answer), _as_array(expected)
    if actual.shape != target.shape:
        raise ExerciseError(
            f"{name}: your answer has shape {actual.shape}, expected {target.shape}. {hint}".rstrip()
        )
    if not np.allclose(actual, target, rtol=rtol, atol=atol):
        if actual.size == 1:
            detail = f"your answer is {actual.item():.6g}, expected {target.item():.6g}"
        else:
            worst = np.unravel_index(np.argmax(np.abs(actual - target)), actual.shape)
            detail = (
                f"largest difference at index {tuple(int(i) for i in worst)}: "
                f"yours {actual[worst]:.6g}, expected {target[worst]:.6g}"
            )
        raise ExerciseError(f"{name}: {detail}. {hint}".rstrip())
    print(f"{name}: correct")


def check_equal(name: str, answer: Any, expected: Any, hint: str = "") -> None:
    """Check that `answer == expected` exactly (strings, token lists, integers); as `check_close`."""
    if _not_answered(name, answer):
        return
    if answer != expected:
        raise ExerciseError(f"{name}: your answer is {answer!r}, expected {expected!r}. {hint}".rstrip())
    print(f"{name}: correct")


def check_true(name: str, answer: Any, predicate: Callable[[Any], bool], message: str) -> None:
    """Check a property of an answer: `predicate(answer)` must hold; `message` says what is wrong.

    The predicate is only called once the answer is not None, so it may use the answer freely.
    """
    if _not_answered(name, answer):
        return
    if not predicate(answer):
        raise ExerciseError(f"{name}: {message}")
    print(f"{name}: correct")
