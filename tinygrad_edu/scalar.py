"""Value: a scalar that remembers how it was computed, so it can compute its own gradient.

This is the smallest complete autograd engine: every arithmetic operation on `Value`s returns a new
`Value` that records its inputs (`_parents`) and, beside them, the local derivatives
d(output)/d(input) (`_local`), computed right there in the forward pass while the numbers are at hand.
`backward()` then visits the graph from the output back to the inputs and applies the chain rule:
`parent.grad += local * node.grad`.

The design choices, most of them different from micrograd's, and each one measured
(benchmarks/bench_scalar.py):
- A node stores plain floats, not a closure. A closure that refers to its own output makes every
  graph a reference cycle that only Python's cyclic garbage collector can free; plain data lets
  reference counting free a graph the moment it is no longer used.
- `__slots__` keeps each node small and attribute access fast.
- `backward()` orders the graph with its own depth-first search, `backward_order`, instead of the
  general `graph.topological_order` that the Tensor engine and the graph drawing use: the same
  walk, but a node it has reached is marked by writing a token into the node (`_visit`) instead of
  being hashed into a dict, and it reads `_parents` directly instead of calling a function per node.
  On micrograd's graph shape that makes the walk about a third cheaper.
- The ops build their results with `_op_result`, a constructor without `__init__`'s argument checks
  and defaults (an op's result is known to be a float with no label); in a pure Python engine the
  cost is per node, so per-node work is what to cut.
- `dot(weights, inputs, bias)` computes a neuron's w . x + b as one node with 2n + 1 inputs instead
  of 2n nodes of `*` and `+`. The math is the same; the graph is ten times smaller (a fused op with
  its own backward).

The graph node protocol (shared with `Tensor` and used by `viz.py`): `_parents` (input nodes, empty
for a leaf), `_op_name` ("" for a leaf) and `_describe()` (the text shown when drawing the node).
"""

from __future__ import annotations

import math
from collections.abc import Sequence


def _as_float(value: object, op: str) -> float:
    """A plain Python number as float, or a TypeError that names the op and the operand's type."""
    if isinstance(value, (int, float)):  # bool is an int, numpy float64 is a float: both are fine
        return float(value)
    raise TypeError(
        f"Value.{op}: unsupported operand type {type(value).__name__!r}; expected Value, int or float"
    )


class Value:
    """A scalar, its gradient, and the record of the operation that produced it."""

    __slots__ = ("data", "grad", "label", "_op_name", "_parents", "_local", "_visit", "__weakref__")

    def __init__(
        self,
        data: float,
        label: str = "",
        _op_name: str = "",
        _parents: tuple[Value, ...] = (),
        _local: tuple[float, ...] = (),
    ) -> None:
        self.data = data if type(data) is float else _as_float(data, "__init__")
        self.grad = 0.0  # d(root)/d(self), filled in by root.backward()
        self.label = label
        self._op_name = _op_name  # "" for a leaf (an input or a parameter)
        self._parents = _parents  # the Values this one was computed from (empty for a leaf); set once
        self._local = _local  # d(self)/d(parent) for each parent, same order, evaluated in forward
        self._visit = None  # the mark left by the last backward_order walk that reached this node

    # ---- binary operations: forward value and local derivatives side by side ----

    def __add__(self, other: Value | float) -> Value:
        if type(other) is Value:
            # d(a+b)/da = 1, d(a+b)/db = 1
            return _op_result(self.data + other.data, "+", (self, other), (1.0, 1.0))
        # a constant is not a node: it needs no gradient, so it is folded into the forward value
        return _op_result(self.data + _as_float(other, "__add__"), "+", (self,), (1.0,))

    def __radd__(self, other: float) -> Value:  # number + Value
        return self.__add__(other)

    def __mul__(self, other: Value | float) -> Value:
        if type(other) is Value:
            # d(a*b)/da = b, d(a*b)/db = a
            return _op_result(self.data * other.data, "*", (self, other), (other.data, self.data))
        constant = _as_float(other, "__mul__")
        return _op_result(self.data * constant, "*", (self,), (constant,))

    def __rmul__(self, other: float) -> Value:  # number * Value
        return self.__mul__(other)

    def __sub__(self, other: Value | float) -> Value:
        if type(other) is Value:
            # d(a-b)/da = 1, d(a-b)/db = -1
            return _op_result(self.data - other.data, "-", (self, other), (1.0, -1.0))
        return _op_result(self.data - _as_float(other, "__sub__"), "-", (self,), (1.0,))

    def __rsub__(self, other: float) -> Value:  # number - Value: d(c-a)/da = -1
        return _op_result(_as_float(other, "__rsub__") - self.data, "-", (self,), (-1.0,))

    def __truediv__(self, other: Value | float) -> Value:
        if type(other) is Value:
            if other.data == 0.0:
                raise ZeroDivisionError(f"Value.__truediv__: division of {self.data} by a Value equal to 0")
            # d(a/b)/da = 1/b, d(a/b)/db = -a/b^2
            inverse = 1.0 / other.data
            quotient = self.data * inverse
            return _op_result(quotient, "/", (self, other), (inverse, -quotient * inverse))
        constant = _as_float(other, "__truediv__")
        if constant == 0.0:
            raise ZeroDivisionError(f"Value.__truediv__: division of {self.data} by 0")
        return _op_result(self.data / constant, "/", (self,), (1.0 / constant,))

    def __rtruediv__(self, other: float) -> Value:  # number / Value: d(c/a)/da = -c/a^2
        numerator = _as_float(other, "__rtruediv__")
        if self.data == 0.0:
            raise ZeroDivisionError(f"Value.__rtruediv__: division of {numerator} by a Value equal to 0")
        quotient = numerator / self.data
        return _op_result(quotient, "/", (self,), (-quotient / self.data,))

    def __pow__(self, exponent: float) -> Value:
        if type(exponent) is Value or not isinstance(exponent, (int, float)):
            raise ValueError(
                f"Value.__pow__: the exponent must be an int or float, got {type(exponent).__name__!r}"
            )
        x = self.data
        if x == 0.0 and exponent < 0:
            raise ValueError(f"Value.__pow__: 0 ** {exponent} is undefined")
        if x < 0.0 and not float(exponent).is_integer():
            raise ValueError(f"Value.__pow__: {x} ** {exponent} is not a real number")
        if exponent == 0:
            local = 0.0  # x^0 = 1 is constant (and 0 ** -1 below would fail at x = 0)
        elif x == 0.0 and exponent < 1:
            local = math.inf  # e.g. sqrt(x) = x ** 0.5 has an infinitely steep slope at 0
        else:
            local = exponent * x ** (exponent - 1)  # d(x^n)/dx = n * x^(n-1)
        return _op_result(x**exponent, f"**{exponent:g}", (self,), (local,))

    def __neg__(self) -> Value:  # d(-a)/da = -1
        return _op_result(-self.data, "neg", (self,), (-1.0,))

    # ---- unary functions ----

    def exp(self) -> Value:
        try:
            out = math.exp(self.data)
        except OverflowError:
            raise OverflowError(f"Value.exp: exp({self.data}) overflows a float") from None
        return _op_result(out, "exp", (self,), (out,))  # d(e^x)/dx = e^x

    def log(self) -> Value:
        if self.data <= 0.0:
            raise ValueError(f"Value.log: log is defined for positive numbers only, got {self.data}")
        return _op_result(math.log(self.data), "log", (self,), (1.0 / self.data,))  # d(ln x)/dx = 1/x

    def tanh(self) -> Value:
        t = math.tanh(self.data)
        return _op_result(t, "tanh", (self,), (1.0 - t * t,))  # d(tanh x)/dx = 1 - tanh(x)^2

    def relu(self) -> Value:
        # d(max(0, x))/dx = 1 where x > 0, else 0 (we pick 0 at the kink, as PyTorch does)
        if self.data > 0.0:
            return _op_result(self.data, "relu", (self,), (1.0,))
        return _op_result(0.0, "relu", (self,), (0.0,))

    def sigmoid(self) -> Value:
        x = self.data
        # two algebraically equal forms, each one safe from overflow on its own side of 0
        if x >= 0.0:
            s = 1.0 / (1.0 + math.exp(-x))
        else:
            e = math.exp(x)
            s = e / (1.0 + e)
        return _op_result(s, "sigmoid", (self,), (s * (1.0 - s),))  # d(sigma)/dx = sigma (1 - sigma)

    # ---- backpropagation ----

    def backward(self) -> None:
        """Fill in `.grad` of every Value this one depends on: d(self)/d(node).

        Gradients accumulate (`+=`), so a Value used twice receives both contributions; call
        `zero_grad()` on your model (or set `.grad = 0.0`) between steps.
        """
        self.grad = 1.0  # d(self)/d(self)
        # In this order every node's grad is complete before it is passed on to the node's inputs.
        for node in backward_order(self):
            grad = node.grad
            parents = node._parents
            # The chain rule, for each parent: d(root)/d(parent) += d(node)/d(parent) * d(root)/d(node).
            # Almost every node has two parents or one; unpacking those directly, instead of looping
            # over zip(parents, local), saves building a zip iterator per node: a third of the time.
            if len(parents) == 2:
                first, second = parents
                first_local, second_local = node._local
                first.grad += first_local * grad
                second.grad += second_local * grad
            elif len(parents) == 1:
                parents[0].grad += node._local[0] * grad
            else:  # a leaf (no parents) or a dot node (many)
                for parent, local in zip(parents, node._local):
                    parent.grad += local * grad

    # ---- graph node protocol and printing ----

    def _describe(self) -> str:
        """The text `viz.py` shows inside this node's box."""
        text = f"data {self.data:.4f} | grad {self.grad:.4f}"
        return f"{self.label} | {text}" if self.label else text

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data:.6g}, grad={self.grad:.6g}{label})"


_new_object = object.__new__  # an empty Value, its slots not yet filled


def _op_result(data: float, op_name: str, parents: tuple[Value, ...], local: tuple[float, ...]) -> Value:
    """The node `Value(data, "", op_name, parents, local)`, built without calling `__init__`.

    Every op makes its result here. An op already knows that `data` is a float and that the result
    has no label, so `__init__`'s check and defaults are work it can skip; creating the object
    directly and filling its slots makes a node about a tenth faster (the cost is per node).
    """
    node = _new_object(Value)
    node.data = data
    node.grad = 0.0
    node.label = ""
    node._op_name = op_name
    node._parents = parents
    node._local = local
    node._visit = None
    return node


def backward_order(root: Value) -> list[Value]:
    """`root` and every Value it depends on, in the order `backward()` visits them: each node before
    the nodes it was made from, so that when backpropagation reaches a node, every node that used it
    has already passed its gradient contribution on (a reversed topological order).

    A depth-first search that lists a node once all its inputs are listed, then reverses the list.
    It is iterative (an explicit stack, no recursion), so a chain of 100,000 operations is as easy as
    a chain of 10. A node on top of the stack is first entered (its unfinished inputs pushed above
    it); when it is on top again, its inputs are all done, so it is done too. The node's state is a
    mark in the node itself: `entered` or `done`, two tokens new to this walk, so no mark left by an
    earlier walk ever has to be cleared. (Two threads walking the same graph at once would confuse
    each other's marks, as they would each other's `+=` on the gradients.)
    """
    entered, done = object(), object()
    order = []
    stack = [root]
    while stack:
        node = stack[-1]
        mark = node._visit
        if mark is done:  # pushed by two of its users: the first copy already finished it
            stack.pop()
        elif mark is entered:  # on top again: every input is done
            stack.pop()
            node._visit = done
            order.append(node)
        else:
            node._visit = entered
            for parent in node._parents:
                if parent._visit is not done:
                    stack.append(parent)
    order.reverse()  # inputs first becomes the root first
    return order


def dot(
    weights: Sequence[Value | float], inputs: Sequence[Value | float], bias: Value | float = 0.0
) -> Value:
    """bias + sum_i weights[i] * inputs[i], as one graph node (a neuron's pre-activation).

    Written with `*` and `+` the same sum makes 2n nodes; here it is one node whose inputs are every
    Value among the weights, inputs and bias, with d(out)/d(w_i) = x_i, d(out)/d(x_i) = w_i and
    d(out)/d(bias) = 1. Plain numbers are allowed anywhere and get no gradient.
    """
    if len(weights) != len(inputs):
        raise ValueError(f"dot: {len(weights)} weights but {len(inputs)} inputs; they must match")
    if type(bias) is Value:
        total, parents, local = bias.data, [bias], [1.0]
    else:
        total, parents, local = _as_float(bias, "dot"), [], []
    for weight, x in zip(weights, inputs):
        weight_is_value = type(weight) is Value
        x_is_value = type(x) is Value
        weight_data = weight.data if weight_is_value else _as_float(weight, "dot")
        x_data = x.data if x_is_value else _as_float(x, "dot")
        total += weight_data * x_data
        if weight_is_value:
            parents.append(weight)
            local.append(x_data)  # d(w*x)/dw = x
        if x_is_value:
            parents.append(x)
            local.append(weight_data)  # d(w*x)/dx = w
    return _op_result(total, "dot", tuple(parents), tuple(local))
