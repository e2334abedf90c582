"""examples/train_gpt.py and examples/plot_attention.py: --help, tiny runs on names and on a character
stream, exact resumption, the final JSON line, sampling from the checkpoint, and bad input."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = REPO_ROOT / "examples"
sys.path.insert(0, str(EXAMPLES))

import plot_attention  # noqa: E402
import train_gpt  # noqa: E402

TINY = [
    "--n-layer",
    "1",
    "--n-head",
    "2",
    "--n-embd",
    "16",
    "--batch-size",
    "16",
    "--no-progress",
    "--samples",
    "3",
]


def run_script(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("script", ["train_gpt.py", "plot_attention.py"])
def test_help(script):
    result = run_script(str(EXAMPLES / script), "--help")
    assert result.returncode == 0 and "usage" in result.stdout


def test_bad_input_gives_one_error_line(tmp_path):
    result = run_script(
        str(EXAMPLES / "train_gpt.py"), "--data", str(tmp_path / "missing.txt"), "--out", str(tmp_path)
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [f"error: data file not found: {tmp_path / 'missing.txt'}"]


def last_json(capsys) -> dict:
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def test_names_run_writes_checkpoint_plot_and_json(tmp_path, capsys):
    out = tmp_path / "run"
    argv = ["--data", "data/names.txt", "--steps", "8", "--eval-interval", "4", "--out", str(out), *TINY]
    result = train_gpt.main(argv)
    printed = last_json(capsys)
    assert printed["steps"] == 8 and len(printed["samples"]) == 3
    for key in ("train_loss", "val_loss", "test_loss", "params", "seconds", "checkpoint"):
        assert key in printed and printed[key] == pytest.approx(result[key], abs=1e-4)
    assert printed["test_loss"] < 3.3  # below log(27): it learned something
    assert (out / "model.npz").is_file() and (out / "loss.png").is_file()

    # the shared sampler and the attention plot both read the checkpoint
    sample = run_script(str(EXAMPLES / "sample.py"), "--checkpoint", str(out), "--n", "2")
    assert sample.returncode == 0, sample.stderr
    png = plot_attention.main(["--checkpoint", str(out), "--text", "emma", "--out", str(tmp_path / "a.png")])
    assert Path(png).stat().st_size > 1000
    with pytest.raises(ValueError, match="reads at most"):
        plot_attention.main(["--checkpoint", str(out), "--text", "x" * 40])


def test_resume_continues_exactly(tmp_path, capsys):
    common = ["--data", "data/names.txt", "--steps", "8", "--eval-interval", "3", "--dropout", "0.1", *TINY]
    straight = train_gpt.main([*common, "--out", str(tmp_path / "a")])
    capsys.readouterr()
    assert train_gpt.main([*common, "--out", str(tmp_path / "b"), "--stop-after", "5"]) is None
    assert last_json(capsys)["step"] == 5
    resumed = train_gpt.main([*common, "--out", str(tmp_path / "b"), "--resume"])
    for key in ("train_loss", "val_loss", "test_loss"):
        assert resumed[key] == straight[key]
    assert resumed["samples"] == straight["samples"]
    with pytest.raises(FileNotFoundError, match="no checkpoint"):
        train_gpt.main([*common, "--out", str(tmp_path / "c"), "--resume"])


def test_char_stream_run(tmp_path, capsys):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("\n".join(f"Speech {i}: to be, or not to be, that is the question." for i in range(40)))
    argv = [
        "--data",
        str(corpus),
        "--char-stream",
        "--block-size",
        "16",
        "--steps",
        "6",
        "--eval-interval",
        "3",
    ]
    result = train_gpt.main(
        [*argv, "--sample-tokens", "20", "--prompt", "to", "--out", str(tmp_path / "s"), *TINY]
    )
    printed = last_json(capsys)
    assert "test_loss" not in printed and printed["val_loss"] == pytest.approx(result["val_loss"], abs=1e-4)
    assert all(text.startswith("to") and len(text) == 22 for text in printed["samples"])
