"""A GPT and its training loop written for PyTorch in the style of nanoGPT's model.py and train.py
(this project's own code, exercising the same torch API): a LayerNorm with optional bias, fused QKV
attention through F.scaled_dot_product_attention or a masked `tril` buffer, weight tying, init by
Module.apply, AdamW groups with the `fused` check, top-k sampling with in-place masking, a
cosine-schedule training loop with GradScaler, gradient clipping and a resumable checkpoint."""

import inspect
import math
import os
from contextlib import nullcontext
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn as nn
from torch.nn import functional as F


@dataclass
class Config:
    block_size: int = 16
    vocab_size: int = 11
    n_layer: int = 2
    n_head: int = 2
    n_embd: int = 16
    dropout: float = 0.0
    bias: bool = True
    flash: bool = True  # False: the explicit masked attention with a registered tril buffer


class Norm(nn.Module):
    def __init__(self, size, bias):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(size))
        self.bias = nn.Parameter(torch.zeros(size)) if bias else None

    def forward(self, x):
        return F.layer_norm(x, self.weight.shape, self.weight, self.bias, 1e-5)


class Attention(nn.Module):
    def __init__(self, config):
        super().__init__()
        assert config.n_embd % config.n_head == 0
        self.qkv = nn.Linear(config.n_embd, 3 * config.n_embd, bias=config.bias)
        self.out_proj = nn.Linear(config.n_embd, config.n_embd, bias=config.bias)
        self.attn_dropout = nn.Dropout(config.dropout)
        self.resid_dropout = nn.Dropout(config.dropout)
        self.n_head, self.n_embd, self.dropout = config.n_head, config.n_embd, config.dropout
        self.flash = config.flash and hasattr(torch.nn.functional, "scaled_dot_product_attention")
        if not self.flash:
            lower = torch.tril(torch.ones(config.block_size, config.block_size))
            self.register_buffer("bias", lower.view(1, 1, config.block_size, config.block_size))

    def forward(self, x):
        B, T, C = x.size()
        q, k, v = self.qkv(x).split(self.n_embd, dim=2)
        q = q.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        k = k.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        v = v.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        if self.flash:
            drop = self.dropout if self.training else 0
            y = torch.nn.functional.scaled_dot_product_attention(
                q, k, v, attn_mask=None, dropout_p=drop, is_causal=True
            )
        else:
            scores = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
            scores = scores.masked_fill(self.bias[:, :, :T, :T] == 0, float("-inf"))
            y = self.attn_dropout(F.softmax(scores, dim=-1)) @ v
        y = y.transpose(1, 2).contiguous().view(B, T, C)
        return self.resid_dropout(self.out_proj(y))


class FeedForward(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.up = nn.Linear(config.n_embd, 4 * config.n_embd, bias=config.bias)
        self.gelu = nn.GELU()
        self.out_proj = nn.Linear(4 * config.n_embd, config.n_embd, bias=config.bias)
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, x):
        return self.dropout(self.out_proj(self.gelu(self.up(x))))


class Block(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.ln_1 = Norm(config.n_embd, bias=config.bias)
        self.attn = Attention(config)
        self.ln_2 = Norm(config.n_embd, bias=config.bias)
        self.mlp = FeedForward(config)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class GPT(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.config = config
        self.transformer = nn.ModuleDict(
            dict(
                wte=nn.Embedding(config.vocab_size, config.n_embd),
                wpe=nn.Embedding(config.block_size, config.n_embd),
                drop=nn.Dropout(config.dropout),
                h=nn.ModuleList([Block(config) for _ in range(config.n_layer)]),
                ln_f=Norm(config.n_embd, bias=config.bias),
            )
        )
        self.lm_head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
        self.transformer.wte.weight = self.lm_head.weight  # tied input and output embeddings
        self.apply(self._init_weights)
        for name, param in self.named_parameters():
            if name.endswith("out_proj.weight"):
                torch.nn.init.normal_(param, mean=0.0, std=0.02 / math.sqrt(2 * config.n_layer))

    def _init_weights(self, module):
        if isinstance(module, nn.Linear):
            torch.nn.init.normal_(module.weight, mean=0.0, std=0.02)
            if module.bias is not None:
                torch.nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Embedding):
            torch.nn.init.normal_(module.weight, mean=0.0, std=0.02)

    def get_num_params(self, non_embedding=True):
        count = sum(p.numel() for p in self.parameters())
        return count - self.transformer.wpe.weight.numel() if non_embedding else count

    def forward(self, idx, targets=None):
        device = idx.device
        b, t = idx.size()
        assert t <= self.config.block_size, f"sequence of {t} is longer than the block size"
        pos = torch.arange(0, t, dtype=torch.long, device=device)
        x = self.transformer.drop(self.transformer.wte(idx) + self.transformer.wpe(pos))
        for block in self.transformer.h:
            x = block(x)
        x = self.transformer.ln_f(x)
        if targets is not None:
            logits = self.lm_head(x)
            loss = F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1), ignore_index=-1)
        else:
            logits = self.lm_head(x[:, [-1], :])  # the list keeps the time dimension
            loss = None
        return logits, loss

    def crop_block_size(self, block_size):
        assert block_size <= self.config.block_size
        self.config.block_size = block_size
        self.transformer.wpe.weight = nn.Parameter(self.transformer.wpe.weight[:block_size])
        for block in self.transformer.h:
            if hasattr(block.attn, "bias"):
                block.attn.bias = block.attn.bias[:, :, :block_size, :block_size]

    def configure_optimizers(self, weight_decay, learning_rate, betas, device_type):
        params = {name: p for name, p in self.named_parameters() if p.requires_grad}
        decay = [p for p in params.values() if p.dim() >= 2]
        no_decay = [p for p in params.values() if p.dim() < 2]
        groups = [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
        fused_available = "fused" in inspect.signature(torch.optim.AdamW).parameters
        extra = dict(fused=True) if fused_available and device_type == "cuda" else dict()
        return torch.optim.AdamW(groups, lr=learning_rate, betas=betas, **extra)

    def estimate_mfu(self, fwdbwd_per_iter, dt):
        cfg = self.config
        L, H, Q, T = cfg.n_layer, cfg.n_head, cfg.n_embd // cfg.n_head, cfg.block_size
        flops_per_iter = (6 * self.get_num_params() + 12 * L * H * Q * T) * T * fwdbwd_per_iter
        return flops_per_iter / dt / 312e12

    @torch.no_grad()
    def generate(self, idx, max_new_tokens, temperature=1.0, top_k=None):
        for _ in range(max_new_tokens):
            idx_cond = idx if idx.size(1) <= self.config.block_size else idx[:, -self.config.block_size :]
            logits, _ = self(idx_cond)
            logits = logits[:, -1, :] / temperature
            if top_k is not None:
                v, _ = torch.topk(logits, min(top_k, logits.size(-1)))
                logits[logits < v[:, [-1]]] = -float("Inf")
            probs = F.softmax(logits, dim=-1)
            idx_next = torch.multinomial(probs, num_samples=1)
            idx = torch.cat((idx, idx_next), dim=1)
        return idx


# ------------------------------------------------------------------------------------------------
# the training loop, train.py style


class Run:
    """Settings and state of one training run; batches come from `offsets` (a numpy generator), so
    two libraries given the same seed see the same batches."""

    def __init__(
        self,
        data,
        out_dir,
        batch_size=4,
        block_size=8,
        learning_rate=1e-2,
        max_iters=6,
        warmup_iters=2,
        lr_decay_iters=6,
        min_lr=1e-3,
        grad_clip=1.0,
        eval_iters=2,
        device="cpu",
        dtype="float32",
        seed=0,
    ):
        self.data, self.out_dir = data, out_dir
        self.batch_size, self.block_size = batch_size, block_size
        self.learning_rate, self.max_iters, self.min_lr = learning_rate, max_iters, min_lr
        self.warmup_iters, self.lr_decay_iters = warmup_iters, lr_decay_iters
        self.grad_clip, self.eval_iters, self.device = grad_clip, eval_iters, device
        self.offsets = np.random.default_rng(seed)
        torch.manual_seed(1337)
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
        self.device_type = "cuda" if "cuda" in device else "cpu"
        self.ptdtype = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}[dtype]
        self.ctx = (
            nullcontext()
            if self.device_type == "cpu"
            else torch.amp.autocast(device_type=self.device_type, dtype=self.ptdtype)
        )
        self.scaler = torch.amp.GradScaler("cuda", enabled=(dtype == "float16"))
        self.iter_num, self.best_val_loss, self.log = 0, 1e9, []

    def get_batch(self):
        ix = self.offsets.integers(0, len(self.data) - self.block_size, self.batch_size)
        x = torch.stack([torch.from_numpy(self.data[i : i + self.block_size].astype(np.int64)) for i in ix])
        y = torch.stack(
            [torch.from_numpy(self.data[i + 1 : i + 1 + self.block_size].astype(np.int64)) for i in ix]
        )
        if self.device_type == "cuda":
            return x.pin_memory().to(self.device, non_blocking=True), y.pin_memory().to(
                self.device, non_blocking=True
            )
        return x.to(self.device), y.to(self.device)

    def get_lr(self, it):
        if it < self.warmup_iters:
            return self.learning_rate * (it + 1) / (self.warmup_iters + 1)
        if it > self.lr_decay_iters:
            return self.min_lr
        ratio = (it - self.warmup_iters) / (self.lr_decay_iters - self.warmup_iters)
        return self.min_lr + 0.5 * (1.0 + math.cos(math.pi * ratio)) * (self.learning_rate - self.min_lr)

    @torch.no_grad()
    def estimate_loss(self, model):
        model.eval()
        losses = torch.zeros(self.eval_iters)
        for k in range(self.eval_iters):
            X, Y = self.get_batch()
            with self.ctx:
                _, loss = model(X, Y)
            losses[k] = loss.item()
        model.train()
        return losses.mean()

    def train(self, model, optimizer, iters):
        model.to(self.device)
        X, Y = self.get_batch()
        for _ in range(iters):
            lr = self.get_lr(self.iter_num)
            for group in optimizer.param_groups:
                group["lr"] = lr
            with self.ctx:
                _, loss = model(X, Y)
            X, Y = self.get_batch()
            self.scaler.scale(loss).backward()
            if self.grad_clip != 0.0:
                self.scaler.unscale_(optimizer)
                torch.nn.utils.clip_grad_norm_(model.parameters(), self.grad_clip)
            self.scaler.step(optimizer)
            self.scaler.update()
            optimizer.zero_grad(set_to_none=True)
            self.log.append(f"iter {self.iter_num}: loss {loss.item():.4f}")
            self.iter_num += 1
        val = self.estimate_loss(model)
        self.log.append(f"step {self.iter_num}: val loss {val:.4f}")
        if val < self.best_val_loss:
            self.best_val_loss = val.item()
        return val

    def save(self, model, optimizer, model_args):
        checkpoint = {
            "model": model.state_dict(),
            "optimizer": optimizer.state_dict(),
            "model_args": model_args,
            "iter_num": self.iter_num,
            "best_val_loss": self.best_val_loss,
            "offsets": self.offsets.bit_generator.state,
            "config": {"learning_rate": self.learning_rate, "device": self.device, "dtype": "float32"},
        }
        torch.save(checkpoint, os.path.join(self.out_dir, "ckpt.pt"))

    def resume(self):
        checkpoint = torch.load(os.path.join(self.out_dir, "ckpt.pt"), map_location=self.device)
        model = GPT(Config(**checkpoint["model_args"]))
        state_dict = checkpoint["model"]
        for key in list(state_dict):
            if key.startswith("_orig_mod."):
                state_dict[key[len("_orig_mod.") :]] = state_dict.pop(key)
        model.load_state_dict(state_dict)
        optimizer = model.configure_optimizers(0.1, self.learning_rate, (0.9, 0.95), self.device_type)
        optimizer.load_state_dict(checkpoint["optimizer"])
        self.iter_num, self.best_val_loss = checkpoint["iter_num"], checkpoint["best_val_loss"]
        self.offsets.bit_generator.state = checkpoint["offsets"]
        return model, optimizer
