"""Mini-BERT's configuration, with Hugging Face's field names (see models/bert.py for the model)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from tinygrad_edu.nn.functional import IGNORE_INDEX  # labels of positions that were not masked

__all__ = ["IGNORE_INDEX", "BertConfig"]


@dataclass
class BertConfig:
    """Hugging Face's `BertConfig` fields, with its defaults (BERT-base sizes)."""

    vocab_size: int = 30522
    hidden_size: int = 768
    num_hidden_layers: int = 12
    num_attention_heads: int = 12
    intermediate_size: int = 3072
    hidden_act: str = "gelu"  # "gelu" is the exact erf GELU; "gelu_new" / "gelu_pytorch_tanh" the tanh one
    hidden_dropout_prob: float = 0.1
    attention_probs_dropout_prob: float = 0.1
    max_position_embeddings: int = 512
    type_vocab_size: int = 2
    layer_norm_eps: float = 1e-12
    initializer_range: float = 0.02
    pad_token_id: int = 0
    extra: dict = field(default_factory=dict, repr=False)  # other config.json fields, kept on round trips

    def __post_init__(self) -> None:
        for name in (
            "vocab_size",
            "hidden_size",
            "num_hidden_layers",
            "num_attention_heads",
            "intermediate_size",
            "max_position_embeddings",
            "type_vocab_size",
        ):
            value = getattr(self, name)
            if not isinstance(value, int | np.integer) or value < 1:
                raise ValueError(f"BertConfig: {name} must be a positive integer, got {value!r}")
        if self.hidden_size % self.num_attention_heads:
            raise ValueError(
                f"BertConfig: hidden_size {self.hidden_size} is not divisible by num_attention_heads "
                f"{self.num_attention_heads} (each head gets hidden_size / num_attention_heads channels)"
            )
        if self.hidden_act not in _ACTIVATIONS:
            raise ValueError(
                f"BertConfig: hidden_act {self.hidden_act!r} is not supported; use one of {sorted(_ACTIVATIONS)}"
            )
        for name in ("hidden_dropout_prob", "attention_probs_dropout_prob"):
            if not 0.0 <= getattr(self, name) < 1.0:
                raise ValueError(f"BertConfig: {name} must be in [0, 1), got {getattr(self, name)}")
        if not 0 <= self.pad_token_id < self.vocab_size:
            raise ValueError(
                f"BertConfig: pad_token_id {self.pad_token_id} is outside the vocabulary (size {self.vocab_size})"
            )

    @property
    def head_size(self) -> int:
        return self.hidden_size // self.num_attention_heads

    def to_dict(self) -> dict[str, Any]:
        fields = asdict(self)
        return {**fields.pop("extra"), **fields}


_ACTIVATIONS = {"gelu": "none", "gelu_new": "tanh", "gelu_pytorch_tanh": "tanh"}
