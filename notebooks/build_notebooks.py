"""Build the lesson notebooks (`notebooks/NN_*.ipynb`) from their sources (`notebooks/src/NN_*.py`).

A source is a Python file in the "percent" cell format that editors (VS Code, PyCharm, Spyder) run cell
by cell:

    # %% [markdown]
    # # A title
    # Text in Markdown, with LaTeX: $\\partial L / \\partial w$.

    # %%
    x = 1 + 1

    # %% [answer ex1]
    answer = None            # an exercise's answer cell: `solutions/NN_*.py` holds the same tag

The sources are what reviewers read and `ruff` checks; the `.ipynb` files are what learners open in
Jupyter, committed without outputs. `tests/test_notebooks.py` fails when the two disagree.

Run: python notebooks/build_notebooks.py            (rewrite every notebook from its source)
     python notebooks/build_notebooks.py --check    (exit 1 if a notebook is out of date)
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
from pathlib import Path

import nbformat

NOTEBOOKS_DIR = Path(__file__).resolve().parent
SOURCES_DIR = NOTEBOOKS_DIR / "src"
SOLUTIONS_DIR = NOTEBOOKS_DIR / "solutions"

# "# %%", "# %% [markdown]" or "# %% [answer ex1]" at the start of a line opens a new cell
CELL_MARKER = re.compile(r"^# %%(?: \[(?P<kind>markdown|answer (?P<answer>\w+))\])?\s*$")

KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


def parse_cells(text: str) -> list[dict]:
    """Split a percent-format source into cells: dicts with `kind` (code/markdown), `source`, `answer`."""
    cells: list[dict] = []
    current: dict | None = None
    for line in text.splitlines():
        match = CELL_MARKER.match(line)
        if match:
            kind = "markdown" if match["kind"] == "markdown" else "code"
            current = {"kind": kind, "lines": [], "answer": match["answer"]}
            cells.append(current)
        elif current is not None:
            if current["kind"] == "markdown":
                if line and not line.startswith("#"):
                    raise ValueError(f"parse_cells: a markdown cell line must start with '#': {line!r}")
                line = line[2:] if line.startswith("# ") else line[1:]
            current["lines"].append(line)
        elif line.strip() and not line.startswith("#"):
            raise ValueError(f"parse_cells: code before the first '# %%' marker: {line!r}")
    for cell in cells:  # blank lines between cells belong to neither
        lines = cell.pop("lines")
        while lines and not lines[-1].strip():
            lines.pop()
        while lines and not lines[0].strip():
            lines.pop(0)
        cell["source"] = "\n".join(lines)
    return cells


def answer_cells(text: str) -> dict[str, str]:
    """The `[answer NAME]` cells of a source or solution file: {NAME: source}."""
    return {cell["answer"]: cell["source"] for cell in parse_cells(text) if cell["answer"]}


def build_notebook(source_path: Path, answers: dict[str, str] | None = None) -> nbformat.NotebookNode:
    """The notebook for one source file, without outputs. `answers` replaces answer cells by name
    (the tests use it to run a notebook with its solutions filled in)."""
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = dict(KERNELSPEC)
    notebook.metadata["language_info"] = {"name": "python"}
    for index, cell in enumerate(parse_cells(source_path.read_text(encoding="utf-8"))):
        cell_id = f"{source_path.stem[:2]}-{index:03d}"  # stable ids: rebuilding changes nothing
        if cell["kind"] == "markdown":
            notebook.cells.append(nbformat.v4.new_markdown_cell(cell["source"], id=cell_id))
            continue
        source = cell["source"]
        metadata = {}
        if cell["answer"]:
            metadata["tags"] = [f"answer-{cell['answer']}"]
            if answers is not None:
                if cell["answer"] not in answers:
                    raise KeyError(f"build_notebook: no solution for answer cell {cell['answer']!r}")
                source = answers[cell["answer"]]
        notebook.cells.append(nbformat.v4.new_code_cell(source, id=cell_id, metadata=metadata))
    nbformat.validate(notebook)
    return notebook


def notebook_text(notebook: nbformat.NotebookNode) -> str:
    return nbformat.writes(notebook) + "\n"


def source_files() -> list[Path]:
    return sorted(SOURCES_DIR.glob("[0-9][0-9]_*.py"))


def target_path(source_path: Path) -> Path:
    return NOTEBOOKS_DIR / f"{source_path.stem}.ipynb"


def write_atomic(path: Path, text: str) -> None:
    fd, tmp_name = tempfile.mkstemp(suffix=".ipynb", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(tmp_name, path)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="only report notebooks that are out of date")
    args = parser.parse_args()
    stale = []
    for source in source_files():
        target = target_path(source)
        text = notebook_text(build_notebook(source))
        if target.exists() and target.read_text(encoding="utf-8") == text:
            continue
        stale.append(target.name)
        if not args.check:
            write_atomic(target, text)
            print(f"wrote {target.relative_to(NOTEBOOKS_DIR.parent)}")
    if args.check and stale:
        print("out of date (run python notebooks/build_notebooks.py):", ", ".join(stale))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
