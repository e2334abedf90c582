"""How an exercise answer is compared with the right one, and what a learner is told when it is off.

The right answer never appears in a message: a wrong answer is told *what kind* of wrong it is (the
sign, a shape, a factor such as the batch size, the order of magnitude, which entries or items differ)
and gets the exercise's hint; an answer of the wrong type is told what type was expected.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np


class ExerciseError(AssertionError):
    """A wrong exercise answer; the message says what is off, never what the answer is."""


class NotAnswered(Exception):
    """Raised inside a check when the learner's answer (or their function's result) is still None."""


@dataclass
class Exercise:
    """One exercise: `run(answer, **lesson)` raises ExerciseError when the answer is wrong."""

    key: str
    run: Callable[..., None]
    needs: tuple[str, ...] = field(default_factory=tuple)


EXERCISES: dict[str, Exercise] = {}


def exercise(key: str, *needs: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Register `run(answer, **lesson)` as the check of exercise `key` ("NN.k": notebook NN, exercise k).
    `needs` names the lesson objects the check cell must pass by keyword."""

    def register(run: Callable[..., None]) -> Callable[..., None]:
        if key in EXERCISES:
            raise ValueError(f"exercise {key} is registered twice")
        EXERCISES[key] = Exercise(key, run, tuple(needs))
        return run

    return register


def describe(value: Any) -> str:
    """A few words for the type of `value` (what the learner gave)."""
    if isinstance(value, bool):
        return f"the boolean {value}"
    if isinstance(value, str):
        return f"a string of {len(value)} characters"
    if isinstance(value, (int, float, np.number)):
        return "a number"
    if isinstance(value, np.ndarray):
        return f"a numpy array of shape {value.shape}"
    if isinstance(value, (list, tuple)):
        return f"a {type(value).__name__} of {len(value)} items"
    if callable(value):
        return "a function"
    return f"a {type(value).__name__}"


def as_array(value: Any) -> np.ndarray | None:
    """A number, list, numpy array, Tensor or Value as a float64 array; None when it is not numeric."""
    if isinstance(value, (str, bytes, bool)) or value is None:
        return None
    if hasattr(value, "numpy") and callable(value.numpy):  # Tensor (and torch tensors)
        value = value.detach().numpy() if hasattr(value, "detach") else value.numpy()
    elif hasattr(value, "data") and isinstance(value.data, (int, float)):  # scalar Value
        value = value.data
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    return array


def answered(value: Any) -> Any:
    """`value`, or NotAnswered when it is still None (an unfinished answer or function)."""
    if value is None:
        raise NotAnswered
    return value


def _ratio_words(ratio: float) -> str:
    """'about 10 times' for a ratio of 9.7 (powers of ten only: the order of magnitude, not the value)."""
    power = round(math.log10(ratio))
    return f"about {10**power:g} times" if power >= 1 else "a few times"


def number_problem(actual: float, expected: float, factors: dict[str, float]) -> str:
    """What is off about a wrong number, in words that do not give `expected` away."""
    if math.isnan(actual):
        return "your answer is nan (a 0/0 or inf - inf somewhere in your computation)"
    if math.isinf(expected) or math.isnan(expected):
        return "your answer is a finite number, but this one is not"
    if math.isinf(actual):
        return "your answer is infinite, but this one is finite"
    if expected != 0 and math.isclose(actual, -expected, rel_tol=1e-3, abs_tol=1e-9):
        return "the size is right but the sign is wrong"
    for name, factor in factors.items():
        if expected != 0 and math.isclose(actual, expected * factor, rel_tol=1e-3):
            return f"your answer is {name} times too large"
        if expected != 0 and math.isclose(actual, expected / factor, rel_tol=1e-3):
            return f"your answer is {name} times too small"
    if expected == 0:
        return "your answer should be zero"
    if actual == 0:
        return "your answer is zero, and it should not be"
    sign = "" if (actual > 0) == (expected > 0) else "the sign is wrong, and "
    ratio = abs(actual / expected)
    if ratio >= 3:
        return f"{sign}your answer is {_ratio_words(ratio)} too large in size"
    if ratio <= 1 / 3:
        return f"{sign}your answer is {_ratio_words(1 / ratio)} too small in size"
    direction = "too large" if abs(actual) > abs(expected) else "too small"
    return f"{sign}your answer has the right order of magnitude but is {direction}"


def entries_problem(actual: np.ndarray, expected: np.ndarray, wrong: np.ndarray) -> str:
    """Which entries of an array differ (their indices, not the right values)."""
    indices = [tuple(int(i) for i in index) for index in np.argwhere(wrong)]
    shown = ", ".join(str(index[0] if len(index) == 1 else index) for index in indices[:4])
    more = f" and {len(indices) - 4} more" if len(indices) > 4 else ""
    if np.allclose(actual, -expected, rtol=1e-3, atol=1e-9):
        return "every entry has the wrong sign"
    return f"{len(indices)} of {actual.size} entries differ: at {shown}{more}"


def fail(name: str, problem: str, hint: str = "") -> None:
    raise ExerciseError(f"{name}: {problem}." + (f" Hint: {hint}" if hint else ""))


def close(
    name: str,
    answer: Any,
    expected: Any,
    hint: str = "",
    rtol: float = 1e-4,
    atol: float = 1e-6,
    factors: dict[str, float] | None = None,
    what: str = "a number",
) -> None:
    """Numbers or arrays equal within rtol/atol; a wrong one is told what is off (see the module doc)."""
    answer = answered(answer)
    actual, target = as_array(answer), np.asarray(as_array(expected))
    if actual is None:
        fail(name, f"expected {what}, you gave {describe(answer)}")
    if target.size == 1 and actual.size == 1:
        actual, target = actual.reshape(()), target.reshape(())
    if actual.shape != target.shape:
        if target.ndim == 0:
            fail(name, f"expected {what}, you gave {describe(answer)}")
        fail(name, f"your answer has shape {actual.shape}; it should have shape {target.shape}", hint)
    wrong = ~np.isclose(actual, target, rtol=rtol, atol=atol, equal_nan=False)
    if np.isinf(target).any():  # isclose treats inf == inf as close; keep that, nothing else
        wrong &= ~(actual == target)
    if not wrong.any():
        return
    if target.ndim == 0:
        fail(name, number_problem(float(actual), float(target), factors or {}), hint)
    fail(name, entries_problem(actual, target, wrong), hint)


def exact(name: str, answer: Any, expected: Any, hint: str = "", what: str = "") -> None:
    """An exact answer: an integer, a string, or a sequence of items (tokens, a shape)."""
    answer = answered(answer)
    if isinstance(expected, bool) or not isinstance(expected, (int, str, Sequence)):
        raise TypeError(f"exact: cannot compare with a {type(expected).__name__}")
    if isinstance(expected, int):
        if isinstance(answer, (bool, str)) or not isinstance(answer, (int, np.integer)):
            fail(name, f"expected {what or 'a whole number (an int)'}, you gave {describe(answer)}")
        if int(answer) != expected:
            fail(name, number_problem(float(answer), float(expected), {}), hint)
        return
    if isinstance(expected, str):
        if not isinstance(answer, str):
            fail(name, f"expected {what or 'a string'}, you gave {describe(answer)}")
        if answer != expected:
            fail(name, f"{answer!r} is not it", hint)
        return
    if isinstance(answer, np.ndarray):
        answer = answer.tolist()
    if isinstance(answer, str) or not isinstance(answer, Sequence):
        fail(name, f"expected {what or 'a list'}, you gave {describe(answer)}")
    if len(answer) != len(expected):
        more = "too many" if len(answer) > len(expected) else "too few"
        fail(name, f"your answer has {len(answer)} items, {more}", hint)
    differ = [i for i, (a, e) in enumerate(zip(answer, expected)) if a != e]
    if differ:
        fail(name, f"the right number of items, but the items at positions {differ} are wrong", hint)


def one_of(name: str, answer: Any, expected: str, choices: Sequence[str], hint: str = "") -> None:
    """A choice among labels: an answer outside them is told the labels; a wrong label the hint."""
    answer = answered(answer)
    if answer not in choices:
        fail(name, f"expected one of {', '.join(repr(c) for c in choices)}; you gave {answer!r}")
    if answer != expected:
        fail(name, f"{answer!r} is not it", hint)


def call(name: str, function: Any, *args: Any) -> Any:
    """The learner's function applied to `args`; NotAnswered while it still returns None."""
    if not callable(function):
        fail(name, f"expected a function, you gave {describe(function)}")
    return answered(function(*args))
