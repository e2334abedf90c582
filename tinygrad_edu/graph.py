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
    used it has been visited. Depth-first search with an explicit stack; each stack entry is a node
    and an iterator over its remaining inputs, so no Python recursion limit applies.
    """
    order: list[Node] = []
    visited: set[int] = {id(root)}
    stack = [(root, iter(inputs_of(root)))]
    while stack:
        node, pending_inputs = stack[-1]
        for child in pending_inputs:
            if id(child) not in visited:
                visited.add(id(child))
                stack.append((child, iter(inputs_of(child))))
                break
        else:  # all inputs of `node` are already in `order`
            stack.pop()
            order.append(node)
    return order
