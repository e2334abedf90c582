"""Finding the repository's data files from any working directory."""

from __future__ import annotations

import os
from pathlib import Path

# tinygrad_edu/data/paths.py -> the repository root (for a checkout or an editable install)
REPO_ROOT = Path(__file__).resolve().parents[2]


def find_data_file(path: str | os.PathLike) -> Path:
    """`path` as given if it exists (or is absolute); otherwise the same relative path under the
    repository root, so that `data/names.txt` works from `notebooks/` or `examples/` too."""
    given = Path(path)
    if given.exists() or given.is_absolute():
        return given
    under_root = REPO_ROOT / given
    return under_root if under_root.exists() else given
