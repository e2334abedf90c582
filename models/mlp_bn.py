"""A deeper character MLP with BatchNorm (makemore part 3, "activations, gradients and BatchNorm").

    idx (B, T) -> embeddings, concatenated (B, T*n_embd)
               -> n_layers x [Linear -> BatchNorm1d -> Tanh]   (B, n_hidden)
               -> Linear -> BatchNorm1d                        logits (B, vocab_size)

BatchNorm normalises each unit's pre-activation over the batch, so the tanh inputs stay near unit
scale whatever the weights do; that makes deep tanh stacks trainable and much less sensitive to the
initialisation. With `batchnorm=False` the same network is built without it (and the Linear layers get
their biases back), to see the difference. At evaluation BatchNorm uses its running statistics.

Weights are initialised Kaiming-style, N(0, (gain / sqrt(fan_in))^2) with gain 5/3 for tanh, which keeps
activations at a steady scale through the layers. `kaiming=False` drops the 1/sqrt(fan_in) factor: a
deliberately bad initialisation (saturated tanh) for `examples/diagnose_mlp_bn.py`. The last layer is
scaled by 0.1 (its BatchNorm's gamma, or its weight without BatchNorm) so the first predictions are
less confident.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import tinygrad_edu as tg
from models.bigram import _Sampler
from tinygrad_edu import nn
from tinygrad_edu.nn import functional as F


@dataclass
class MLPBNConfig:
    vocab_size: int = 27
    block_size: int = 3
    n_embd: int = 10
    n_hidden: int = 100
    n_layers: int = 5  # hidden layers
    batchnorm: bool = True
    init_gain: float = 5 / 3  # tanh's gain
    kaiming: bool = True  # scale weights by 1/sqrt(fan_in); False gives the "bad init" of the lesson


class MLPBN(_Sampler, nn.Module):
    def __init__(self, config: MLPBNConfig | None = None, generator: tg.Generator | None = None) -> None:
        super().__init__()
        self.config = config = config or MLPBNConfig()
        self.wte = nn.Embedding(config.vocab_size, config.n_embd, generator=generator)
        sizes = [config.block_size * config.n_embd] + [config.n_hidden] * config.n_layers
        layers: list[nn.Module] = []
        for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
            layers += self._linear_norm(fan_in, fan_out, generator)
            layers.append(nn.Tanh())
        layers += self._linear_norm(config.n_hidden, config.vocab_size, generator)
        self.layers = nn.Sequential(*layers)
        with tg.no_grad():
            layers[-1].weight.data *= 0.1  # the output BatchNorm's gamma, or the output Linear's weight
        self.record = False  # set True to keep each layer's output (for diagnostics)
        self.outputs: list[tuple[nn.Module, tg.Tensor]] = []

    def _linear_norm(self, fan_in: int, fan_out: int, generator) -> list[nn.Module]:
        config = self.config
        # with BatchNorm right after, a bias would be cancelled by the mean subtraction: leave it out
        linear = nn.Linear(fan_in, fan_out, bias=not config.batchnorm, generator=generator)
        with tg.no_grad():
            std = config.init_gain / math.sqrt(fan_in) if config.kaiming else config.init_gain
            nn.init.normal_(linear.weight, std=std, generator=generator)
            if linear.bias is not None:
                nn.init.zeros_(linear.bias)
        return [linear, nn.BatchNorm1d(fan_out)] if config.batchnorm else [linear]

    def forward(self, idx: tg.Tensor, targets: tg.Tensor | None = None):
        B, T = idx.shape
        if T != self.config.block_size:
            raise ValueError(f"MLPBN: expected contexts of {self.config.block_size} ids, got shape {(B, T)}")
        x = self.wte(idx).reshape(B, -1)  # (B, T*n_embd)
        self.outputs = []
        for layer in self.layers:
            x = layer(x)
            if self.record:
                x.retain_grad()  # so the diagnostics can read each layer's gradient after backward
                self.outputs.append((layer, x))
        logits = x  # (B, vocab_size)
        loss = F.cross_entropy(logits, targets) if targets is not None else None
        return logits, loss
