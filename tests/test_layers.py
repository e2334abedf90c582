"""The package's structure: layers that only look down, and files a reader can hold in mind.

The import graph of `tinygrad_edu/` and `models/` is read with `ast` from the source (every import
statement counts, at module level or inside a function; package `__init__.py` files, which only gather
names for users, are left out) and must have no cycle. Every file stays under the line budget."""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("tinygrad_edu", "models")
LINE_BUDGET = 400  # every file stays under this many lines


def _module_files() -> dict[str, Path]:
    """Dotted module name -> file, for every module of the packages (package __init__ files left out)."""
    modules = {}
    for package in PACKAGES:
        for path in sorted((REPO / package).rglob("*.py")):
            if path.name == "__init__.py":
                continue
            modules[".".join(path.relative_to(REPO).with_suffix("").parts)] = path
    return modules


def _imported_names(path: Path, module: str) -> set[str]:
    """Every dotted name an import statement of the file reaches, relative imports resolved."""
    names = set()
    package = module.rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)  # `from pkg import module`
    return names


def import_graph() -> dict[str, set[str]]:
    """module -> the modules of the packages it imports. An import of a package (its __init__)
    counts as an import of every module the __init__ names, since importing it runs them."""
    modules = _module_files()
    init_targets = {}
    for package in PACKAGES:
        for init in (REPO / package).rglob("__init__.py"):
            name = ".".join(init.parent.relative_to(REPO).parts)
            init_targets[name] = _imported_names(init, name + ".__init__")
    graph = {}
    for module, path in modules.items():
        targets, pending, seen = set(), list(_imported_names(path, module)), set()
        while pending:
            name = pending.pop()
            if name in seen:
                continue
            seen.add(name)
            if name in modules:
                targets.add(name)
            if name in init_targets:
                pending.extend(init_targets[name])
        targets.discard(module)
        graph[module] = targets
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the graph as a list of modules (first == last), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    for start in sorted(graph):
        if start in state:
            continue
        path, stack = [], [(start, iter(sorted(graph[start])))]
        state[start] = 1
        path.append(start)
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                stack.pop()
                path.pop()
                state[node] = 2
            elif state.get(child) == 1:
                return path[path.index(child) :] + [child]
            elif child not in state:
                state[child] = 1
                path.append(child)
                stack.append((child, iter(sorted(graph.get(child, ())))))
    return None


def test_the_cycle_finder_finds_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_imports_of_a_function_body_are_counted(tmp_path):
    source = tmp_path / "lazy.py"
    source.write_text("def f():\n    from tinygrad_edu.tensor import Tensor\n")
    assert "tinygrad_edu.tensor" in _imported_names(source, "tinygrad_edu.lazy")


def test_no_import_cycle_in_the_library_or_the_models():
    graph = import_graph()
    assert "tinygrad_edu.tensor.tensor" in graph and "models.gpt" in graph  # the graph was really read
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_every_file_is_within_the_line_budget():
    too_long = {
        str(path.relative_to(REPO)): n
        for package in PACKAGES
        for path in (REPO / package).rglob("*.py")
        if (n := len(path.read_text().splitlines())) >= LINE_BUDGET
    }
    assert not too_long, f"files of {LINE_BUDGET} lines or more: {too_long}"


# the core's layers, bottom first: each may import only from the ones before it
CORE_LAYERS = ["tinygrad_edu.graph", "tinygrad_edu.autograd", "tinygrad_edu.ops", "tinygrad_edu.tensor"]


def _in_layer(module: str, layer: str) -> bool:
    return module == layer or module.startswith(layer + ".")


def test_the_core_layers_only_look_down():
    graph = import_graph()
    upward = [
        f"{module} imports {target}"
        for position, layer in enumerate(CORE_LAYERS)
        for module, targets in graph.items()
        if _in_layer(module, layer)
        for target in targets
        if any(_in_layer(target, higher) for higher in CORE_LAYERS[position + 1 :])
    ]
    assert any(_in_layer(m, "tinygrad_edu.ops") for m in graph)  # the layers were really found
    assert not upward, "a lower layer imports a higher one: " + "; ".join(upward)


def _readme_layout() -> list[list[str]]:
    """The library's parts in the order the README's layout section lists them (bottom layer first)."""
    readme = (REPO / "README.md").read_text()
    section = readme[readme.index("tinygrad_edu/   the library") : readme.index("\nmodels/ ")]
    order = []
    for line in section.splitlines()[1:]:
        if line.startswith("  ") and not line.startswith("    "):
            names = line.strip().split("  ")[0]
            order.append([name.strip().rstrip("/").removesuffix(".py") for name in names.split(",")])
    return order


def test_the_readme_lists_the_library_bottom_layer_first():
    position = {name: i for i, names in enumerate(_readme_layout()) for name in names}

    def part(module: str) -> str:
        name = module.split(".")[1]
        assert name in position, f"the README's layout section does not list {name}"
        return name

    graph = import_graph()
    upward = [
        f"{module} imports {target}"
        for module, targets in graph.items()
        if module.startswith("tinygrad_edu.")
        for target in targets
        if target.startswith("tinygrad_edu.") and position[part(target)] > position[part(module)]
    ]
    assert len(position) > 15 and not upward, "listed after what imports it: " + "; ".join(upward)
