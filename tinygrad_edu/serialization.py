"""Checkpoints: `tg.save(obj, path)` and `tg.load(path)` for state dicts, as an `.npz` with no pickled code.

The file is an ordinary numpy archive. Every tensor or array becomes one entry ("t0", "t1", ...), and
one more entry, "__structure__", holds JSON describing the object with each array replaced by a
reference to its entry. Loading therefore never runs code from the file (`allow_pickle=False`), and
the file can be inspected with plain `numpy.load`.

What can be saved: dicts (keys str, int, float, bool or None; OrderedDict kept), lists, tuples,
Tensors, numpy arrays and scalars, and plain numbers, strings, booleans and None.

Writing is atomic: the archive goes to a temporary file in the same directory, which then replaces the
target with `os.replace`; a crash mid-write leaves the old checkpoint intact and no temporary file.
"""

from __future__ import annotations

import json
import os
import zipfile
from collections import OrderedDict
from typing import Any

import numpy as np

from tinygrad_edu.device import check_device
from tinygrad_edu.files import atomic_write
from tinygrad_edu.tensor import Tensor

FORMAT = "tinygrad_edu.checkpoint"
VERSION = 1
_STRUCTURE = "__structure__"


def _encode(obj: Any, arrays: dict[str, np.ndarray], where: str) -> Any:
    """A JSON-able description of `obj`; arrays are moved into `arrays` and referenced by name."""
    if obj is None or isinstance(obj, bool | int | str):
        return obj
    if isinstance(obj, float):
        return obj if np.isfinite(obj) else {"__float__": repr(obj)}
    if isinstance(obj, Tensor | np.ndarray | np.generic):
        array = np.asarray(obj.data if isinstance(obj, Tensor) else obj)
        if array.dtype.kind not in "biuf":
            raise TypeError(f"save: cannot store an array of dtype {array.dtype} (at {where})")
        name = f"t{len(arrays)}"
        arrays[name] = array
        if isinstance(obj, Tensor):
            return {"__tensor__": name, "requires_grad": bool(obj.requires_grad)}
        return {"__ndarray__" if isinstance(obj, np.ndarray) else "__npscalar__": name}
    if isinstance(obj, dict):
        items = []
        for key, value in obj.items():
            if key is not None and not isinstance(key, str | int | float | bool):
                raise TypeError(
                    f"save: dict keys must be str, int, float, bool or None, got {type(key).__name__} (at {where})"
                )
            items.append([key, _encode(value, arrays, f"{where}[{key!r}]")])
        return {"__dict__": items, "ordered": isinstance(obj, OrderedDict)}
    if isinstance(obj, list | tuple):
        encoded = [_encode(value, arrays, f"{where}[{i}]") for i, value in enumerate(obj)]
        return encoded if isinstance(obj, list) else {"__tuple__": encoded}
    hint = " (save its state_dict() instead)" if hasattr(obj, "state_dict") else ""
    raise TypeError(f"save: cannot store an object of type {type(obj).__name__} (at {where}){hint}")


def _decode(node: Any, arrays) -> Any:
    """The object `_encode` described; a node of any other shape raises (load turns it into ValueError)."""
    if isinstance(node, list):
        return [_decode(value, arrays) for value in node]
    if not isinstance(node, dict):
        return node
    if "__tensor__" in node:
        tensor = Tensor._wrap(arrays[node["__tensor__"]])
        return tensor.requires_grad_(True) if node.get("requires_grad") else tensor
    if "__ndarray__" in node:
        return arrays[node["__ndarray__"]]
    if "__npscalar__" in node:
        return arrays[node["__npscalar__"]][()]
    if "__float__" in node:
        return float(node["__float__"])
    if "__tuple__" in node:
        return tuple(_decode(value, arrays) for value in node["__tuple__"])
    if "__dict__" in node:
        if not all(isinstance(item, list) and len(item) == 2 for item in node["__dict__"]):
            raise ValueError("a dict entry is not a [key, value] pair")
        pairs = [(key, _decode(value, arrays)) for key, value in node["__dict__"]]
        return OrderedDict(pairs) if node.get("ordered") else dict(pairs)
    raise ValueError(f"unknown node {sorted(node)}")


def save(obj: Any, path: str | os.PathLike) -> None:
    """Write `obj` (a state dict or a nested structure of tensors and plain values) to `path`."""
    path = os.fspath(path)
    arrays: dict[str, np.ndarray] = {}
    structure = {"format": FORMAT, "version": VERSION, "root": _encode(obj, arrays, "obj")}
    text = json.dumps(structure).encode("utf-8")
    arrays[_STRUCTURE] = np.frombuffer(text, dtype=np.uint8)
    with atomic_write(path) as file:
        np.savez(file, **arrays)  # a file object, so numpy does not append ".npz" to the name


def load(path: str | os.PathLike, map_location=None, weights_only: bool = True, **pickle_load_args) -> Any:
    """Read what `save` wrote. A missing file raises FileNotFoundError; a truncated, corrupt or foreign
    file raises ValueError naming the path. `map_location` may name the CPU (everything loads there);
    `weights_only` is accepted as torch's: the format holds only data, never code."""
    if map_location is not None and not callable(map_location) and not isinstance(map_location, dict):
        check_device(map_location, "load")
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"load: no such checkpoint file: {path!r}")
    with open(path, "rb") as file:
        magic = file.read(6)
    try:
        if not magic:
            raise ValueError("the file is empty")
        if not magic.startswith((b"PK", b"\x93NUMPY")):
            raise ValueError("it is not a numpy .npz archive")
        archive = np.load(path, allow_pickle=False)
        if not isinstance(archive, np.lib.npyio.NpzFile):
            raise ValueError("it holds a single numpy array, not an archive")
        with archive:
            if _STRUCTURE not in archive.files:
                raise ValueError("it has no __structure__ entry")
            structure = json.loads(archive[_STRUCTURE].tobytes().decode("utf-8"))
            if not isinstance(structure, dict) or structure.get("format") != FORMAT:
                raise ValueError("its structure entry does not name the tinygrad_edu checkpoint format")
            if structure.get("version", 0) > VERSION:
                raise ValueError(
                    f"it has format version {structure.get('version')}, newer than this code ({VERSION})"
                )
            arrays = {name: archive[name] for name in archive.files if name != _STRUCTURE}
        for name, array in arrays.items():
            if array.dtype.kind not in "biuf":  # what save() writes; a complex or text array is foreign
                raise ValueError(f"entry {name} has dtype {array.dtype}, which save() never writes")
        return _decode(structure["root"], arrays)
    # a malformed file can raise any of these; the caller gets one kind, naming the file
    except (
        ValueError,
        OSError,
        EOFError,
        KeyError,
        TypeError,
        AttributeError,
        IndexError,
        RecursionError,
        MemoryError,
        zipfile.BadZipFile,
        UnicodeDecodeError,
    ) as error:
        reason = f"an entry it refers to is missing: {error}" if isinstance(error, KeyError) else error
        raise ValueError(
            f"load: {path!r} is not a readable tinygrad_edu checkpoint (truncated, corrupt or another format): {reason}"
        ) from error
