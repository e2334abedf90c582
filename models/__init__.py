"""The models, one per file (`bigram.py`, `mlp.py`, `mlp_bn.py`, `gpt.py`, ...), and the registry that
lets `examples/sample.py` and `examples/evaluate.py` rebuild any of them from a checkpoint.

A checkpoint (see `save_checkpoint` in examples/training_common.py) stores `model_type` and the config
as a dict; `build_model(model_type, config_dict)` looks the name up in `MODELS` and returns
`ModelClass(ConfigClass(**config_dict))`. A new model gets one line in `MODELS` below. Mini-BERT is
in it too; its usual form on disk is a Hugging Face folder, which `load_model` reads as well.
"""

from __future__ import annotations

from typing import Any

from models.bert import BertConfig, BertForMaskedLM
from models.bigram import BigramConfig, BigramCounts, BigramNN
from models.gpt import GPT, GPTConfig
from models.mlp import MLP, MLPConfig
from models.mlp_bn import MLPBN, MLPBNConfig

# model_type -> (ConfigClass, ModelClass): every model a checkpoint can name is listed here
MODELS: dict[str, tuple[type, type]] = {
    "bigram_counts": (BigramConfig, BigramCounts),
    "bigram": (BigramConfig, BigramNN),
    "mlp": (MLPConfig, MLP),
    "mlp_bn": (MLPBNConfig, MLPBN),
    "gpt": (GPTConfig, GPT),
    "bert": (BertConfig, BertForMaskedLM),  # also read from a Hugging Face folder (load_model)
}


def register(name: str, config_class: type, model_class: type) -> None:
    """Make `name` loadable from checkpoints (for a model defined outside this package)."""
    MODELS[name] = (config_class, model_class)


def build_model(model_type: str, config: dict[str, Any]):
    """A fresh model of a registered type from its config dict (weights still to be loaded)."""
    if model_type not in MODELS:
        raise ValueError(f"unknown model_type {model_type!r}; registered: {', '.join(sorted(MODELS))}")
    config_class, model_class = MODELS[model_type]
    return model_class(config_class(**config))
