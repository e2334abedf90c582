"""The foundation's scripts run: examples/train_moons.py, examples/draw_graph.py (via subprocess)."""

import json
import os
import shutil
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _run(args, tmp_path):
    env = dict(os.environ, PYTHONPATH=REPO + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run(
        [sys.executable, *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize("script", ["train_moons.py", "draw_graph.py"])
def test_help(script, tmp_path):
    result = _run([os.path.join(REPO, "examples", script), "--help"], tmp_path)
    assert result.returncode == 0 and "--out" in result.stdout


def test_train_moons_few_steps(tmp_path):
    out = tmp_path / "moons"
    result = _run(
        [os.path.join(REPO, "examples", "train_moons.py"), "--steps", "5", "--out", str(out)], tmp_path
    )
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["steps"] == 5 and summary["final_accuracy"] > 0.7  # 50% is chance
    assert os.path.getsize(out / "moons_decision_boundary.png") > 1000


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's `dot` program is not installed")
def test_draw_graph_renders(tmp_path):
    out = tmp_path / "graph"
    result = _run([os.path.join(REPO, "examples", "draw_graph.py"), "--out", str(out)], tmp_path)
    assert result.returncode == 0, result.stderr
    assert "neuron.svg" in result.stdout and "neuron.png" in result.stdout
    assert (out / "neuron.svg").read_text().lstrip().startswith("<?xml")
    assert "out | data 0.7071" in (out / "neuron.dot").read_text()


def test_draw_graph_without_dot_exits_with_one_line(tmp_path):
    env_path = str(tmp_path / "empty-bin")  # a PATH on which `dot` cannot be found
    os.makedirs(env_path)
    env = dict(os.environ, PATH=env_path, PYTHONPATH=REPO)
    result = subprocess.run(
        [sys.executable, os.path.join(REPO, "examples", "draw_graph.py"), "--out", str(tmp_path / "g")],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert result.stderr.strip().count("\n") == 0 and "`dot` program is not installed" in result.stderr
    assert (tmp_path / "g" / "neuron.dot").exists()
