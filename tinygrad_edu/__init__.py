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
from tinygrad_edu.dtypes import bfloat16
from tinygrad_edu.device import device
from tinygrad_edu import autograd
from tinygrad_edu.autograd import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
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
    from_numpy,
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
half = float16
int = int32

# --- torch.* functions that are Tensor methods (functions.py): tg.tril(x), tg.maximum(a, b), ... ---
from tinygrad_edu.functions import (  # noqa: E402
    abs,
    all,
    allclose,
    any,
    argmax,
    argmin,
    chunk,
    clamp,
    clip,
    compile,
    equal,
    exp,
    flatten,
    histogram,
    is_tensor,
    isnan,
    log,
    log10,
    log_softmax,
    logsumexp,
    masked_fill,
    matmul,
    max,
    maximum,
    mean,
    min,
    minimum,
    numel,
    pow,
    relu,
    reshape,
    roll,
    sigmoid,
    softmax,
    split,
    sqrt,
    square,
    squeeze,
    std,
    sum,
    tanh,
    topk,
    transpose,
    tril,
    triu,
    unbind,
    unsqueeze,
    var,
)

__version__ = "0.1.0"

# --- nn, optim and checkpoints (nn/, optim/, serialization.py) ---
from tinygrad_edu import nn, optim  # noqa: E402
from tinygrad_edu import amp, backends, cuda, utils  # noqa: E402  (CPU-only torch conventions)
from tinygrad_edu.serialization import load, save  # noqa: E402
