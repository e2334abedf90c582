"""The GPT of `models/gpt.py` written in PyTorch, layer for layer, with the same parameter names.

It is the reference that `tests/test_gpt.py` checks our model against (same weights -> same logits and
loss) and the other side of `benchmarks/bench_gpt.py`. Read the two files side by side: the only
differences are torch's names for the same operations. Needs torch (`pip install torch==2.13.0`).

    torch_model = TorchGPT(config)
    torch_model.load_state_dict(torch_state_dict(our_model))   # copy our weights in
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

from models.gpt import GPT, IGNORE_INDEX, GPTConfig


class TorchSelfAttention(nn.Module):
    """query/key/value projections and causal attention, as `tinygrad_edu.nn.attention.SelfAttention`."""

    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        self.num_heads = config.n_head
        self.dropout = config.dropout
        self.query = nn.Linear(config.n_embd, config.n_embd, bias=config.bias)
        self.key = nn.Linear(config.n_embd, config.n_embd, bias=config.bias)
        self.value = nn.Linear(config.n_embd, config.n_embd, bias=config.bias)
        mask = torch.triu(torch.ones(config.block_size, config.block_size, dtype=torch.bool), diagonal=1)
        self.register_buffer("future", mask, persistent=False)  # True where j > i: not allowed

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        B, T, C = x.shape
        H = self.num_heads

        def heads(t: torch.Tensor) -> torch.Tensor:  # (B, T, C) -> (B, H, T, C / H)
            return t.view(B, T, H, C // H).transpose(1, 2)

        q, k, v = heads(self.query(x)), heads(self.key(x)), heads(self.value(x))
        scores = (q @ k.transpose(-1, -2)) * (1.0 / math.sqrt(C // H))  # (B, H, T, T)
        scores = scores.masked_fill(self.future[:T, :T], float("-inf"))
        probs = F.dropout(scores.softmax(dim=-1), self.dropout, self.training)
        return (probs @ v).transpose(1, 2).reshape(B, T, C)


class TorchBlock(nn.Module):
    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        self.ln_1 = nn.LayerNorm(config.n_embd, bias=config.bias)
        self.attn = TorchSelfAttention(config)
        self.attn_proj = nn.Linear(config.n_embd, config.n_embd, bias=config.bias)
        self.attn_dropout = nn.Dropout(config.dropout)
        self.ln_2 = nn.LayerNorm(config.n_embd, bias=config.bias)
        self.mlp = nn.Module()
        self.mlp.fc = nn.Linear(config.n_embd, 4 * config.n_embd, bias=config.bias)
        self.mlp.proj = nn.Linear(4 * config.n_embd, config.n_embd, bias=config.bias)
        self.mlp_dropout = nn.Dropout(config.dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn_dropout(self.attn_proj(self.attn(self.ln_1(x))))
        return x + self.mlp_dropout(self.mlp.proj(F.gelu(self.mlp.fc(self.ln_2(x)))))


class TorchGPT(nn.Module):
    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        self.config = config
        self.wte = nn.Embedding(config.vocab_size, config.n_embd)
        self.wpe = nn.Embedding(config.block_size, config.n_embd)
        self.drop = nn.Dropout(config.dropout)
        self.blocks = nn.ModuleList([TorchBlock(config) for _ in range(config.n_layer)])
        self.ln_f = nn.LayerNorm(config.n_embd, bias=config.bias)
        self.lm_head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
        if config.tie_weights:
            self.lm_head.weight = self.wte.weight

    def forward(self, idx: torch.Tensor, targets: torch.Tensor | None = None):
        B, T = idx.shape
        x = self.drop(self.wte(idx) + self.wpe(torch.arange(T)))
        for block in self.blocks:
            x = block(x)
        logits = self.lm_head(self.ln_f(x))
        if targets is None:
            return logits, None
        loss = F.cross_entropy(logits.view(B * T, -1), targets.reshape(B * T), ignore_index=IGNORE_INDEX)
        return logits, loss


def torch_state_dict(model: GPT) -> dict[str, torch.Tensor]:
    """Our model's weights as torch tensors under the same names (copies, so the models stay apart)."""
    return {name: torch.tensor(tensor.data.copy()) for name, tensor in model.state_dict().items()}


if __name__ == "__main__":  # a module, not a benchmark: --help says so
    import argparse

    argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    ).parse_args()
    print("gpt_torch.py defines TorchGPT for tests/test_gpt.py and benchmarks/bench_gpt.py; run one of those")
