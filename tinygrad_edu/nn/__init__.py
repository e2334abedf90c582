"""`tg.nn`: modules and layers (as `torch.nn`), with `functional` (F), `init` and `utils` beside them.

from tinygrad_edu import nn
from tinygrad_edu.nn import functional as F
model = nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 1))
"""

from tinygrad_edu.nn import functional, init, utils
from tinygrad_edu.nn.containers import ModuleDict, ModuleList, Sequential
from tinygrad_edu.nn.layers import (
    GELU,
    BatchNorm1d,
    Dropout,
    Embedding,
    Flatten,
    GroupNorm,
    Identity,
    LayerNorm,
    Linear,
    ReLU,
    Sigmoid,
    Softmax,
    Tanh,
)
from tinygrad_edu.nn.module import Module
from tinygrad_edu.nn.parameter import Parameter
from tinygrad_edu.nn.attention import SelfAttention, scaled_dot_product_attention  # noqa: I001 (needs Module first)
from tinygrad_edu.nn.positional import SinusoidalPositionalEncoding

__all__ = [
    "GELU",
    "BatchNorm1d",
    "Dropout",
    "Embedding",
    "Flatten",
    "GroupNorm",
    "Identity",
    "LayerNorm",
    "Linear",
    "Module",
    "ModuleDict",
    "ModuleList",
    "Parameter",
    "SelfAttention",
    "SinusoidalPositionalEncoding",
    "ReLU",
    "Sequential",
    "Sigmoid",
    "Softmax",
    "Tanh",
    "functional",
    "init",
    "scaled_dot_product_attention",
    "utils",
]
