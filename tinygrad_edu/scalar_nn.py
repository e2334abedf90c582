"""A tiny neural-network library on the scalar `Value`: Neuron, Layer, MLP.

The shape mirrors PyTorch's `nn.Module` in a few lines: every module lists its trainable numbers
with `parameters()` and resets their gradients with `zero_grad()`. (The tensor version of this idea
lives in `tinygrad_edu/nn/`.)
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from tinygrad_edu.scalar import Value, dot


class Module:
    """Base class: something with parameters whose gradients can be reset."""

    def parameters(self) -> list[Value]:
        return []

    def zero_grad(self) -> None:
        # gradients accumulate in backward(), so each training step starts from zero
        for p in self.parameters():
            p.grad = 0.0


class Neuron(Module):
    """out = act(w . x + b), with act = ReLU, or the identity when `nonlin=False`.

    `fused=True` computes w . x + b as one graph node (`scalar.dot`); `fused=False` builds it from
    `*` and `+` as micrograd does (2n nodes). Both give the same numbers; the fused graph is about ten
    times smaller and trains several times faster.
    """

    def __init__(self, nin: int, nonlin: bool = True, fused: bool = True) -> None:
        # uniform in [-1, 1]: the same initialisation as the micrograd demo, so results compare
        self.w = [Value(random.uniform(-1, 1)) for _ in range(nin)]
        self.b = Value(0.0)
        self.nonlin = nonlin
        self.fused = fused

    def __call__(self, x: Sequence[Value | float]) -> Value:
        if self.fused:
            activation = dot(self.w, x, self.b)
        else:  # b + w0*x0 + w1*x1 + ...: sum() with the bias as its start value
            activation = sum((wi * xi for wi, xi in zip(self.w, x)), self.b)
        return activation.relu() if self.nonlin else activation

    def parameters(self) -> list[Value]:
        return self.w + [self.b]

    def __repr__(self) -> str:
        return f"{'ReLU' if self.nonlin else 'Linear'}Neuron({len(self.w)})"


class Layer(Module):
    """`nout` independent neurons that all read the same input."""

    def __init__(self, nin: int, nout: int, nonlin: bool = True, fused: bool = True) -> None:
        self.neurons = [Neuron(nin, nonlin, fused) for _ in range(nout)]

    def __call__(self, x: Sequence[Value | float]) -> list[Value]:
        return [neuron(x) for neuron in self.neurons]

    def parameters(self) -> list[Value]:
        return [p for neuron in self.neurons for p in neuron.parameters()]

    def __repr__(self) -> str:
        kind = "ReLU" if self.neurons[0].nonlin else "Linear"
        return f"Layer({len(self.neurons[0].w)} -> {len(self.neurons)}, {kind})"


class MLP(Module):
    """A multi-layer perceptron: MLP(2, [16, 16, 1]) maps 2 inputs through two hidden ReLU layers of 16
    to one linear output. A single output is returned as a Value, several as a list."""

    def __init__(self, nin: int, nouts: Sequence[int], fused: bool = True) -> None:
        sizes = [nin, *nouts]
        # every layer but the last is followed by ReLU; the last one gives raw scores
        self.layers = [
            Layer(sizes[i], sizes[i + 1], nonlin=i != len(nouts) - 1, fused=fused) for i in range(len(nouts))
        ]

    def __call__(self, x: Sequence[Value | float]) -> Value | list[Value]:
        for layer in self.layers:
            x = layer(x)
        return x[0] if len(x) == 1 else x

    def parameters(self) -> list[Value]:
        return [p for layer in self.layers for p in layer.parameters()]

    def __repr__(self) -> str:
        return f"MLP({', '.join(str(layer) for layer in self.layers)})"
