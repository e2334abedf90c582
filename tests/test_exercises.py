"""The notebook exercises: no check cell shows its answer, and no wrong answer's message gives it away.

1. Every check cell of every notebook source is only `check("NN.k", answer, name=lesson_object, ...)`:
   no number and no string but the exercise's key (and dictionary keys), so the expected value cannot be
   written there; every exercise key is registered and checked once.
2. A wrong answer (the right one off in sign, by a factor, by a little, or in a few entries) raises
   ExerciseError whose message does not hold the expected value in any usual print form.
3. A wrong type gets a sentence about the expected type; None says "not answered yet".
"""

from __future__ import annotations

import ast
import math
import re
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinygrad_edu.exercises import EXERCISES, ExerciseError, check
from tinygrad_edu.exercises.compare import close, exact

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "notebooks"))
import build_notebooks  # noqa: E402

SOURCES = build_notebooks.source_files()


def check_cells(source: Path) -> list[str]:
    """The code cell that follows each answer cell of a notebook source."""
    cells = build_notebooks.parse_cells(source.read_text(encoding="utf-8"))
    return [cells[i + 1]["source"] for i, cell in enumerate(cells) if cell["answer"] and i + 1 < len(cells)]


def forms(value: float) -> set[str]:
    """The ways a number is usually printed (repr, %g at several precisions, rounded decimals)."""
    shown = {repr(value), str(value), f"{value:g}", f"{value:.6g}", f"{value:.4g}", f"{value:.3g}"}
    shown |= {f"{value:.{d}f}" for d in (2, 3, 4, 6)}
    if float(value).is_integer():
        shown.add(str(int(value)))
    return {s for s in shown if len(s.strip("-0.")) >= 2}  # "1" or "0.0" would match any digit run


def assert_hidden(message: str, expected) -> None:
    for value in np.ravel(np.asarray(expected, dtype=float)):
        for shown in forms(float(value)):
            assert not re.search(rf"(?<![\d.]){re.escape(shown)}(?![\d])", message), (
                f"the message shows the expected value {shown}: {message}"
            )


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_check_cells_hold_no_literal(source):
    cells = check_cells(source)
    assert cells, f"{source.name}: no check cells"
    prefix = source.stem[:2]
    for cell in cells:
        tree = ast.parse(cell)
        for statement in tree.body:
            assert isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call), (
                f"{source.name}: a check cell holds only check(...) calls, found:\n{cell}"
            )
            call = statement.value
            assert isinstance(call.func, ast.Name) and call.func.id == "check", cell
            key = call.args[0]
            assert isinstance(key, ast.Constant) and re.fullmatch(rf"{prefix}\.\d", key.value), cell
            keys_in_subscripts = {
                id(node.slice) for node in ast.walk(call) if isinstance(node, ast.Subscript)
            }
            for node in ast.walk(call):
                if isinstance(node, ast.Constant) and node is not key:
                    assert isinstance(node.value, str) and id(node) in keys_in_subscripts, (
                        f"{source.name}: the literal {node.value!r} in a check cell:\n{cell}"
                    )


def test_every_exercise_is_checked_once():
    keys = []
    for source in SOURCES:
        for cell in check_cells(source):
            keys += re.findall(r'check\("(\d\d\.\d)"', cell)
    assert sorted(keys) == sorted(set(keys)), "an exercise is checked twice"
    assert set(keys) == set(EXERCISES), (
        f"registered but not checked: {sorted(set(EXERCISES) - set(keys))}; "
        f"checked but not registered: {sorted(set(keys) - set(EXERCISES))}"
    )


def wrong_numbers(expected: float) -> list[float]:
    off = [-expected, expected * 4, expected / 4, expected * 10, expected * 1.5, expected + 0.37]
    return [v for v in off if not math.isclose(v, expected, rel_tol=1e-3)]


@settings(max_examples=200, deadline=None)
@given(st.floats(-1e4, 1e4, allow_nan=False).filter(lambda v: abs(v) > 1e-3))
def test_a_wrong_number_is_told_what_is_off_not_the_answer(expected):
    for answer in wrong_numbers(expected):
        with pytest.raises(ExerciseError) as error:
            close("exercise", answer, expected, factors={"the batch size": 32})
        assert_hidden(str(error.value), expected)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.floats(-100, 100, allow_nan=False).filter(lambda v: abs(v) > 1e-2), min_size=2, max_size=6),
    st.integers(0, 5),
)
def test_a_wrong_array_names_the_entries_not_their_values(expected, index):
    expected = np.array(expected)
    answer = expected.copy()
    answer[index % len(expected)] += 1.0
    with pytest.raises(ExerciseError) as error:
        close("exercise", answer, expected)
    message = str(error.value)
    assert "entries differ" in message
    assert_hidden(message, expected)


@settings(max_examples=100, deadline=None)
@given(st.integers(10, 10**6), st.integers(1, 1000))
def test_a_wrong_count_does_not_show_the_count(expected, delta):
    with pytest.raises(ExerciseError) as error:
        exact("exercise", expected + delta, expected)
    assert_hidden(str(error.value), expected)


def test_signs_factors_orders_and_entries_are_named():
    cases = [
        (-2.5, 2.5, "sign is wrong"),
        (2.5 * 32, 2.5, "the batch size times too large"),
        (2.5 / 32, 2.5, "the batch size times too small"),
        (250.0, 2.5, "about 100 times too large"),
        (3.0, 2.5, "right order of magnitude but is too large"),
        ([1.0, 5.0, 3.0], [1.0, 2.0, 3.0], "1 of 3 entries differ: at 1"),
        ([[1.0, 2.0]], [1.0, 2.0], "should have shape (2,)"),
    ]
    for answer, expected, words in cases:
        with pytest.raises(ExerciseError, match=re.escape(words)):
            close("exercise", answer, expected, factors={"the batch size": 32})
    with pytest.raises(ExerciseError, match=r"positions \[1\] are wrong"):
        exact("exercise", ["un", "##x"], ["un", "##happ"])
    with pytest.raises(ExerciseError, match="3 items, too many"):
        exact("exercise", (1, 2, 3), (4, 5))


def test_a_wrong_type_gets_a_sentence():
    with pytest.raises(ExerciseError, match="expected a number, you gave a string"):
        check("01.2", "minus twenty-four")
    with pytest.raises(ExerciseError, match="expected a function, you gave a number"):
        check("05.3", 3.0)
    with pytest.raises(ExerciseError, match=r"expected a whole number \(an int\), you gave a string"):
        exact("exercise 1", "12", 12)
    with pytest.raises(ExerciseError, match="expected one of"):
        check("11.3", "everything", parts={"a": "query", "b": "key"}, grad_norms=np.array([[1.0, 2.0]]))


def test_none_is_not_answered_and_a_right_answer_is_correct(capsys):
    check("07.1", None)
    check("05.3", lambda dout: None)
    check("12.2", 1 + 0.9 + 0.81)
    check("05.3", lambda dout: dout.sum(axis=0))
    printed = capsys.readouterr().out.splitlines()
    assert printed == [
        "exercise 1: not answered yet (replace `None` in the answer cell, then run this cell again)",
        "exercise 3: not answered yet (replace `None` in the answer cell, then run this cell again)",
        "exercise 2: correct",
        "exercise 3: correct",
    ]


# exercises whose right answer needs no lesson object: (key, the right answer worked out here)
STANDALONE = [
    ("01.2", 2 * (2 * -3 + 10) * -3),
    ("04.2", 1 - 0.99**2),
    ("04.4", [0.2, -0.1, 0.4]),
    ("05.1", 2 * (1 - 0.5**2)),
    ("07.1", math.log(8)),
    ("12.1", -0.01),
    ("12.2", 2.71),
]


@pytest.mark.parametrize("key, right", STANDALONE, ids=[k for k, _ in STANDALONE])
def test_standalone_exercises_accept_the_answer_and_hide_it(key, right, capsys):
    check(key, right)
    assert capsys.readouterr().out.endswith(": correct\n")
    right = np.asarray(right, dtype=float)
    for wrong in (-right, right * 10, right * 1.5 + 0.01):
        with pytest.raises(ExerciseError) as error:
            check(key, wrong.tolist())
        assert_hidden(str(error.value), right)


def test_a_check_with_a_lesson_object_hides_its_answer():
    rng = np.random.default_rng(0)
    P = rng.random((27, 27))
    P /= P.sum(axis=1, keepdims=True)
    stoi = {c: i + 1 for i, c in enumerate("abcdefghijklmnopqrstuvwxyz")}
    ids = [0, 1, 22, 1, 0]
    right = -np.mean(np.log(P[ids[:-1], ids[1:]]))
    check("02.1", right, P=P, stoi=stoi)
    for wrong in (-right, right * 4, right + 0.05):
        with pytest.raises(ExerciseError) as error:
            check("02.1", wrong, P=P, stoi=stoi)
        assert_hidden(str(error.value), right)
    with pytest.raises(ExerciseError, match="4 \\(the number of pairs\\) times too large"):
        check("02.1", right * 4, P=P, stoi=stoi)
    with pytest.raises(TypeError, match="pass the lesson objects stoi"):
        check("02.1", right, P=P)


def test_function_exercises_run_the_learners_function():
    def merge(ids, pair, new_id):  # overlapping pairs merged twice: a classic mistake
        out = []
        for i, token in enumerate(ids):
            if i + 1 < len(ids) and (token, ids[i + 1]) == pair:
                out.append(new_id)
            elif not (i > 0 and (ids[i - 1], token) == pair):
                out.append(token)
        return out

    with pytest.raises(ExerciseError, match=r"merge\(\[5, 5, 5\], \(5, 5\), 7\) gave \[7, 7\]"):
        check("06.2", merge)
    with pytest.raises(ExerciseError, match="inf or nan"):
        check("07.3", lambda q, k, v: np.exp(q @ k.T) / np.exp(q @ k.T).sum(-1, keepdims=True) @ v)


def test_output_dir_without_the_variable_leaves_no_folder_behind(tmp_path):
    import os
    import subprocess

    env = {k: v for k, v in os.environ.items() if k != "TG_NOTEBOOK_OUT"}
    code = (
        "from tinygrad_edu.exercises import output_dir\n"
        "a, b = output_dir('lesson_a'), output_dir('lesson_b')\n"
        "(a / 'model.bin').write_bytes(b'x')\n"
        "assert a.parent == b.parent\n"
        "print(a.parent)\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    folder = Path(run.stdout.strip())
    assert folder.name.startswith("tinygrad_edu_") and not folder.exists()
