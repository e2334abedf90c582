"""`python -m tinygrad_edu.doctor`: every check reported in one line, and each missing part says what
to do about it."""

from __future__ import annotations

import contextlib
import io
import subprocess
import sys
from pathlib import Path

import pytest

from tinygrad_edu import doctor

ROOT = Path(__file__).resolve().parent.parent


def run_doctor(monkeypatch=None) -> tuple[int, list[str]]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = doctor.main([])
    return code, out.getvalue().splitlines()


def test_the_doctor_runs_as_a_module_and_checks_everything():
    result = subprocess.run(
        [sys.executable, "-m", "tinygrad_edu.doctor"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    lines = result.stdout.splitlines()
    for name in doctor.CHECKS:
        assert any(line.split()[1:2] == [name] for line in lines), name
    assert result.returncode in (0, 1) and result.stderr == ""


def test_a_missing_dot_program_is_a_warning_that_says_how_to_install_it(monkeypatch):
    monkeypatch.setattr(doctor.shutil, "which", lambda name: None)
    code, lines = run_doctor()
    line = next(line for line in lines if line.split()[1] == "graphviz")
    assert line.startswith("warn") and "install graphviz" in line
    assert code == 0 or any(line.startswith("FAIL") for line in lines)


def test_missing_data_files_fail_with_what_to_do(monkeypatch, tmp_path):
    monkeypatch.setattr(doctor, "REPO_ROOT", tmp_path)
    code, lines = run_doctor()
    line = next(line for line in lines if line.split()[1] == "data")
    assert code == 1 and line.startswith("FAIL") and "names.txt" in line and "git checkout" in line


@pytest.mark.parametrize("damage", ["missing-vocab", "bad-config", "bad-weights"])
def test_a_damaged_shipped_checkpoint_is_named(monkeypatch, tmp_path, damage):
    folder = tmp_path / "checkpoints" / "mini-bert"
    folder.mkdir(parents=True)
    (folder / "config.json").write_text("{}" if damage != "bad-config" else "{oops")
    (folder / "model.safetensors").write_bytes(
        b"" if damage == "bad-weights" else b"\x08" + b"\x00" * 7 + b"{}"
    )
    if damage != "missing-vocab":
        (folder / "vocab.txt").write_text("[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\na\n")
    monkeypatch.setattr(doctor, "REPO_ROOT", tmp_path)
    status, message = doctor.check_checkpoint()
    assert status == "fail" and str(folder) in message and "git checkout" in message


def test_a_check_that_crashes_is_reported_not_raised(monkeypatch):
    def broken():
        raise ImportError("no module named numpy.core._multiarray_umath")

    monkeypatch.setitem(doctor.CHECKS, "numpy", broken)
    code, lines = run_doctor()
    assert code == 1 and any(line.startswith("FAIL") and "numpy" in line for line in lines)


def test_help_describes_the_checks():
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert doctor.main(["--help"]) == 0
    assert "Graphviz" in out.getvalue() and "Jupyter" in out.getvalue()
