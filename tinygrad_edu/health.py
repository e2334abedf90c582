"""A training-health report for any `nn.Module`: is each layer alive, and is it learning at a sane speed?

    health = HealthReport(model, every=100, max_grad_norm=1.0, jsonl="runs/x/health.jsonl")
    for step in range(steps):
        loss = compute_loss(model, batch)              # forward hooks record activations on report steps
        optimizer.zero_grad()
        loss.backward()
        norm = clip_grad_norm_(model.parameters(), 1.0)   # optional
        with health.update(grad_norm=norm):            # around the optimizer step
            optimizer.step()
    health.save_png("runs/x/health.png")

Every `every` steps (step 0 included) it records, per layer:
- activations of every `nn.Tanh`, `nn.GELU` and `nn.ReLU` module: mean and std of the output, the
  saturated fraction (tanh: |out| > `saturation`; GELU: input < -3, where its slope is under 0.012;
  ReLU: out <= 0), dead units (features saturated for every example of the batch), and the std of the
  gradient arriving at the output;
- every parameter: gradient norm, grad:data ratio std(grad) / std(param), and the update:data ratio
  log10(std(param after step - param before) / std(param before)) (around -3 is healthy, the makemore
  lectures' rule of thumb; the real update, so it is right for Adam and weight decay too);
- gradient-clip events: the steps since the last record whose `grad_norm` exceeded `max_grad_norm`;
- attention entropy per head of every `nn.SelfAttention` (nats; log(T) is uniform attention).

On other steps it does nothing but count clip events: its forward hooks are removed between report
steps, and a model without a report has no hooks at all. `records` holds the numbers (also written as
JSON lines); `save_png` draws the dashboard (`health_plot.py`).
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from typing import Any

import numpy as np

from tinygrad_edu.autograd.grad_mode import is_grad_enabled
from tinygrad_edu.files import atomic_write
from tinygrad_edu.health_plot import plot_dashboard
from tinygrad_edu.nn.attention import SelfAttention
from tinygrad_edu.nn.layers import GELU, ReLU, Tanh
from tinygrad_edu.nn.module import Module

GELU_FLAT_BELOW = -3.0  # GELU'(x) = Phi(x) + x phi(x) is under 0.012 in magnitude for x < -3
HISTOGRAM_BINS = 40


def _activation_kind(module: Module) -> str | None:
    for kind, cls in (("tanh", Tanh), ("gelu", GELU), ("relu", ReLU)):
        if isinstance(module, cls):
            return kind
    return None


def activation_stats(kind: str, input: np.ndarray, output: np.ndarray, saturation: float = 0.97) -> dict:
    """The report's numbers for one activation call; features are the last dimension."""
    if kind == "tanh":
        saturated = np.abs(output) > saturation
        low, high = -1.0, 1.0
    elif kind == "gelu":
        saturated = input < GELU_FLAT_BELOW
        low, high = float(output.min()), float(output.max())
    else:
        saturated = output <= 0
        low, high = float(output.min()), float(output.max())
    per_unit = saturated.reshape(-1, output.shape[-1]) if output.ndim else saturated.reshape(1, 1)
    counts, edges = np.histogram(output, bins=HISTOGRAM_BINS, range=(low, high if high > low else low + 1))
    return {
        "kind": kind,
        "mean": float(output.mean()),
        "std": float(output.std()),
        "saturated": float(saturated.mean()),
        "dead_units": int(per_unit.all(axis=0).sum()),
        "units": int(per_unit.shape[1]),
        "histogram": {"counts": counts.tolist(), "low": float(edges[0]), "high": float(edges[-1])},
    }


def attention_entropy(probs: np.ndarray) -> list[float]:
    """Mean entropy (nats) of each head's attention rows, for probs of shape (B, H, T, T)."""
    p = probs.astype(np.float64)
    terms = np.where(p > 0, -p * np.log(np.where(p > 0, p, 1.0)), 0.0)  # 0 log 0 = 0 (masked keys)
    return terms.sum(axis=-1).mean(axis=(0, 2)).tolist()


def _ratio(numerator: float, denominator: float) -> float:
    return float(numerator / denominator) if denominator > 0 else float("nan")


class HealthReport:
    """Records the health of `model`'s layers every `every` steps; see the module docstring."""

    def __init__(
        self,
        model: Module,
        every: int = 100,
        max_grad_norm: float | None = None,
        saturation: float = 0.97,
        jsonl: str | os.PathLike | None = None,
        start_step: int = 0,
    ) -> None:
        if every < 1:
            raise ValueError(f"HealthReport: every must be at least 1, got {every}")
        self.model, self.every, self.saturation = model, every, saturation
        self.max_grad_norm = max_grad_norm
        self.params = [(name, p) for name, p in model.named_parameters() if p.requires_grad]
        self.activation_modules = [
            (name, module, kind)
            for name, module in model.named_modules()
            if (kind := _activation_kind(module))
        ]
        self.attention_modules = [
            (name, m) for name, m in model.named_modules() if isinstance(m, SelfAttention)
        ]
        self.records: list[dict] = []
        self.step = start_step  # the step whose forward, backward and update come next (a resumed run: > 0)
        self.jsonl = jsonl
        if jsonl is not None:
            self._start_jsonl(jsonl, start_step)
        self._clip_events = self._clip_steps = 0
        self._handles: list = []
        self._current: dict = {"activations": {}, "attention": {}}
        if self.recording:
            self._arm()

    def _start_jsonl(self, path: str | os.PathLike, start_step: int) -> None:
        """A fresh file; a resumed run (start_step > 0) keeps the records of the steps before it."""
        kept = []
        if start_step > 0 and os.path.exists(path):
            with open(path, encoding="utf-8") as file:
                kept = [record for line in file if (record := json.loads(line))["step"] < start_step]
        self.records.extend(kept)
        with atomic_write(path, "w", encoding="utf-8") as file:
            file.writelines(json.dumps(record) + "\n" for record in kept)

    @property
    def recording(self) -> bool:
        """Whether the current step is a report step."""
        return self.step % self.every == 0

    # ---- forward hooks, present only during report steps ----

    def _arm(self) -> None:
        self._current = {"activations": {}, "attention": {}}
        for name, module, kind in self.activation_modules:
            self._handles.append(module.register_forward_hook(self._activation_hook(name, kind)))
        for name, module in self.attention_modules:
            self._handles.append(module.register_forward_hook(self._attention_hook(name)))

    def _disarm(self) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles = []

    def _activation_hook(self, name: str, kind: str):
        def hook(module, args, output):
            if not is_grad_enabled():
                return None  # an evaluation pass between steps, not the training step
            stats = activation_stats(kind, np.asarray(args[0].data), output.data, self.saturation)
            self._current["activations"][name] = stats
            if output.requires_grad:

                def grad_hook(grad):
                    stats["grad_std"] = float(grad.data.std())

                output.register_hook(grad_hook)
            return None

        return hook

    def _attention_hook(self, name: str):
        def hook(module, args, output):
            if is_grad_enabled():
                self._current["attention"][name] = attention_entropy(output.probs.data)
                self._current["attention_keys"] = int(output.probs.shape[-1])
            return None

        return hook

    # ---- around the optimizer step ----

    @contextlib.contextmanager
    def update(self, grad_norm: Any = None) -> Iterator[None]:
        """Wrap `optimizer.step()`. `grad_norm`: the total gradient norm before clipping (what
        `clip_grad_norm_` returns), which counts a clip event when it exceeds `max_grad_norm`."""
        if grad_norm is not None and self.max_grad_norm is not None:
            self._clip_steps += 1
            self._clip_events += int(float(grad_norm) > self.max_grad_norm)
        if not self.recording:
            yield
            self.step += 1
            if self.recording:
                self._arm()
            return
        self._disarm()
        before, params = {}, {}
        total = 0.0
        for name, p in self.params:
            if p.grad is None:
                continue
            grad = p.grad.data.astype(np.float64)  # statistics in float64: no float32 rounding in them
            data = p.data.astype(np.float64)  # a copy, also the "before" of the update
            norm = float(np.sqrt((grad * grad).sum()))
            total += norm * norm
            params[name] = {
                "shape": list(p.shape),
                "grad_norm": norm,
                "grad_data": _ratio(grad.std(), data.std()),
            }
            before[name] = data
        yield
        for name, p in self.params:
            if name in before:
                change = (p.data.astype(np.float64) - before[name]).std()
                ratio = _ratio(change, before[name].std())
                params[name]["update_data_log10"] = float(np.log10(ratio)) if ratio > 0 else float("-inf")
        record = {
            "step": self.step,
            "grad_norm": float(np.sqrt(total)),
            "params": params,
            "activations": self._current["activations"],
            "attention": self._current["attention"],
        }
        if "attention_keys" in self._current:
            record["attention_keys"] = self._current["attention_keys"]  # T: log(T) is uniform attention
        if grad_norm is not None:
            record["grad_norm_before_clip"] = float(grad_norm)
        if self.max_grad_norm is not None:
            record["clip"] = {
                "events": self._clip_events,
                "steps": self._clip_steps,
                "max_norm": self.max_grad_norm,
            }
            self._clip_events = self._clip_steps = 0
        self.records.append(record)
        if self.jsonl is not None:
            with open(self.jsonl, "a", encoding="utf-8") as file:
                file.write(json.dumps(record) + "\n")
        self.step += 1
        if self.recording:
            self._arm()

    def close(self) -> None:
        """Remove the report's hooks from the model."""
        self._disarm()

    def summary(self) -> str:
        """The last record in a few lines: activations, weight matrices, attention, clipping."""
        if not self.records:
            return "health: nothing recorded yet"
        last = self.records[-1]
        lines = [f"health at step {last['step']}: total grad norm {last['grad_norm']:.3g}"]
        for name, s in last["activations"].items():
            lines.append(
                f"  {name} ({s['kind']}): mean {s['mean']:+.3f} std {s['std']:.3f} "
                f"saturated {s['saturated']:.1%} dead {s['dead_units']}/{s['units']}"
            )
        for name, s in last["params"].items():
            if len(s["shape"]) < 2:
                continue  # biases and norm gains: see the JSON lines
            update = s.get("update_data_log10", float("nan"))
            lines.append(f"  {name}: grad:data {s['grad_data']:.2e} update:data 10^{update:.2f}")
        for name, heads in last["attention"].items():
            lines.append(f"  {name} attention entropy per head: " + " ".join(f"{h:.2f}" for h in heads))
        if "clip" in last:
            clip = last["clip"]
            lines.append(
                f"  clipped {clip['events']} of the last {clip['steps']} steps (max norm {clip['max_norm']})"
            )
        return "\n".join(lines)

    def save_png(self, path: str | os.PathLike, title: str = "") -> str:
        """Draw the dashboard of all records to `path` (a PNG)."""
        return plot_dashboard(self.records, path, title)
