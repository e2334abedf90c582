"""The Mini-BERT scripts end to end, on a small slice of the corpus and a very small model:
train_bert.py (the loss falls, --resume continues exactly), fill_mask.py, evaluate_bert.py,
visualize_bert.py, and bad input (one clear line on stderr, exit status 1)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

import tinygrad_edu as tg

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
# small enough for seconds per run on a busy 2-core machine; dropout stays on (it must resume exactly)
SMALL_MODEL = [
    "--preset", "tiny", "--vocab-size", "400", "--hidden-size", "32", "--num-heads", "2",
    "--intermediate-size", "64", "--seq-len", "24", "--max-position-embeddings", "32",
    "--batch-size", "16", "--lr", "3e-3", "--eval-rows", "32", "--no-progress",
]  # fmt: skip


def run(script: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / script), *map(str, args)], cwd=ROOT, capture_output=True, text=True
    )
    if check and result.returncode != 0:
        raise AssertionError(f"{script} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result


def final_json(result: subprocess.CompletedProcess) -> dict:
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("corpus") / "speeches.txt"
    lines = (ROOT / "data" / "shakespeare.txt").read_text(encoding="utf-8").splitlines()[:500]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def trained(corpus, tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("bert") / "checkpoint"
    result = run(
        "train_bert.py", *SMALL_MODEL, "--data", corpus, "--steps", 40, "--eval-interval", 20, "--out", out
    )
    assert "unigram baseline" in result.stdout
    return out, final_json(result)


def test_training_writes_a_checkpoint_and_the_loss_falls(trained):
    out, metrics = trained
    for name in ("config.json", "model.safetensors", "vocab.txt", "training_state.npz", "loss.png"):
        assert (out / name).is_file(), name
    assert {"val_loss", "val_accuracy", "val_perplexity", "params", "seconds", "checkpoint"} <= set(metrics)
    assert metrics["baseline_loss"] > 0 and 0 <= metrics["val_accuracy"] <= 1
    losses = tg.load(out / "training_state.npz")["train_losses"]
    assert len(losses) == 40
    # from log(400) ~ 6 at the start; the batch loss is noisy, so compare averages of 8 steps
    assert sum(losses[-8:]) / 8 < sum(losses[:8]) / 8 - 0.25, losses


def test_resume_continues_exactly(trained, corpus, tmp_path):
    checkpoint, _ = trained
    common = [*SMALL_MODEL, "--data", corpus, "--tokenizer", checkpoint, "--steps", 4, "--eval-interval", 2]
    whole = final_json(run("train_bert.py", *common, "--out", tmp_path / "whole"))
    run("train_bert.py", *common, "--out", tmp_path / "split", "--stop-after", 2)
    resumed = run("train_bert.py", *common, "--out", tmp_path / "split", "--resume")
    assert "resumed from" in resumed.stdout
    losses = [tg.load(tmp_path / name / "training_state.npz")["train_losses"] for name in ("whole", "split")]
    assert losses[0] == losses[1]  # the same numbers, bit for bit
    assert final_json(resumed)["val_loss"] == whole["val_loss"]


def test_fill_mask_evaluate_and_visualize_run_on_the_checkpoint(trained, corpus, tmp_path):
    checkpoint, metrics = trained
    result = run("fill_mask.py", "--checkpoint", checkpoint, "--top-k", 3, "to be or not to [MASK] .")
    assert result.stdout.count("%") == 3 and "best guess" in result.stdout

    scores = final_json(
        run(
            "evaluate_bert.py",
            "--checkpoint",
            checkpoint,
            "--data",
            corpus,
            "to be or not to be .",
            "be be be .",
        )
    )
    assert scores["val_loss"] == pytest.approx(metrics["val_loss"], rel=1e-4)  # the same held-out tokens
    assert scores["baseline_loss"] == pytest.approx(metrics["baseline_loss"], rel=1e-6)
    assert all(value > 1 for value in scores["pseudo_perplexity"].values())

    figures = final_json(
        run(
            "visualize_bert.py",
            "--checkpoint",
            checkpoint,
            "--out",
            tmp_path,
            "--data",
            corpus,
            "--seq-len",
            24,
            "--ablation-rows",
            16,
            "good morrow , my lord .",
        )  # fmt: skip
    )["figures"]
    assert len(figures) == 11
    for path in figures.values():
        assert Path(path).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize(
    "script, args, message",
    [
        ("fill_mask.py", ["--checkpoint", "{missing}", "a [MASK] ."], "no checkpoint folder"),
        ("evaluate_bert.py", ["--checkpoint", "{missing}"], "no checkpoint folder"),
        ("visualize_bert.py", ["--checkpoint", "{missing}", "a b c"], "no checkpoint folder"),
        (
            "fill_mask.py",
            ["--checkpoint", "{checkpoint}", "the " * 40 + "[MASK]"],
            "max_position_embeddings=32",
        ),
        ("visualize_bert.py", ["--checkpoint", "{checkpoint}", "the " * 40], "max_position_embeddings=32"),
        ("fill_mask.py", ["--checkpoint", "{checkpoint}", "no blank here"], "no [MASK]"),
        ("train_bert.py", ["--seq-len", "128", "--max-position-embeddings", "64"], "longer than"),
        ("train_bert.py", ["--out", "{missing}", "--resume"], "no "),
    ],
)
def test_bad_input_gives_one_clear_error(trained, tmp_path, script, args, message):
    checkpoint, _ = trained
    args = [a.format(missing=tmp_path / "nowhere", checkpoint=checkpoint) for a in args]
    result = run(script, *args, check=False)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], result.stderr
