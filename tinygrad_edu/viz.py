"""Draw a computation graph: DOT text, or a `graphviz.Digraph` that renders to SVG or PNG.

Works for any graph node that follows the protocol shared by `Value` and `Tensor`:
- `_parents`: the input nodes (empty for a leaf),
- `_op_name`: the operation that produced the node ("" for a leaf),
- `_describe()`: the text shown in the node's box, fields separated by " | ".

Every value becomes a box (a "record": its fields side by side) and every operation a small ellipse
between its inputs and its output. The nodes are listed with the same walk backward uses,
`graph.topological_order`, so drawing a graph 100,000 nodes deep needs no recursion either.

`save_html(root, path)` and `backward_page(root)` (from `backward_page.py`) make a page that steps
through the backward pass of the graph instead of drawing it once.
"""

from __future__ import annotations

from typing import Any

from tinygrad_edu.backward_page import BackwardPage, backward_page, save_html
from tinygrad_edu.graph import topological_order

__all__ = ["BackwardPage", "backward_page", "draw_dot", "save_html", "to_dot"]

# characters that have a meaning inside a Graphviz record label; a backslash escapes them
_RECORD_SPECIAL = set("{}<>|\\")


def _escape_field(text: str) -> str:
    """Escape one record field so that e.g. a label "a<b" is shown as written."""
    return "".join("\\" + ch if ch in _RECORD_SPECIAL else ch for ch in text)


def _record_label(node: Any) -> str:
    """The node's `_describe()` text as record fields: each " | " separates two fields."""
    fields = node._describe().split(" | ")
    return "{ " + " | ".join(_escape_field(field) for field in fields) + " }"


def _quote(text: str) -> str:
    """A DOT double-quoted string: inside one, only the double quote itself is escaped."""
    return '"' + text.replace('"', '\\"') + '"'


def _graph_parts(root: Any) -> tuple[list[tuple[str, dict[str, str]]], list[tuple[str, str]]]:
    """The nodes (name and attributes) and edges (from, to) of the drawing of `root`'s graph."""
    nodes: list[tuple[str, dict[str, str]]] = []
    edges: list[tuple[str, str]] = []
    names: dict[int, str] = {}  # id(node) -> "n0", "n1", ...: short names, the same on every run
    for node in topological_order(root, lambda n: n._parents):
        name = names[id(node)] = f"n{len(names)}"
        nodes.append((name, {"label": _record_label(node), "shape": "record"}))
        if node._op_name:
            # one small node for the operation: inputs -> op -> output
            op_name = name + "_op"
            nodes.append((op_name, {"label": node._op_name, "shape": "ellipse"}))
            edges.append((op_name, name))
            for parent in node._parents:
                edges.append((names[id(parent)], op_name))  # inputs come first
    return nodes, edges


def to_dot(root: Any, rankdir: str = "LR") -> str:
    """The graph that produced `root` as DOT text; needs neither the `dot` program nor `graphviz`.

    `rankdir` is Graphviz's layout direction: "LR" (left to right) or "TB" (top to bottom).
    """
    if rankdir not in ("LR", "RL", "TB", "BT"):
        raise ValueError(f"to_dot: rankdir must be one of LR, RL, TB, BT, got {rankdir!r}")
    nodes, edges = _graph_parts(root)
    lines = ["digraph {", f"  rankdir={rankdir}", '  node [fontname="Helvetica"]']
    for name, attributes in nodes:
        attrs = ", ".join(f"{key}={_quote(value)}" for key, value in attributes.items())
        lines.append(f"  {_quote(name)} [{attrs}]")
    for tail, head in edges:
        lines.append(f"  {_quote(tail)} -> {_quote(head)}")
    lines.append("}")
    return "\n".join(lines) + "\n"


def draw_dot(root: Any, rankdir: str = "LR") -> Any:
    """The graph that produced `root` as a `graphviz.Digraph`.

    Render it with `.render("graph", format="svg")` (needs Graphviz's `dot` program) or show it in a
    notebook by leaving it as a cell's last expression.
    """
    import graphviz  # imported here so that `to_dot` works without the package

    if rankdir not in ("LR", "RL", "TB", "BT"):
        raise ValueError(f"draw_dot: rankdir must be one of LR, RL, TB, BT, got {rankdir!r}")
    nodes, edges = _graph_parts(root)
    digraph = graphviz.Digraph(graph_attr={"rankdir": rankdir}, node_attr={"fontname": "Helvetica"})
    for name, attributes in nodes:
        digraph.node(name, **attributes)
    for tail, head in edges:
        digraph.edge(tail, head)
    return digraph
