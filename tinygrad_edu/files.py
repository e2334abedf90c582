"""Atomic file writes: the one mechanism every checkpoint, tokenizer, plot and data file uses.

A file is written under a temporary name beside its target and moved into place with `os.replace`
(atomic on POSIX): a reader sees the old file or the new one, never half of one, and an error
mid-write leaves no temporary file behind. A process killed mid-write (kill -9, power loss) cannot clean
up; the temporary it left (".NAME.XXXXXXXX.tmp", our own naming) is removed by the next write of NAME.

`read_text` reads a text file the user named and turns every way it can be wrong (missing, a folder,
not UTF-8) into one error naming the path.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any


def _temporary_pattern(name: str) -> re.Pattern:
    # mkstemp's names: the prefix, 8 characters from [a-z0-9_], the suffix
    return re.compile(rf"^\.{re.escape(name)}\.[a-z0-9_]{{8}}\.tmp$")


def remove_stale_temporaries(path: str | os.PathLike) -> list[Path]:
    """Remove the temporaries a killed writer of `path` left beside it; returns what was removed."""
    path = Path(path)
    if not path.parent.is_dir():
        return []
    pattern = _temporary_pattern(path.name)
    removed = []
    for candidate in path.parent.iterdir():
        if pattern.match(candidate.name) and candidate.is_file():
            try:
                candidate.unlink()
                removed.append(candidate)
            except FileNotFoundError:  # another writer cleaned it first
                pass
    return removed


def read_text(path: str | os.PathLike, what: str = "file") -> str:
    """The text of a UTF-8 file; FileNotFoundError or ValueError naming `path` (and `what` it should be)."""
    path = Path(path)
    if path.is_dir():
        raise ValueError(f"{what} {path} is a folder, not a file")
    if not path.is_file():
        raise FileNotFoundError(f"{what} not found: {path}")
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise ValueError(
            f"{what} {path} is not UTF-8 text (byte {error.start}: {error.reason}); is it a binary file?"
        ) from None


@contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside `path` for a writer that wants a file name (safetensors,
    matplotlib); when the block ends without error the file replaces `path`."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(path)
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
