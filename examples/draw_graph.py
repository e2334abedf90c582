"""Draw the computation graph of one small neuron after backward, as SVG and PNG.

The neuron is out = tanh(x1*w1 + x2*w2 + b). Every Value becomes a box with its label, data and grad;
every operation a small ellipse. The DOT text is written too (it needs no Graphviz); the pictures need
Graphviz's `dot` program (Debian/Ubuntu: apt-get install graphviz; macOS: brew install graphviz).

Run: python examples/draw_graph.py [--out out/graph] [--rankdir LR]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys

from tinygrad_edu import Value, draw_dot, to_dot
from tinygrad_edu.files import atomic_write


def neuron_expression() -> Value:
    """out = tanh(x1*w1 + x2*w2 + b), with labels on every node, after backward."""
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")  # chosen so that out is about 0.7071
    x1w1 = x1 * w1
    x1w1.label = "x1*w1"
    x2w2 = x2 * w2
    x2w2.label = "x2*w2"
    n = x1w1 + x2w2 + b
    n.label = "n"
    out = n.tanh()
    out.label = "out"
    out.backward()
    return out


def write_atomically(path: str, data: bytes) -> None:
    """Write to a temporary file beside `path`, then rename it: readers never see half a file."""
    with atomic_write(path) as file:
        file.write(data)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default="out/graph", help="folder for neuron.dot, neuron.svg, neuron.png")
    parser.add_argument("--rankdir", default="LR", choices=["LR", "TB"], help="layout direction")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)

    out = neuron_expression()
    dot_path = os.path.join(args.out, "neuron.dot")
    write_atomically(dot_path, to_dot(out, rankdir=args.rankdir).encode())
    print(f"DOT text: {dot_path}")

    if shutil.which("dot") is None:
        sys.exit(
            "draw_graph: Graphviz's `dot` program is not installed (apt-get install graphviz); "
            f"only the DOT text was written to {dot_path}"
        )
    graph = draw_dot(out, rankdir=args.rankdir)
    for fmt in ("svg", "png"):
        path = os.path.join(args.out, f"neuron.{fmt}")
        write_atomically(path, graph.pipe(format=fmt))
        print(f"{fmt.upper()}: {path}")


if __name__ == "__main__":
    main()
