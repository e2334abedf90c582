"""Draw the computation graph of one small neuron after backward, as SVG and PNG.

The neuron is out = tanh(x1*w1 + x2*w2 + b). Every Value becomes a box with its label, data and grad;
every operation a small ellipse. The DOT text is written too (it needs no Graphviz); the pictures need
Graphviz's `dot` program (Debian/Ubuntu: apt-get install graphviz; macOS: brew install graphviz).

With --html it also writes two pages that step through the backward pass (open them in a browser;
they need nothing else, not even a network): neuron.html for the neuron above and makemore_loss.html
for the loss of a small makemore MLP (embedding, tanh layer, cross-entropy) on a batch of 8 names.

Run: python examples/draw_graph.py [--out out/graph] [--rankdir LR] [--html]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys

import tinygrad_edu as tg
from tinygrad_edu import Value, draw_dot, to_dot
from tinygrad_edu.files import atomic_write
from tinygrad_edu.nn import functional as F
from tinygrad_edu.viz import save_html


def neuron_expression(run_backward: bool = True) -> Value:
    """out = tanh(x1*w1 + x2*w2 + b), with labels on every node, after backward (unless told not to)."""
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
    if run_backward:
        out.backward()
    return out


def makemore_loss() -> tuple[tg.Tensor, dict]:
    """The loss of a small makemore MLP on 8 contexts of 3 characters, and its named parameters.
    No backward yet: the step-through page replays it from the graph's saved tensors."""
    generator = tg.Generator(0)
    params = {
        "C": tg.randn(27, 4, generator=generator) * 0.5,
        "W1": tg.randn(12, 16, generator=generator) * (5 / 3) / 12**0.5,
        "b1": tg.zeros(16),
        "W2": tg.randn(16, 27, generator=generator) * 0.1,
        "b2": tg.zeros(27),
    }
    params = {name: tensor.detach().requires_grad_() for name, tensor in params.items()}
    contexts = tg.randint(0, 27, (8, 3), generator=generator)
    targets = tg.randint(0, 27, (8,), generator=generator)
    embedded = params["C"][contexts].view(8, -1)
    hidden = (embedded @ params["W1"] + params["b1"]).tanh()
    return F.cross_entropy(hidden @ params["W2"] + params["b2"], targets), params


def write_atomically(path: str, data: bytes) -> None:
    """Write to a temporary file beside `path`, then rename it: readers never see half a file."""
    with atomic_write(path) as file:
        file.write(data)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default="out/graph", help="folder for neuron.dot, neuron.svg, neuron.png")
    parser.add_argument("--rankdir", default="LR", choices=["LR", "TB"], help="layout direction")
    parser.add_argument("--html", action="store_true", help="also write the step-through backward pages")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)

    if args.html:
        page = save_html(neuron_expression(run_backward=False), os.path.join(args.out, "neuron.html"))
        print(f"backward page: {page}")
        loss, params = makemore_loss()
        page = save_html(loss, os.path.join(args.out, "makemore_loss.html"), params=params)
        print(f"backward page: {page}")

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
