"""tinygrad_edu: deep learning built from scratch in Python and numpy, for people who learn by building.

The public API is re-exported here so that `import tinygrad_edu as tg` gives `tg.Value`, `tg.Tensor`,
the tensor factories, `tg.no_grad`, `tg.manual_seed` and the gradient checks.
"""

__version__ = "0.1.0"
