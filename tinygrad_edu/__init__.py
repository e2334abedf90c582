"""tinygrad_edu: deep learning built from scratch in Python and numpy, for people who learn by building.

The public API is re-exported here so that `import tinygrad_edu as tg` gives `tg.Value`, `tg.Tensor`,
the tensor factories, `tg.no_grad`, `tg.manual_seed` and the gradient checks.
"""

from tinygrad_edu.gradcheck import GradcheckError, gradcheck  # noqa: F401 (re-exported)
from tinygrad_edu.scalar import Value  # noqa: F401 (re-exported)
from tinygrad_edu.viz import draw_dot, to_dot  # noqa: F401 (re-exported)

__version__ = "0.1.0"
