"""`Optimizer`: the base class of SGD, Adam and AdamW, shaped like `torch.optim.Optimizer`.

Parameters live in `param_groups`, a list of dicts, each with its own hyperparameters (`lr`, ...), so
one optimizer can train, say, biases without weight decay. Per-parameter state (momentum buffers,
Adam's moment estimates) lives in `state[param]`. `step()` reads each `p.grad` and updates `p.data` in
place, under no_grad, with numpy: the update is not part of any graph.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

import numpy as np

from tinygrad_edu.nn.utils import zero_grad
from tinygrad_edu.tensor import Tensor


class _Required:
    def __repr__(self) -> str:
        return "<required parameter>"


required = _Required()


class Optimizer:
    def __init__(self, params: Iterable[Tensor] | Iterable[dict], defaults: dict[str, Any]) -> None:
        self.defaults = defaults
        self.state: dict[Tensor, dict[str, Any]] = {}
        self.param_groups: list[dict[str, Any]] = []
        if isinstance(params, Tensor):
            raise TypeError(
                "params argument given to the optimizer should be an iterable of Tensors or dicts, but got a Tensor"
            )
        groups = list(params)
        if not groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters with its own hyperparameters (defaults fill the rest)."""
        group = dict(param_group)
        params = group["params"]
        group["params"] = [params] if isinstance(params, Tensor) else list(params)
        for param in group["params"]:
            if not isinstance(param, Tensor):
                raise TypeError(
                    f"optimizer can only optimize Tensors, but one of the params is {type(param).__name__}"
                )
            if not param.is_leaf:
                raise ValueError("can't optimize a non-leaf Tensor")
        for name, default in self.defaults.items():
            if default is required and name not in group:
                raise ValueError(
                    f"parameter group didn't specify a value of required optimization parameter {name}"
                )
            group.setdefault(name, default)
        existing = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in existing for p in group["params"]):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(group)

    def zero_grad(self, set_to_none: bool = True) -> None:
        zero_grad([param for group in self.param_groups for param in group["params"]], set_to_none)

    def step(self) -> None:
        raise NotImplementedError

    # ----------------------------------------------------------------------------------------------
    # state dicts: parameters are referred to by their position across all groups, as in torch

    def state_dict(self) -> dict[str, Any]:
        index_of: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            packed["params"] = []
            for param in group["params"]:
                index_of.setdefault(id(param), len(index_of))
                packed["params"].append(index_of[id(param)])
            groups.append(packed)
        state = {}
        for param, param_state in self.state.items():
            if id(param) in index_of:
                state[index_of[id(param)]] = {
                    k: Tensor._wrap(v.data.copy()) if isinstance(v, Tensor) else copy.deepcopy(v)
                    for k, v in param_state.items()
                }
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(
                f"loaded state dict has {len(saved_groups)} parameter group(s), the optimizer has {len(self.param_groups)}"
            )
        for index, (group, saved) in enumerate(zip(self.param_groups, saved_groups)):
            if len(group["params"]) != len(saved["params"]):
                raise ValueError(
                    f"loaded state dict contains a parameter group ({index}) that doesn't match the size of "
                    f"optimizer's group ({len(saved['params'])} vs {len(group['params'])} parameters)"
                )
        param_of = {}
        for group, saved in zip(self.param_groups, saved_groups):
            for param, saved_index in zip(group["params"], saved["params"]):
                param_of[int(saved_index)] = param
            group.update({k: copy.deepcopy(v) for k, v in saved.items() if k != "params"})
        self.state = {}
        for saved_index, param_state in state_dict["state"].items():
            param = param_of[int(saved_index)]
            restored = {}
            for key, value in param_state.items():
                if isinstance(value, Tensor | np.ndarray):
                    array = np.array(value.data if isinstance(value, Tensor) else value)
                    if key != "step" and array.dtype.kind == "f":
                        array = array.astype(param.dtype)  # state follows the parameter's dtype, as torch
                    value = array.item() if key == "step" else Tensor._wrap(array)
                restored[key] = value
            self.state[param] = restored

    def __repr__(self) -> str:
        lines = [type(self).__name__ + " ("]
        for index, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {index}")
            for key in sorted(k for k in group if k != "params"):
                lines.append(f"    {key}: {group[key]}")
        lines.append(")")
        return "\n".join(lines)
