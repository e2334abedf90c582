"""tinygrad_edu: deep learning built from scratch in Python and numpy, for people who learn by building.

The public API is re-exported here so that `import tinygrad_edu as tg` gives `tg.Value`, `tg.Tensor`,
the tensor factories, `tg.no_grad`, `tg.manual_seed` and the gradient checks.
"""

# isort: skip_file
# (order matters once: the factory function `tensor` must be bound after the package tinygrad_edu.tensor)

# --- the scalar engine (scalar.py), graph drawing (viz.py), gradient checks (gradcheck.py) ---
from tinygrad_edu.gradcheck import GradcheckError, gradcheck
from tinygrad_edu.gradcheck import gradgradcheck
from tinygrad_edu.scalar import Value
from tinygrad_edu.viz import draw_dot, to_dot

# --- the tensor core (autograd/, ops/, tensor/) ---
from tinygrad_edu import autograd
from tinygrad_edu.autograd import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from tinygrad_edu.tensor import (
    Tensor,
    bool_,
    float16,
    float32,
    float64,
    int32,
    int64,
    where,
    Generator,
    arange,
    cat,
    empty,
    eye,
    full,
    full_like,
    linspace,
    manual_seed,
    multinomial,
    ones,
    ones_like,
    rand,
    randint,
    randn,
    randperm,
    stack,
    tensor,
    zeros,
    zeros_like,
)

float = float32  # torch's dtype aliases: tg.float, tg.double, tg.long, tg.bool
double = float64
long = int64
bool = bool_

__version__ = "0.1.0"

# --- nn, optim and checkpoints (nn/, optim/, serialization.py) ---
from tinygrad_edu import nn, optim  # noqa: E402
from tinygrad_edu.serialization import load, save  # noqa: E402
