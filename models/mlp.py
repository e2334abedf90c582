"""The character MLP of Bengio et al. 2003 ("A Neural Probabilistic Language Model"), as in makemore.

The previous `block_size` characters are looked up in an embedding table, concatenated, passed
through one tanh hidden layer, and mapped to logits over the next character:

    idx (B, T) -> embeddings (B, T, n_embd) -> concat (B, T*n_embd) -> tanh(. @ W1 + b1) (B, n_hidden)
               -> . @ W2 + b2 = logits (B, vocab_size)

Initialisation follows makemore part 3 (it trains faster and ends lower than the default): the hidden
weight is scaled by (5/3)/sqrt(fan_in) so tanh starts unsaturated, and the output layer starts near
zero so the first predictions are near uniform (initial loss ~ log(27) = 3.3, not 20+).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import tinygrad_edu as tg
from models.bigram import _Sampler
from tinygrad_edu import nn
from tinygrad_edu.nn import functional as F


@dataclass
class MLPConfig:
    vocab_size: int = 27
    block_size: int = 3  # characters of context
    n_embd: int = 10  # size of each character's embedding
    n_hidden: int = 200  # units in the tanh hidden layer


class MLP(_Sampler, nn.Module):
    def __init__(self, config: MLPConfig | None = None, generator: tg.Generator | None = None) -> None:
        super().__init__()
        self.config = config = config or MLPConfig()
        fan_in = config.block_size * config.n_embd
        self.wte = nn.Embedding(config.vocab_size, config.n_embd, generator=generator)  # C in makemore
        self.hidden = nn.Linear(fan_in, config.n_hidden, generator=generator)
        self.tanh = nn.Tanh()  # a module, not a method call, so that hooks (the health report) see it
        self.output = nn.Linear(config.n_hidden, config.vocab_size, generator=generator)
        with tg.no_grad():
            nn.init.normal_(self.hidden.weight, std=(5 / 3) / math.sqrt(fan_in), generator=generator)
            nn.init.normal_(self.hidden.bias, std=0.01, generator=generator)
            nn.init.normal_(self.output.weight, std=0.01, generator=generator)
            nn.init.zeros_(self.output.bias)

    def forward(self, idx: tg.Tensor, targets: tg.Tensor | None = None):
        B, T = idx.shape
        if T != self.config.block_size:
            raise ValueError(f"MLP: expected contexts of {self.config.block_size} ids, got shape {(B, T)}")
        emb = self.wte(idx)  # (B, T, n_embd)
        hidden = self.tanh(self.hidden(emb.reshape(B, -1)))  # (B, n_hidden)
        logits = self.output(hidden)  # (B, vocab_size)
        loss = F.cross_entropy(logits, targets) if targets is not None else None
        return logits, loss
