"""Check that a checkout is ready to use, in a few seconds: `python -m tinygrad_edu.doctor`.

One line per check: "ok" with what was found, or what is missing and the one thing to do about it.
Checked: Python, numpy and the BLAS it calls for matrix products, the run-time packages (matplotlib,
tqdm, safetensors, graphviz), a tiny forward and backward pass, Graphviz's `dot` program (graph
drawings), Jupyter (the notebooks), the data files, and the shipped Mini-BERT checkpoint when present.
The exit status is 1 when something the examples need is missing, 0 otherwise (the optional parts,
Graphviz's `dot` and Jupyter, only warn).
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path

from tinygrad_edu.data.paths import REPO_ROOT

# (status, what was found or what to do); status is "ok", "warn" (optional part) or "fail"
Result = tuple[str, str]


def check_python() -> Result:
    return "ok", f"Python {'.'.join(map(str, sys.version_info[:3]))} at {sys.executable}"


def check_numpy() -> Result:
    import numpy as np

    blas = "unknown BLAS"
    try:
        info = np.show_config(mode="dicts").get("Build Dependencies", {}).get("blas", {})
        blas = f"{info.get('name', 'unknown')} {info.get('version', '')}".strip()
    except (TypeError, AttributeError):  # numpy < 1.26 prints its configuration instead
        pass
    start = time.perf_counter()
    a = np.ones((256, 256), dtype=np.float32)
    for _ in range(20):
        a @ a
    gflops = 20 * 2 * 256**3 / (time.perf_counter() - start) / 1e9
    note = (
        ""
        if gflops > 1
        else " (slow: a numpy without an optimised BLAS? `pip install --force-reinstall numpy`)"
    )
    return "ok", f"numpy {np.__version__} with {blas}: {gflops:.0f} GFLOP/s on a 256x256 matmul{note}"


def check_packages() -> Result:
    needed = {
        "matplotlib": "matplotlib",
        "tqdm": "tqdm",
        "safetensors": "safetensors",
        "graphviz": "graphviz",
    }
    missing = [pip for module, pip in needed.items() if importlib.util.find_spec(module) is None]
    if missing:
        return (
            "fail",
            f"missing packages {', '.join(missing)}: pip install {' '.join(missing)} (or pip install -e .)",
        )
    versions = ", ".join(
        f"{name} {getattr(importlib.import_module(name), '__version__', '?')}" for name in needed
    )
    return "ok", versions


def check_autograd() -> Result:
    import tinygrad_edu as tg

    x = tg.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    (x @ x).tanh().sum().backward()
    if x.grad is None or x.grad.shape != (2, 2):
        return "fail", "a tiny backward pass gave no gradient: reinstall with pip install -e ."
    return "ok", f"tinygrad_edu from {Path(tg.__file__).parent}: forward and backward work"


def check_dot() -> Result:
    path = shutil.which("dot")
    if path is None:
        return "warn", (
            "Graphviz's `dot` program not found (needed to draw graphs as images): "
            "apt install graphviz, brew install graphviz, or conda install graphviz"
        )
    return "ok", f"Graphviz dot at {path}"


def check_jupyter() -> Result:
    found = [name for name in ("jupyterlab", "notebook", "nbclient") if importlib.util.find_spec(name)]
    if not found and shutil.which("jupyter") is None:
        return "warn", "Jupyter not found (needed for notebooks/): pip install jupyterlab"
    return "ok", f"Jupyter ({', '.join(found) or 'jupyter on PATH'})"


def check_data() -> Result:
    problems = []
    for name in ("names.txt", "shakespeare.txt"):
        path = REPO_ROOT / "data" / name
        if not path.is_file() or path.stat().st_size == 0:
            problems.append(str(path))
    if problems:
        return "fail", f"missing data files {', '.join(problems)}: restore them with git checkout -- data/"
    return "ok", f"data files in {REPO_ROOT / 'data'}"


def check_checkpoint() -> Result:
    """The shipped Mini-BERT (checkpoints/mini-bert), when the checkout has it: files complete and readable."""
    folder = REPO_ROOT / "checkpoints" / "mini-bert"
    if not folder.exists():
        return "ok", "no shipped checkpoint in this checkout (train one with examples/train_bert.py)"
    missing = [
        name for name in ("config.json", "model.safetensors", "vocab.txt") if not (folder / name).is_file()
    ]
    if missing:
        return "fail", f"{folder} lacks {', '.join(missing)}: restore it with git checkout -- checkpoints/"
    try:
        json.loads((folder / "config.json").read_text(encoding="utf-8"))
        from safetensors import safe_open

        with safe_open(str(folder / "model.safetensors"), framework="numpy") as weights:
            count = len(list(weights.keys()))
        from tinygrad_edu.data import WordPieceTokenizer

        vocab = WordPieceTokenizer.from_file(folder / "vocab.txt").vocab_size
    except Exception as error:  # any damage: say which folder and what
        return (
            "fail",
            f"{folder} is damaged ({str(error).splitlines()[0]}): restore it with git checkout -- checkpoints/",
        )
    return "ok", f"shipped Mini-BERT in {folder}: {count} weight tensors, vocabulary {vocab}"


CHECKS: dict[str, Callable[[], Result]] = {
    "python": check_python,
    "numpy": check_numpy,
    "packages": check_packages,
    "autograd": check_autograd,
    "graphviz": check_dot,
    "jupyter": check_jupyter,
    "data": check_data,
    "checkpoint": check_checkpoint,
}


def run_checks() -> list[tuple[str, str, str]]:
    """(name, status, message) for every check; a check that crashes is reported as failed."""
    results = []
    for name, check in CHECKS.items():
        try:
            status, message = check()
        except Exception as error:
            status, message = (
                "fail",
                f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}",
            )
        results.append((name, status, message))
    return results


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv:
        print(__doc__.strip())
        return 0 if set(argv) <= {"-h", "--help"} else 1
    start = time.perf_counter()
    results = run_checks()
    labels = {"ok": "ok  ", "warn": "warn", "fail": "FAIL"}
    for name, status, message in results:
        print(f"{labels[status]}  {name:10s} {message}")
    failed = [name for name, status, _ in results if status == "fail"]
    seconds = time.perf_counter() - start
    if failed:
        print(f"{len(failed)} problem(s) to fix ({', '.join(failed)}); {seconds:.1f} s")
        return 1
    print(f"ready: python examples/train_mlp.py --steps 2000 is a first run ({seconds:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
