"""`--health` in the training scripts: health.png and health.jsonl beside loss.png, and nothing without it."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "MPLBACKEND": "Agg", "PYTHONPATH": str(ROOT)}


def run(script: str, *args) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, str(ROOT / "examples" / script), *map(str, args), "--no-progress"],
        cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    return result


@pytest.fixture(scope="module")
def words(tmp_path_factory):
    path = tmp_path_factory.mktemp("data") / "names.txt"
    path.write_text("\n".join((ROOT / "data" / "names.txt").read_text().split()[:300]) + "\n")
    return path


def records(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "health.jsonl").read_text().splitlines()]


def test_mlp_bn_health_writes_dashboard_and_numbers(words, tmp_path):
    result = run(
        "train_mlp_bn.py", "--data", words, "--steps", 40, "--n-hidden", 16, "--n-layers", 2,
        "--out", tmp_path, "--health", "--health-every", 10,
    )  # fmt: skip
    assert (tmp_path / "health.png").read_bytes()[:4] == b"\x89PNG" and (tmp_path / "loss.png").is_file()
    rows = records(tmp_path)
    assert [r["step"] for r in rows] == [0, 10, 20, 30]
    assert len(rows[-1]["activations"]) == 2  # the two Tanh layers
    assert all("update_data_log10" in p for p in rows[-1]["params"].values())
    assert "health at step 30" in result.stdout


def test_without_health_nothing_is_written(words, tmp_path):
    run("train_mlp.py", "--data", words, "--steps", 20, "--n-hidden", 16, "--out", tmp_path)
    assert not (tmp_path / "health.png").exists() and not (tmp_path / "health.jsonl").exists()


def test_gpt_health_has_attention_and_clip_events_and_survives_resume(words, tmp_path):
    common = ["--data", words, "--steps", 30, "--n-layer", 1, "--n-embd", 16, "--n-head", 2,
              "--batch-size", 8, "--eval-interval", 10, "--eval-examples", 50, "--samples", 1,
              "--out", tmp_path, "--health", "--health-every", 5]  # fmt: skip
    run("train_gpt.py", *common, "--stop-after", 12)
    assert [r["step"] for r in records(tmp_path)] == [0, 5, 10]
    run("train_gpt.py", *common, "--resume")
    rows = records(tmp_path)
    assert [r["step"] for r in rows] == [0, 5, 10, 15, 20, 25]  # no step twice, none missing
    assert len(rows[-1]["attention"]["blocks.0.attn"]) == 2  # entropy per head
    assert rows[-1]["clip"]["steps"] == 5 and rows[-1]["clip"]["max_norm"] == 1.0
    assert (tmp_path / "health.png").is_file()
