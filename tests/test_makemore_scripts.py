"""The makemore scripts in examples/: --help, a tiny run of each (few steps, temporary output folder),
the final JSON line, the checkpoint tools (sample, evaluate, plot_embeddings), and bad input.

Most runs call the script's `main(argv)` in this process (a fresh interpreter per run costs seconds);
the exit status and the one-line error message are checked in real subprocesses.
"""

import contextlib
import importlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
sys.path.insert(0, str(EXAMPLES))

import training_common as training  # noqa: E402

SCRIPTS = [
    "train_bigram.py",
    "train_mlp.py",
    "train_mlp_bn.py",
    "sample.py",
    "evaluate.py",
    "diagnose_mlp_bn.py",
    "plot_embeddings.py",
    "manual_backprop_mlp.py",
]
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "MPLBACKEND": "Agg"}


class Result:
    def __init__(self, returncode, stdout, stderr):
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr


def run(script, *args, check=True):
    """Run examples/<script> in this process (as `python examples/<script> args` would) and capture
    its output; a non-zero exit fails the test."""
    if str(EXAMPLES) not in sys.path:
        sys.path.insert(0, str(EXAMPLES))
    module = importlib.import_module(script.removesuffix(".py"))
    stdout, stderr = io.StringIO(), io.StringIO()
    code = 0
    cwd = os.getcwd()
    try:
        os.chdir(ROOT)
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            training.run_main(lambda: module.main([str(a) for a in args]))
    except SystemExit as exit:
        code = exit.code if isinstance(exit.code, int) else 1
        stderr.write(str(exit.code) if not isinstance(exit.code, int) else "")
    finally:
        os.chdir(cwd)
    if check:
        assert code == 0, stderr.getvalue()[-2000:]
    return Result(code, stdout.getvalue(), stderr.getvalue())


def run_process(script, *args, check=True):
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / script), *map(str, args)],
        cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    if check:
        assert result.returncode == 0, result.stderr[-2000:]
    return result


def final_json(result):
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def words_file(tmp_path_factory):
    words = (ROOT / "data" / "names.txt").read_text(encoding="utf-8").split()[:400]
    path = tmp_path_factory.mktemp("data") / "names.txt"
    path.write_text("\n".join(words) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def mlp_run(words_file, tmp_path_factory):
    out = tmp_path_factory.mktemp("mlp")
    result = run(
        "train_mlp.py", "--data", words_file, "--steps", 300, "--eval-interval", 100, "--lr-decay-step", 200,
        "--n-hidden", 32, "--out", out, "--no-progress",
    )  # fmt: skip
    return out, final_json(result)


def test_every_script_has_help():
    for script in SCRIPTS:
        result = run(script, "--help")
        assert "usage:" in result.stdout and "--" in result.stdout, script


def test_train_mlp_tiny_run_writes_everything(mlp_run):
    out, summary = mlp_run
    for key in ("train_loss", "val_loss", "test_loss", "params", "seconds", "checkpoint"):
        assert key in summary
    assert summary["train_loss"] < 3.0  # from log(27) = 3.30
    assert len(summary["samples"]) == 20
    assert Path(summary["checkpoint"]).is_file() and (out / "loss.png").is_file()
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]  # atomic writes leave no temp files


def test_sample_evaluate_and_embeddings_read_the_checkpoint(mlp_run, words_file):
    out, summary = mlp_run
    first = run("sample.py", "--checkpoint", out / "model.npz", "--n", 5, "--seed", 3)
    again = run("sample.py", "--checkpoint", out, "--n", 5, "--seed", 3)  # a run folder works too
    first_names, again_names = first.stdout.strip().splitlines()[1:], again.stdout.strip().splitlines()[1:]
    assert first_names == again_names and len(first_names) == 5
    evaluated = final_json(run("evaluate.py", "--checkpoint", out / "model.npz", "--data", words_file))
    assert evaluated["val_loss"] == pytest.approx(summary["val_loss"], abs=1e-3)
    plotted = final_json(run("plot_embeddings.py", "--checkpoint", out / "model.npz"))
    assert Path(plotted["plot"]).is_file()


def test_train_bigram_counts_and_neural(words_file, tmp_path):
    result = run(
        "train_bigram.py",
        "--data",
        words_file,
        "--steps",
        30,
        "--eval-interval",
        10,
        "--out",
        tmp_path,
        "--no-progress",
    )
    summary = final_json(result)
    assert summary["counts"]["train_loss"] < summary["train_loss"] < 3.3
    assert (tmp_path / "counts.npz").is_file() and (tmp_path / "model.npz").is_file()
    assert "neural - counts" in result.stdout


@pytest.mark.parametrize("flag", [[], ["--no-batchnorm"]])
def test_train_mlp_bn_tiny_run(words_file, tmp_path, flag):
    result = run(
        "train_mlp_bn.py", "--data", words_file, "--steps", 60, "--eval-interval", 30, "--n-hidden", 16,
        "--n-layers", 2, "--out", tmp_path, "--no-progress", *flag,
    )  # fmt: skip
    summary = final_json(result)
    assert summary["batchnorm"] == (not flag) and summary["val_loss"] < 3.4


def test_diagnose_tiny_run(words_file, tmp_path, monkeypatch):
    run("diagnose_mlp_bn.py", "--help")  # imports the module
    diagnose = sys.modules["diagnose_mlp_bn"]
    monkeypatch.setattr(diagnose, "SETUPS", diagnose.SETUPS[::3])  # two of the four set-ups: plots are slow
    result = run("diagnose_mlp_bn.py", "--data", words_file, "--steps", 10, "--n-hidden", 16, "--n-layers", 2,
                 "--out", tmp_path, "--no-progress")  # fmt: skip
    summary = final_json(result)
    assert set(summary["setups"]) == {"bn_kaiming", "nobn_badinit"}
    assert all(Path(s["plot"]).is_file() for s in summary["setups"].values())
    assert Path(summary["losses_plot"]).is_file()


def test_manual_backprop_matches_autograd(words_file):
    manual = final_json(run("manual_backprop_mlp.py", "--data", words_file, "--steps", 20, "--no-progress"))
    assert manual["passed"] and manual["max_difference"] < 1e-6


@pytest.mark.parametrize("content", [None, "", "...\n"], ids=["missing", "empty", "no-usable-words"])
def test_bad_data_file_gives_one_line_error(tmp_path, content):
    path = tmp_path / "words.txt"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    runner = run_process if content is None else run  # one real process: the exit status and stderr
    result = runner("train_mlp.py", "--data", path, "--steps", 5, "--out", tmp_path, check=False)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and str(path) in lines[0]


def test_bad_flags_and_checkpoints_give_one_line_errors(tmp_path):
    for script, args in [
        ("train_mlp.py", ["--steps", "0"]),
        ("sample.py", ["--checkpoint", tmp_path / "missing.npz"]),
        ("sample.py", ["--checkpoint", ROOT / "data" / "names.txt"]),
    ]:
        result = (run_process if script == "sample.py" else run)(script, *args, check=False)
        assert result.returncode != 0, script
        assert len(result.stderr.strip().splitlines()) == 1 and result.stderr.startswith("error:"), (
            result.stderr
        )
