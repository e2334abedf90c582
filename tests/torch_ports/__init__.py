"""Programs written for PyTorch, in the style of the code learners read (nanoGPT, minGPT, makemore and
the makemore lectures), and the loader that runs each one on torch or, with only its import lines
changed, on tinygrad_edu. The tests beside them compare the two runs number by number."""

from __future__ import annotations

import re
import sys
import types
from pathlib import Path

HERE = Path(__file__).parent

# the only edits made to a program: its torch imports name tinygrad_edu instead
IMPORT_SWAPS = [
    (r"^(\s*)import torch\.nn as nn$", r"\1import tinygrad_edu.nn as nn"),
    (r"^(\s*)from torch\.nn import functional as F$", r"\1from tinygrad_edu.nn import functional as F"),
    (r"^(\s*)import torch\.nn\.functional as F$", r"\1import tinygrad_edu.nn.functional as F"),
    (r"^(\s*)from torch\.utils\.data import (.*)$", r"\1from tinygrad_edu.utils.data import \2"),
    (
        r"^(\s*)from torch\.utils\.data\.dataloader import (.*)$",
        r"\1from tinygrad_edu.utils.data.dataloader import \2",
    ),
    (r"^(\s*)import torch$", r"\1import tinygrad_edu as torch"),
]
IMPORT_LINE = re.compile(r"^\s*(import|from)\s")


def swap_imports(source: str) -> str:
    """The program with its torch import lines pointing at tinygrad_edu; nothing else changes."""
    lines = []
    for line in source.split("\n"):
        for pattern, replacement in IMPORT_SWAPS:
            line = re.sub(pattern, replacement, line)
        lines.append(line)
    return "\n".join(lines)


def changed_lines(name: str) -> list[tuple[str, str]]:
    """(original, swapped) for every line the swap changed."""
    source = (HERE / f"{name}.py").read_text()
    return [(a, b) for a, b in zip(source.split("\n"), swap_imports(source).split("\n")) if a != b]


def load(name: str, library: str) -> types.ModuleType:
    """Run tests/torch_ports/<name>.py as a module on `library` ("torch" or "tinygrad_edu")."""
    path = HERE / f"{name}.py"
    source = path.read_text()
    if library == "tinygrad_edu":
        source = swap_imports(source)
    elif library != "torch":
        raise ValueError(f"library must be 'torch' or 'tinygrad_edu', not {library!r}")
    module = types.ModuleType(f"torch_ports.{name}_on_{library}")
    module.__file__ = str(path)
    sys.modules[module.__name__] = module  # dataclasses look their module up
    exec(compile(source, str(path), "exec"), module.__dict__)
    return module
