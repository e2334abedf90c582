"""`Parameter`: a Tensor that a Module registers as trainable (torch.nn.Parameter)."""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_edu.tensor.tensor import Tensor, _array_from


class Parameter(Tensor):
    """A Tensor that a Module registers as trainable. `Parameter(data)` shares `data`'s array when
    given a Tensor (as torch does) and is a leaf that requires grad."""

    __slots__ = ()

    def __init__(self, data: Any = None, requires_grad: bool = True) -> None:
        if data is None:
            array = np.empty(0, dtype=np.float32)
        elif isinstance(data, Tensor):
            array = data.data
        else:
            array = _array_from(data)
        self._set_fields(array)
        if requires_grad:
            self.requires_grad_(True)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

    def __reduce_ex__(self, protocol):
        # copy.deepcopy(model) must give Parameters (with their own arrays), not plain Tensors
        return (Parameter, (self.data.copy(), self.requires_grad))
