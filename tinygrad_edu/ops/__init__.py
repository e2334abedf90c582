"""The differentiable primitives, each a `Function` with forward and backward side by side.

- `elementwise.py`: arithmetic and pointwise functions (add, mul, exp, tanh, gelu, where, ...)
- `reduce.py`: sum, max/min along a dimension, logsumexp
- `shape.py`: reshape, permute, expand, indexing, concatenation
- `linalg.py`: matrix multiplication
- `activation.py`: softmax and log_softmax (fused for numerical stability)

Forward computes with numpy on `tensor.data`; backward is written with Tensor operations, so every
gradient is itself differentiable (`create_graph=True`).
"""
