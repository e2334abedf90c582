"""The differentiable primitives, each a `Function` with forward and backward side by side.

- `elementwise.py`: arithmetic and pointwise math (add, mul, exp, log, clamp, maximum, where, ...)
- `activation.py`: tanh, sigmoid, relu, gelu, softmax and log_softmax
- `reduce.py`: sum, the values at indices along a dimension (max/min), logsumexp
- `shape.py`: reshape, permute, expand, indexing, concatenation, clone, cast
- `linalg.py`: matrix multiplication and the linear layer
- `normalization.py`: layer and batch normalisation
- `loss.py`: cross entropy over class rows

The ops know `Function` and numpy only, never `Tensor`: forward computes on the inputs' arrays
(`x.data`) and returns an array; backward is written with the methods of the gradient it receives, so
every gradient is itself differentiable (`create_graph=True`).
"""
