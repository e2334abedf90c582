"""The one graph walk of tinygrad_edu.

Both autograd engines (the scalar `Value` and the numpy `Tensor`) and the graph drawing in `viz.py`
order a computation graph with the same function, `topological_order`. It is iterative (an explicit
stack instead of recursion), so a chain of 100,000 operations is as easy as a chain of 10.

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
    Python recursion limit applies: a node is pushed once to visit it and once more, beneath its
    inputs, to be appended after them.
    """
    order: list[Node] = []
    visited: set[int] = set()
    # (node, False): visit it; (node, True): its inputs are all in `order`, so append it
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, inputs_done = stack.pop()
        if inputs_done:
            order.append(node)
            continue
        if id(node) in visited:
            continue
        visited.add(id(node))
        stack.append((node, True))
        for child in inputs_of(node):
            if id(child) not in visited:
                stack.append((child, False))
    return order
