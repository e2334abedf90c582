"""Atomic file writes: the one mechanism every checkpoint, tokenizer, plot and data file uses.

A file is written under a temporary name beside its target and moved into place with `os.replace`
(atomic on POSIX): a reader sees the old file or the new one, never half of one, and a crash or an
error mid-write leaves no temporary file behind.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any


@contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside `path` for a writer that wants a file name (safetensors,
    matplotlib); when the block ends without error the file replaces `path`."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(handle)
    try:
        yield Path(temporary)
        os.chmod(temporary, 0o644)  # mkstemp makes files owner-only; these are ordinary files
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise


@contextmanager
def atomic_write(path: str | os.PathLike, mode: str = "wb", **open_kwargs: Any) -> Iterator[IO]:
    """`with atomic_write("vocab.txt", "w", encoding="utf-8") as file:` like `open`, but atomic."""
    with atomic_path(path) as temporary, open(temporary, mode, **open_kwargs) as file:
        yield file
        file.flush()
        os.fsync(file.fileno())
