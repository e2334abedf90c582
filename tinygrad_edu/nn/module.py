"""`Module`: the container every layer and model is built from, shaped like torch's. A module holds
three kinds of named things, each in its own ordered dict: `_parameters` (tensors the optimizer
trains, Linear.weight), `_buffers` (state that is not trained, BatchNorm1d.running_mean) and
`_modules` (child modules, Sequential's "0", "1", ...).

Assigning an attribute files it in the right dict (`self.weight = Parameter(...)`), so `parameters()`,
`state_dict()` and the nested `repr` find everything by walking the children with dotted names
("encoder.layer.0.attention.query.weight"), exactly as torch does.

    class MLP(Module):
        def __init__(self):
            super().__init__()
            self.hidden, self.out = Linear(10, 32), Linear(32, 1)
        def forward(self, x):
            return self.out(self.hidden(x).tanh())
"""

from __future__ import annotations

from collections import OrderedDict, namedtuple
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from tinygrad_edu.autograd.grad_mode import no_grad
from tinygrad_edu.autograd.tensor_base import RemovableHandle
from tinygrad_edu.device import check_device
from tinygrad_edu.nn.parameter import Parameter
from tinygrad_edu.nn.utils import zero_grad
from tinygrad_edu.tensor.tensor import Tensor, _to_args

IncompatibleKeys = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])


def _indent(text: str, spaces: int) -> str:  # every line but the first, which follows "(name): "
    lines = text.split("\n")
    return "\n".join([lines[0]] + [" " * spaces + line for line in lines[1:]])


class Module:
    """Base class of layers and models: subclass it, build children in `__init__`, define `forward`."""

    training: bool

    def __init__(self) -> None:
        # object.__setattr__ skips our own __setattr__, which needs these dicts to exist
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_non_persistent_buffers", set())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "_forward_hooks", OrderedDict())
        object.__setattr__(self, "_forward_pre_hooks", OrderedDict())

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(
            f'Module [{type(self).__name__}] is missing the required "forward" function'
        )

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        # the common case (no hooks) is one check and the forward call: it runs for every layer, every step
        if not (self._forward_pre_hooks or self._forward_hooks):
            return self.forward(*args, **kwargs)
        for hook in list(self._forward_pre_hooks.values()):
            replacement = hook(self, args)
            if replacement is not None:
                args = replacement if isinstance(replacement, tuple) else (replacement,)
        output = self.forward(*args, **kwargs)
        for hook in list(self._forward_hooks.values()):
            replacement = hook(self, args, output)
            if replacement is not None:
                output = replacement
        return output

    # ----------------------------------------------------------------------------------------------
    # hooks

    def register_forward_pre_hook(self, hook: Callable) -> RemovableHandle:
        """`hook(module, args)` runs before forward; it may return replacement args (a tuple or one value)."""
        handle = RemovableHandle(self._forward_pre_hooks)
        self._forward_pre_hooks[handle.id] = hook
        return handle

    def register_forward_hook(self, hook: Callable) -> RemovableHandle:
        """`hook(module, args, output)` runs after forward; it may return a replacement output."""
        handle = RemovableHandle(self._forward_hooks)
        self._forward_hooks[handle.id] = hook
        return handle

    # ----------------------------------------------------------------------------------------------
    # registering parameters, buffers and children

    def _check_initialised(self, what: str) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"cannot assign {what} before Module.__init__() call")

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        self._check_initialised("parameters")
        if not isinstance(name, str) or not name or "." in name:
            raise KeyError(f"parameter name must be a non-empty string without '.', got {name!r}")
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(
                f"cannot assign '{type(param).__name__}' object to parameter '{name}' "
                "(tinygrad_edu.nn.Parameter or None required)"
            )
        self.__dict__.pop(name, None)
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """A tensor that is part of the module's state (saved in state_dict when `persistent`) but not
        trained, such as BatchNorm's running mean."""
        self._check_initialised("buffers")
        if not isinstance(name, str) or not name or "." in name:
            raise KeyError(f"buffer name must be a non-empty string without '.', got {name!r}")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(
                f"cannot assign '{type(tensor).__name__}' object to buffer '{name}' (Tensor or None required)"
            )
        if name in self._parameters or name in self._modules:
            raise KeyError(f"attribute '{name}' already exists")
        self.__dict__.pop(name, None)
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers.discard(name)
        else:
            self._non_persistent_buffers.add(name)

    def add_module(self, name: str, module: Module | None) -> None:
        self._check_initialised("child modules")
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        if not isinstance(name, str) or not name or "." in name:
            raise KeyError(f"module name must be a non-empty string without '.', got {name!r}")
        self.__dict__.pop(name, None)
        self._modules[name] = module

    register_module = add_module

    def __setattr__(self, name: str, value: Any) -> None:
        params = self.__dict__.get("_parameters")
        if isinstance(value, Parameter):
            self._check_initialised("parameters")
            self._buffers.pop(name, None)
            self._modules.pop(name, None)
            self.register_parameter(name, value)
        elif params is not None and name in params:
            if value is not None:
                raise TypeError(
                    f"cannot assign '{type(value).__name__}' as parameter '{name}' "
                    "(tinygrad_edu.nn.Parameter or None expected)"
                )
            params[name] = None
        elif isinstance(value, Module):
            self._check_initialised("child modules")
            self._parameters.pop(name, None)
            self._buffers.pop(name, None)
            self.add_module(name, value)
        elif params is not None and name in self._modules:
            if value is not None:
                raise TypeError(
                    f"cannot assign '{type(value).__name__}' as child module '{name}' (Module or None expected)"
                )
            self._modules[name] = None
        elif params is not None and name in self._buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(
                    f"cannot assign '{type(value).__name__}' as buffer '{name}' (Tensor or None expected)"
                )
            self._buffers[name] = value
        else:
            object.__setattr__(self, name, value)

    def __getattr__(self, name: str) -> Any:
        # only called when normal lookup fails: parameters, buffers and children live in their dicts
        d = self.__dict__
        for registry in ("_parameters", "_buffers", "_modules"):
            items = d.get(registry)
            if items is not None and name in items:
                return items[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name: str) -> None:
        for registry in (self._parameters, self._buffers, self._modules):
            if name in registry:
                del registry[name]
                self._non_persistent_buffers.discard(name)
                return
        object.__delattr__(self, name)

    # ----------------------------------------------------------------------------------------------
    # walking the tree

    def named_modules(self, memo: set | None = None, prefix: str = "", remove_duplicate: bool = True):
        """(dotted name, module) for this module and every descendant, depth first, each once."""
        if memo is None:
            memo = set()
        if remove_duplicate:
            if id(self) in memo:
                return
            memo.add(id(self))
        yield prefix, self
        for name, child in self._modules.items():
            if child is None:
                continue
            child_prefix = prefix + ("." if prefix else "") + name
            yield from child.named_modules(memo, child_prefix, remove_duplicate)

    def modules(self) -> Iterator[Module]:
        for _, module in self.named_modules():
            yield module

    def named_children(self) -> Iterator[tuple[str, Module]]:
        seen = set()
        for name, child in self._modules.items():
            if child is not None and id(child) not in seen:
                seen.add(id(child))
                yield name, child

    def children(self) -> Iterator[Module]:
        for _, child in self.named_children():
            yield child

    def _named_members(self, registry: str, prefix: str, recurse: bool, remove_duplicate: bool = True):
        seen = set()
        modules = self.named_modules(prefix=prefix) if recurse else [(prefix, self)]
        for module_prefix, module in modules:
            for name, value in getattr(module, registry).items():
                if value is None or (remove_duplicate and id(value) in seen):
                    continue
                seen.add(id(value))
                yield module_prefix + ("." if module_prefix else "") + name, value

    def named_parameters(self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True):
        """(dotted name, Parameter) pairs in registration order; a shared Parameter appears once."""
        return self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_buffers(self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True):
        return self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        for _, buffer in self.named_buffers(recurse=recurse):
            yield buffer

    def get_submodule(self, target: str) -> Module:
        module = self
        for part in target.split(".") if target else []:
            if part not in module._modules:
                raise AttributeError(
                    f"{type(module).__name__} has no submodule '{part}' (looking up '{target}')"
                )
            module = module._modules[part]
        return module

    def get_parameter(self, target: str) -> Parameter:
        """The parameter with the dotted name `target`, e.g. "layers.0.weight" (as named_parameters)."""
        module_path, _, name = target.rpartition(".")
        module = self.get_submodule(module_path)
        if name not in module._parameters or module._parameters[name] is None:
            raise AttributeError(f"{type(module).__name__} has no parameter '{name}' (looking up '{target}')")
        return module._parameters[name]

    def apply(self, fn: Callable[[Module], None]) -> Module:
        """Call `fn` on every child (recursively), then on this module; e.g. for custom initialisation."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    # ----------------------------------------------------------------------------------------------
    # modes, gradients, dtypes

    def train(self, mode: bool = True) -> Module:
        if not isinstance(mode, bool):
            raise ValueError("train: mode must be a bool")
        for module in self.modules():
            object.__setattr__(module, "training", mode)
        return self

    def eval(self) -> Module:
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        for param in self.parameters():
            param.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        zero_grad(self.parameters(), set_to_none)

    def to(self, *args, **kwargs) -> Module:
        """`to(device)`, `to(dtype)` or both, as torch: the device must be the CPU; a dtype casts the
        floating-point parameters and buffers (and gradients), in place."""
        dtype, _ = _to_args(args, kwargs, "Module.to")
        if dtype is None:
            return self
        if dtype.kind != "f":
            raise TypeError(f"Module.to: only floating dtypes are supported, got {dtype}")
        for tensor in list(self.parameters()) + list(self.buffers()):
            if tensor.data.dtype.kind == "f":
                tensor.data = tensor.data.astype(dtype)
                if tensor.grad is not None:
                    tensor.grad = Tensor._wrap(tensor.grad.data.astype(dtype))
        return self

    def cpu(self) -> Module:
        return self  # every tensor lives on the CPU already

    def cuda(self, device=None) -> Module:
        check_device("cuda" if device is None else device, "Module.cuda")
        return self

    def float(self) -> Module:
        return self.to(np.float32)

    def double(self) -> Module:
        return self.to(np.float64)

    # ----------------------------------------------------------------------------------------------
    # state dicts

    def state_dict(self, destination: OrderedDict | None = None, prefix: str = "", keep_vars: bool = False):
        """Parameters and persistent buffers by dotted name, as detached tensors sharing memory."""
        destination = OrderedDict() if destination is None else destination
        for name, param in self._parameters.items():
            if param is not None:
                destination[prefix + name] = param if keep_vars else param.detach()
        for name, buffer in self._buffers.items():
            if buffer is not None and name not in self._non_persistent_buffers:
                destination[prefix + name] = buffer if keep_vars else buffer.detach()
        for name, child in self._modules.items():
            if child is not None:
                child.state_dict(destination, prefix + name + ".", keep_vars)
        return destination

    def load_state_dict(self, state_dict, strict: bool = True) -> IncompatibleKeys:
        """Copy values from `state_dict` into this module's parameters and buffers, in place, keeping
        their dtypes. Mis-shaped keys always raise; with `strict`, missing and unexpected keys do too,
        all named in one error."""
        own = self.state_dict(keep_vars=True)
        missing = [key for key in own if key not in state_dict]
        unexpected = [key for key in state_dict if key not in own]
        mismatched = []
        for key, target in own.items():
            if key not in state_dict:
                continue
            value = state_dict[key]
            shape = tuple(np.shape(value.data if isinstance(value, Tensor) else value))
            if shape != tuple(target.shape):
                mismatched.append(
                    f"size mismatch for {key}: copying a param with shape {shape} from checkpoint, "
                    f"the shape in current model is {tuple(target.shape)}."
                )
        errors = list(mismatched)
        if strict:
            if unexpected:
                errors.insert(
                    0, "Unexpected key(s) in state_dict: " + ", ".join(f'"{k}"' for k in unexpected) + ". "
                )
            if missing:
                errors.insert(
                    0, "Missing key(s) in state_dict: " + ", ".join(f'"{k}"' for k in missing) + ". "
                )
        if errors:
            raise RuntimeError(
                f"Error(s) in loading state_dict for {type(self).__name__}:\n\t" + "\n\t".join(errors)
            )
        with no_grad():
            for key, target in own.items():
                if key in state_dict:
                    value = state_dict[key]
                    target.copy_(value.data if isinstance(value, Tensor) else np.asarray(value))
        return IncompatibleKeys(missing, unexpected)

    # ----------------------------------------------------------------------------------------------
    # printing, in torch's format

    def extra_repr(self) -> str:
        """The text inside this module's parentheses, e.g. "in_features=2, out_features=3, bias=True"."""
        return ""

    def _child_lines(self) -> list[str]:
        return [f"({name}): {_indent(repr(child), 2)}" for name, child in self._modules.items()]

    def __repr__(self) -> str:
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = self._child_lines()
        lines = extra_lines + child_lines
        if not lines:
            return f"{type(self).__name__}()"
        if len(extra_lines) == 1 and not child_lines:
            return f"{type(self).__name__}({extra_lines[0]})"
        return type(self).__name__ + "(\n  " + "\n  ".join(lines) + "\n)"
