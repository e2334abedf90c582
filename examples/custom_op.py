"""Write your own op as a `tg.autograd.Function`, then check it: gradcheck, properties, its graph.

The op is Softplus, a smooth ReLU:  softplus(x) = log(1 + exp(beta * x)) / beta.
Its derivative is the sigmoid:      d softplus(x) / dx = sigmoid(beta * x).

The script
  1. checks the first and second derivatives against finite differences (`tg.gradcheck`,
     `tg.gradgradcheck`, in float64),
  2. tests three laws on random tensors with hypothesis and the strategies of `tinygrad_edu.testing`,
  3. draws the graph of a small expression that uses it (DOT text always; SVG and PNG need Graphviz's
     `dot` program: apt-get install graphviz, or brew install graphviz).

Run: python examples/custom_op.py [--out out/custom_op] [--examples 50]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys

import numpy as np

import tinygrad_edu as tg
from tinygrad_edu.files import atomic_write


class Softplus(tg.autograd.Function):
    """softplus(x) = log(1 + exp(beta * x)) / beta, applied elementwise."""

    @staticmethod
    def forward(ctx, x, beta=1.0):
        # x is a Tensor, beta a plain number. Forward runs with graph recording off: compute with numpy.
        # log(1 + e^z) = max(z, 0) + log(1 + e^-|z|), which never overflows for large z.
        z = beta * x.data
        ctx.save_for_backward(x)  # checked: backward fails clearly if x is changed in place meanwhile
        ctx.beta = beta  # anything that is not a tensor is kept as a plain attribute
        return (np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z)))) / beta

    @staticmethod
    def backward(ctx, grad_output):
        # d/dx log(1 + e^(beta x)) / beta = e^(beta x) / (1 + e^(beta x)) = sigmoid(beta x).
        # Written with Tensor ops, so `create_graph=True` can differentiate it once more.
        (x,) = ctx.saved_tensors
        grad_x = grad_output * (ctx.beta * x).sigmoid()
        return grad_x, None  # one gradient per input of forward: None for the number beta


def softplus(x: tg.Tensor, beta: float = 1.0) -> tg.Tensor:
    """The function your model calls; `Softplus.apply` links the result into the graph."""
    return Softplus.apply(x, beta)


# --------------------------------------------------------------------------------------------------
# 1. gradients against finite differences


def check_gradients() -> None:
    generator = tg.Generator(0)
    x = tg.randn(3, 4, dtype=tg.float64, generator=generator).requires_grad_()
    for beta in (1.0, 2.5):
        # non-tensor inputs such as beta are passed through; raises GradcheckError with details on failure
        tg.gradcheck(softplus, (x, beta))
        tg.gradgradcheck(softplus, (x, beta))
    print("gradcheck and gradgradcheck: passed (float64, beta = 1.0 and 2.5)")


# --------------------------------------------------------------------------------------------------
# 2. laws that hold for every input, tested on random tensors


def check_properties(max_examples: int) -> None:
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from tinygrad_edu.testing import assert_close, shapes, tensors

    finite = st.floats(-30, 30, allow_nan=False)

    @settings(max_examples=max_examples, deadline=None)
    @given(tensors(shape=shapes(max_dims=3), elements=finite, requires_grad=True))
    def laws(x):
        y = softplus(x)
        # softplus lies above ReLU, by at most log 2
        assert (y.data >= np.maximum(x.data, 0)).all()
        assert (y.data - np.maximum(x.data, 0) <= np.log(2) + 1e-12).all()
        # softplus(x) - softplus(-x) = x
        assert_close(y - softplus(-x.detach()), x.detach())
        # the gradient is the sigmoid
        y.sum().backward()
        assert_close(x.grad, x.detach().sigmoid())

    laws()
    print(f"hypothesis: three laws held on {max_examples} random tensors of up to 3 dimensions")


# --------------------------------------------------------------------------------------------------
# 3. the graph: the custom op appears under its class name, like any built-in op


def draw(out_dir: str) -> None:
    generator = tg.Generator(0)
    x = tg.randn(4, 3, generator=generator)
    w = tg.randn(3, 2, generator=generator).requires_grad_()
    loss = softplus(x @ w).mean()
    loss.backward()

    dot_path = os.path.join(out_dir, "softplus.dot")
    with atomic_write(dot_path, "w") as f:
        f.write(tg.to_dot(loss))
    print(f"DOT text: {dot_path}")
    if shutil.which("dot") is None:
        sys.exit(
            "custom_op: Graphviz's `dot` program is not installed (apt-get install graphviz); "
            f"only the DOT text was written to {dot_path}"
        )
    graph = tg.draw_dot(loss)
    for fmt in ("svg", "png"):
        path = os.path.join(out_dir, f"softplus.{fmt}")
        with atomic_write(path) as f:
            f.write(graph.pipe(format=fmt))
        print(f"{fmt.upper()}: {path}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default="out/custom_op", help="folder for softplus.dot, .svg and .png")
    parser.add_argument("--examples", type=int, default=50, help="hypothesis examples per law")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)

    x = tg.tensor([-2.0, 0.0, 3.0], requires_grad=True)
    y = softplus(x)
    y.sum().backward()
    print(f"softplus({x.tolist()}) = {np.round(y.tolist(), 4).tolist()}")
    print(f"gradient = sigmoid(x) = {np.round(x.grad.tolist(), 4).tolist()}")
    print(f"y.grad_fn = {y.grad_fn}, next_functions = {y.grad_fn.next_functions}")

    check_gradients()
    check_properties(args.examples)
    draw(args.out)


if __name__ == "__main__":
    main()
