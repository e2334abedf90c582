"""The lesson notebooks: committed without outputs, in sync with their sources, and executed top to bottom.

Each notebook in `notebooks/` is run with nbclient in a fresh kernel, in CI mode (TG_NOTEBOOK_FAST=1:
shortened trainings; TG_NOTEBOOK_OUT: a temporary folder for every file it writes). A notebook fails
when a cell raises or when it runs past its time budget. The `slow` run fills each notebook's exercise
answers with `notebooks/solutions/` and checks that every solution passes its check cell.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat", reason="the notebook tests need nbformat (the test extra)")
nbclient = pytest.importorskip("nbclient", reason="the notebook tests need nbclient (the test extra)")

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS_DIR = ROOT / "notebooks"
sys.path.insert(0, str(NOTEBOOKS_DIR))
import build_notebooks  # noqa: E402

NOTEBOOKS = sorted(NOTEBOOKS_DIR.glob("[0-9][0-9]_*.ipynb"))
# Time budget per notebook in CI mode (2 cores); most take 5-20 s, the limit leaves room for slow runners.
NOTEBOOK_TIMEOUT_S = 120
KERNEL_NAME = "tinygrad-edu-test"


@pytest.fixture(scope="module")
def kernel_env(tmp_path_factory):
    """A kernelspec for this very interpreter, installed in a temporary prefix, and the CI-mode switches.

    Installing our own spec (rather than trusting a `python3` spec found on the machine) makes the
    kernel run the interpreter pytest runs, the one with tinygrad_edu installed.
    """
    kernelspec = pytest.importorskip("ipykernel.kernelspec", reason="executing notebooks needs ipykernel")
    prefix = tmp_path_factory.mktemp("jupyter")
    try:
        kernelspec.install(kernel_name=KERNEL_NAME, prefix=str(prefix))
    except Exception as error:  # pragma: no cover - depends on the machine
        pytest.skip(f"could not install an ipykernel kernelspec: {error}")
    out_dir = tmp_path_factory.mktemp("notebook_out")
    updates = {
        "JUPYTER_PATH": os.pathsep.join(
            filter(None, [str(prefix / "share" / "jupyter"), os.environ.get("JUPYTER_PATH")])
        ),
        "TG_NOTEBOOK_FAST": "1",
        "TG_NOTEBOOK_OUT": str(out_dir),
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",  # silences a debugger warning on kernel start
    }
    saved = {key: os.environ.get(key) for key in updates}
    os.environ.update(updates)
    yield out_dir
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


def execute(notebook, name: str) -> float:
    """Run every cell in a fresh kernel with notebooks/ as the working directory; return seconds taken."""
    client = nbclient.NotebookClient(
        notebook,
        kernel_name=KERNEL_NAME,
        timeout=NOTEBOOK_TIMEOUT_S,  # per cell; the whole notebook is held to the same budget below
        resources={"metadata": {"path": str(NOTEBOOKS_DIR)}},
    )
    start = time.perf_counter()
    client.execute()
    elapsed = time.perf_counter() - start
    assert elapsed < NOTEBOOK_TIMEOUT_S, (
        f"{name} took {elapsed:.0f} s in CI mode, over its {NOTEBOOK_TIMEOUT_S} s budget"
    )
    return elapsed


def test_every_source_has_a_notebook_and_a_solution():
    sources = build_notebooks.source_files()
    assert sources, "no notebook sources found in notebooks/src"
    assert [build_notebooks.target_path(s).name for s in sources] == [p.name for p in NOTEBOOKS]
    for source in sources:
        answers = build_notebooks.answer_cells(source.read_text(encoding="utf-8"))
        assert 2 <= len(answers) <= 4, f"{source.name}: {len(answers)} exercises, the path asks for 2 to 4"
        solution = build_notebooks.SOLUTIONS_DIR / source.name
        assert solution.exists(), f"{source.name}: no solutions file at notebooks/solutions/{source.name}"
        missing = set(answers) - set(build_notebooks.answer_cells(solution.read_text(encoding="utf-8")))
        assert not missing, f"{solution.name}: no solution for {sorted(missing)}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_committed_without_outputs(path):
    notebook = nbformat.read(path, as_version=4)
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type == "code":
            assert not cell.outputs, (
                f"{path.name}: cell {index} carries outputs; clear them before committing"
            )
            assert cell.execution_count is None, f"{path.name}: cell {index} has an execution count"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_matches_its_source(path):
    source = build_notebooks.SOURCES_DIR / f"{path.stem}.py"
    expected = build_notebooks.notebook_text(build_notebooks.build_notebook(source))
    assert path.read_text(encoding="utf-8") == expected, (
        f"{path.name} differs from notebooks/src/{source.name}; edit the source, then run "
        "python notebooks/build_notebooks.py"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_top_to_bottom(path, kernel_env):
    notebook = nbformat.read(path, as_version=4)
    elapsed = execute(notebook, path.name)
    print(f"{path.name}: {elapsed:.1f} s")


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_solutions_pass_their_checks(path, kernel_env):
    source = build_notebooks.SOURCES_DIR / f"{path.stem}.py"
    solution = build_notebooks.SOLUTIONS_DIR / f"{path.stem}.py"
    answers = build_notebooks.answer_cells(solution.read_text(encoding="utf-8"))
    notebook = build_notebooks.build_notebook(source, answers=answers)
    execute(notebook, path.name)
    printed = "".join(
        output.get("text", "")
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if output.output_type == "stream"
    )
    assert "not answered yet" not in printed, f"{path.name}: a solution left an answer at None"
    assert printed.count(": correct") >= len(answers), f"{path.name}: not every check printed 'correct'"
