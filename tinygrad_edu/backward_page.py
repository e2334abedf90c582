"""A backward pass you can step through: one self-contained HTML page for a `Value` or `Tensor` graph.

    page = tg.viz.backward_page(loss)      # in Jupyter, leave `page` as the cell's last expression
    page.save("backward.html")              # or: tg.viz.save_html(loss, "backward.html")

The page draws the graph (Graphviz's layout when the `dot` program is installed, a simple layered
layout otherwise) and steps through the backward order with buttons or the arrow keys. At each step
it shows the node processed, its upstream gradient, and for each input the local derivative, the
contribution sent and that input's running sum. The numbers come from `backward_trace.trace_backward`,
which replays the engine's backward with the ops' own backward functions.

Everything (script, style, data) is inline: the page fetches nothing, so it works offline. Big graphs
show the `max_steps` backward steps nearest the output, and fold the rest into one box that says how
many nodes it holds.
"""

from __future__ import annotations

import html
import json
import os
import shutil
import subprocess
from importlib import resources
from typing import Any

import numpy as np

from tinygrad_edu.backward_trace import Trace, node_value, op_name, trace_backward
from tinygrad_edu.files import atomic_write

NODE_WIDTH, NODE_HEIGHT = 184, 62  # pixels; the page's script draws boxes of this size
FULL_MATRIX_LIMIT = 64  # vectors and matrices (at most 8 columns) this small are shown in full
_DOT_TIMEOUT_S = 30
_MARGIN = 10  # pixels around the drawing


def _summary(value: Any) -> dict:
    """A number as {"n": x}; an array as its shape, dtype, statistics and, when small, its values."""
    if isinstance(value, float | int):
        return {"n": float(value)}
    array = np.asarray(value.data if hasattr(value, "grad_fn") else value)
    if array.size == 1 and array.ndim == 0:
        return {"n": float(array), "shape": [], "dtype": str(array.dtype)}
    summary: dict[str, Any] = {"shape": list(array.shape), "dtype": str(array.dtype)}
    if array.size and array.dtype.kind in "fiub":
        numbers = array.astype(np.float64)
        summary.update(
            mean=float(numbers.mean()),
            std=float(numbers.std()),
            min=float(numbers.min()),
            max=float(numbers.max()),
            norm=float(np.sqrt((numbers * numbers).sum())),
        )
        if array.size <= FULL_MATRIX_LIMIT and (array.ndim == 1 or (array.ndim == 2 and array.shape[1] <= 8)):
            summary["values"] = numbers.tolist()
    return summary


def _node_record(node: Any, kind: str, names: dict[int, str]) -> dict:
    if kind == "value":
        return {"name": node.label, "op": node._op_name, "data": _summary(node.data)}
    value = node_value(node)
    if value is None:  # an intermediate the graph did not keep: its shape and dtype only
        shape, dtype = node._output_shape, node._output_dtype
        data = {"shape": list(shape), "dtype": str(dtype), "kept": False}
    else:
        data = _summary(value)
    return {"name": names.get(id(node), ""), "op": op_name(node), "data": data}


def _shown_nodes(trace: Trace) -> list[int]:
    """The nodes the page draws: every recorded step's node and inputs (all nodes when nothing is cut)."""
    if len(trace.steps) == trace.total_steps:
        return list(range(len(trace.nodes)))
    shown = {len(trace.nodes) - 1}
    for step in trace.steps:
        shown.add(step.node)
        shown.update(trace.inputs[step.node])
    return sorted(shown)


def _dot_layout(ids: list[str], edges: list[tuple[str, str]]) -> dict | None:
    """Positions from Graphviz's `dot -Tplain`, or None when `dot` is missing or fails."""
    if shutil.which("dot") is None:
        return None
    inches_w, inches_h = NODE_WIDTH / 72, NODE_HEIGHT / 72
    lines = [
        "digraph {",
        "rankdir=LR; nodesep=0.25; ranksep=0.6;",
        f'node [shape=box, fixedsize=true, width={inches_w:.4f}, height={inches_h:.4f}, label=""];',
    ]
    lines += [f"{name};" for name in ids] + [f"{tail} -> {head};" for tail, head in edges] + ["}"]
    try:
        result = subprocess.run(
            ["dot", "-Tplain"], input="\n".join(lines), capture_output=True, text=True,
            timeout=_DOT_TIMEOUT_S, check=True,
        )  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return None
    positions: dict[str, list[float]] = {}
    paths: list[dict] = []
    height = 0.0
    for line in result.stdout.splitlines():
        parts = line.split()
        if parts[:1] == ["graph"]:
            height = float(parts[3])
        elif parts[:1] == ["node"]:
            positions[parts[1]] = [_MARGIN + float(parts[2]) * 72, _MARGIN + (height - float(parts[3])) * 72]
        elif parts[:1] == ["edge"]:
            count = int(parts[3])
            points = [
                [_MARGIN + float(parts[4 + 2 * k]) * 72, _MARGIN + (height - float(parts[5 + 2 * k])) * 72]
                for k in range(count)
            ]
            paths.append({"from": parts[1], "to": parts[2], "points": points})
    return {"engine": "graphviz dot", "positions": positions, "edges": paths}


def _layered_layout(ids: list[str], edges: list[tuple[str, str]]) -> dict:
    """Our own layout: a node's column is the longest path to it from a leaf (ids are in topological
    order, inputs first); within a column nodes keep that order. Edges are straight lines."""
    inputs: dict[str, list[str]] = {name: [] for name in ids}
    for tail, head in edges:
        inputs[head].append(tail)
    column: dict[str, int] = {}
    for name in ids:
        column[name] = 1 + max((column[t] for t in inputs[name]), default=-1)
    rows: dict[int, int] = {}
    positions = {}
    for name in ids:
        row = rows.get(column[name], 0)
        rows[column[name]] = row + 1
        x = _MARGIN + column[name] * (NODE_WIDTH + 60) + NODE_WIDTH / 2
        positions[name] = [x, _MARGIN + row * (NODE_HEIGHT + 24) + NODE_HEIGHT / 2]
    paths = [{"from": t, "to": h, "points": []} for t, h in edges]
    return {"engine": "layered (Graphviz's dot not found)", "positions": positions, "edges": paths}


def page_data(trace: Trace, params: dict | None = None, use_graphviz: bool = True) -> dict:
    """Everything the page's script needs, as plain JSON-able data."""
    names = {id(tensor): name for name, tensor in (params or {}).items()}
    shown = _shown_nodes(trace)
    shown_set = set(shown)
    nodes = []
    for i in shown:
        record = _node_record(trace.nodes[i], trace.kind, names)
        record.update(id=f"n{i}", leaf=not trace.inputs[i], inputs=[f"n{j}" for j in trace.inputs[i]])
        record["grad"] = _summary(trace.grads[i]) if i in trace.grads else None
        nodes.append(record)
    edges = [(f"n{j}", f"n{i}") for i in shown for j in trace.inputs[i] if j in shown_set]
    ids = [f"n{i}" for i in shown]
    folded = len(trace.nodes) - len(shown)
    if folded:
        ids.insert(0, "folded")
        fed = {f"n{i}" for i in shown if any(j not in shown_set for j in trace.inputs[i])}
        edges = [("folded", name) for name in ids if name in fed] + edges
    layout = (_dot_layout(ids, edges) if use_graphviz else None) or _layered_layout(ids, edges)
    steps = [
        {
            "node": f"n{step.node}",
            "upstream": _summary(step.upstream),
            "sent": [
                {
                    "input": f"n{c.input}",
                    "local": _summary(c.local),
                    "contribution": _summary(c.contribution),
                    "sum": _summary(c.running_sum),
                    "count": c.count,
                }
                for c in step.contributions
            ],
        }
        for step in trace.steps
    ]
    return {
        "kind": trace.kind,
        "root": f"n{len(trace.nodes) - 1}",
        "nodes": nodes,
        "steps": steps,
        "layout": layout,
        "box": [NODE_WIDTH, NODE_HEIGHT],
        "total_nodes": len(trace.nodes),
        "total_steps": trace.total_steps,
        "folded": folded,
    }


def _json_for_script(data: dict) -> str:
    """The data as a JavaScript literal inside <script>: NaN and infinities stay NaN and Infinity (valid
    JavaScript, though not JSON), and no "</" can end the script tag early."""
    return json.dumps(data, separators=(",", ":")).replace("</", "<\\/")


def _template() -> str:
    return resources.files("tinygrad_edu").joinpath("backward_page.html").read_text(encoding="utf-8")


class BackwardPage:
    """The step-through page of one graph; `save(path)` writes it, Jupyter shows it inline."""

    def __init__(self, root: Any, params: dict | None = None, max_steps: int = 150, title: str = "") -> None:
        if max_steps < 1:
            raise ValueError(f"backward_page: max_steps must be at least 1, got {max_steps}")
        self.trace = trace_backward(root, max_steps=max_steps)
        self.data = page_data(self.trace, params)
        self.title = title or ("backward pass of a Value graph" if self.trace.kind == "value" else
                               "backward pass of a Tensor graph")  # fmt: skip

    def html(self) -> str:
        """The whole page as one string."""
        page = _template().replace("__PAGE_TITLE__", html.escape(self.title))
        return page.replace("__TRACE_DATA__", _json_for_script(self.data))

    def save(self, path: str | os.PathLike) -> str:
        with atomic_write(path, "w", encoding="utf-8") as file:
            file.write(self.html())
        return os.fspath(path)

    def _repr_html_(self) -> str:
        # an iframe keeps the page's script and style apart from the notebook's own
        return (
            f'<iframe srcdoc="{html.escape(self.html(), quote=True)}" '
            'style="width: 100%; height: 620px; border: 1px solid #ccc;"></iframe>'
        )


def backward_page(
    root: Any, params: dict | None = None, max_steps: int = 150, title: str = ""
) -> BackwardPage:
    """The step-through backward page of `root`'s graph (a `Value`, or a one-number `Tensor`).

    params: names for tensors, e.g. `dict(model.named_parameters())`; `Value`s show their `label`.
    max_steps: the page records this many backward steps nearest the output and folds the rest.
    """
    return BackwardPage(root, params, max_steps, title)


def save_html(root: Any, path: str | os.PathLike, params: dict | None = None, max_steps: int = 150) -> str:
    """Write the step-through backward page of `root`'s graph to `path` (one self-contained file)."""
    return backward_page(root, params, max_steps).save(path)
