"""The general graph walk of tinygrad_edu.

The numpy `Tensor` engine and the graph drawing in `viz.py` order a computation graph with the same
function, `topological_order`; it works for any kind of node. (The scalar `Value` engine, where the
cost of every node counts, runs the same walk specialised to `Value`, see `scalar.backward_order`.)
It is iterative (an explicit stack instead of recursion), so a chain of 100,000 operations is as easy
as a chain of 10.

A graph node is any object; the caller says how to reach a node's inputs with `inputs_of(node)`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

Node = TypeVar("Node")


def topological_order(root: Node, inputs_of: Callable[[Node], Iterable[Node]]) -> list[Node]:
    """Every node reachable from `root`, each listed after all of its inputs (root comes last).

    Backpropagation visits this list in reverse: a node's gradient is complete once every node that
    used it has been visited. Depth-first search with an explicit stack instead of recursion, so no
    Python recursion limit applies. A node on top of the stack is first expanded (its inputs pushed
    above it); when it is on top again, all its inputs are in `order`, so it is appended. Nodes are
    kept in a dict by identity (their hash), not compared with `==`.
    """
    order: list[Node] = []
    appended: dict = {}  # node -> False once expanded, True once appended to `order`
    stack: list[Node] = [root]
    push, pop, append, state_of = stack.append, stack.pop, order.append, appended.get
    while stack:
        node = stack[-1]
        state = state_of(node)
        if state is None:
            appended[node] = False
            for child in inputs_of(node):
                if child not in appended:
                    push(child)
        else:
            pop()
            if not state:
                appended[node] = True
                append(node)
    return order
