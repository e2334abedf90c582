"""The GPT of `models/gpt.py` laid out as nanoGPT's `model.py` lays out its GPT, in PyTorch: one `c_attn`
Linear makes queries, keys and values together, and attention is torch's fused
`F.scaled_dot_product_attention(..., is_causal=True)`. The fastest way torch offers to run this
model on a CPU, the bar `benchmarks/bench_gpt.py` measures ours against (our code and weights; the
layout follows nanoGPT's). Needs torch.

    theirs = NanoGPTStyle(config)
    theirs.load_state_dict(nanogpt_state_dict(our_model))   # our weights, q/k/v stacked into c_attn
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from models.gpt import GPT, IGNORE_INDEX, GPTConfig


class CausalSelfAttention(nn.Module):
    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        self.n_head, self.dropout = config.n_head, config.dropout
        self.c_attn = nn.Linear(config.n_embd, 3 * config.n_embd, bias=config.bias)
        self.c_proj = nn.Linear(config.n_embd, config.n_embd, bias=config.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        B, T, C = x.shape
        q, k, v = self.c_attn(x).split(C, dim=2)
        q, k, v = (t.view(B, T, self.n_head, C // self.n_head).transpose(1, 2) for t in (q, k, v))
        dropout = self.dropout if self.training else 0.0
        y = F.scaled_dot_product_attention(q, k, v, dropout_p=dropout, is_causal=True)
        return self.c_proj(y.transpose(1, 2).contiguous().view(B, T, C))


class Block(nn.Module):
    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        self.ln_1 = nn.LayerNorm(config.n_embd, bias=config.bias)
        self.attn = CausalSelfAttention(config)
        self.ln_2 = nn.LayerNorm(config.n_embd, bias=config.bias)
        self.c_fc = nn.Linear(config.n_embd, 4 * config.n_embd, bias=config.bias)
        self.c_proj = nn.Linear(4 * config.n_embd, config.n_embd, bias=config.bias)
        self.drop = nn.Dropout(config.dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.drop(self.attn(self.ln_1(x)))
        return x + self.drop(self.c_proj(F.gelu(self.c_fc(self.ln_2(x)))))


class NanoGPTStyle(nn.Module):
    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        self.wte = nn.Embedding(config.vocab_size, config.n_embd)
        self.wpe = nn.Embedding(config.block_size, config.n_embd)
        self.drop = nn.Dropout(config.dropout)
        self.h = nn.ModuleList([Block(config) for _ in range(config.n_layer)])
        self.ln_f = nn.LayerNorm(config.n_embd, bias=config.bias)
        self.lm_head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
        if config.tie_weights:
            self.lm_head.weight = self.wte.weight

    def forward(self, idx: torch.Tensor, targets: torch.Tensor | None = None):
        B, T = idx.shape
        x = self.drop(self.wte(idx) + self.wpe(torch.arange(T, device=idx.device)))
        for block in self.h:
            x = block(x)
        logits = self.lm_head(self.ln_f(x))
        if targets is None:
            return logits, None
        return logits, F.cross_entropy(
            logits.view(-1, logits.size(-1)), targets.reshape(-1), ignore_index=IGNORE_INDEX
        )


def nanogpt_state_dict(model: GPT) -> dict[str, torch.Tensor]:
    """Our model's weights under this layout's names: query, key and value stacked into c_attn."""
    ours = {name: torch.tensor(tensor.data.copy()) for name, tensor in model.state_dict().items()}
    state = {}
    for name in ("wte.weight", "wpe.weight", "lm_head.weight", "ln_f.weight", "ln_f.bias"):
        if name in ours:
            state[name] = ours[name]
    for i in range(len(model.blocks)):
        prefix = f"blocks.{i}."
        renames = {
            "ln_1": "ln_1",
            "ln_2": "ln_2",
            "attn_proj": "attn.c_proj",
            "mlp.fc": "c_fc",
            "mlp.proj": "c_proj",
        }
        for kind in ("weight", "bias"):
            parts = [ours.get(f"{prefix}attn.{p}.{kind}") for p in ("query", "key", "value")]
            if parts[0] is not None:
                state[f"h.{i}.attn.c_attn.{kind}"] = torch.cat(parts, dim=0)
            for old, new in renames.items():
                if f"{prefix}{old}.{kind}" in ours:
                    state[f"h.{i}.{new}.{kind}"] = ours[f"{prefix}{old}.{kind}"]
    return state
