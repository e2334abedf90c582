"""Moving `BertForMaskedLM` weights to and from disk in Hugging Face's format.

A checkpoint folder holds
    config.json         the BertConfig fields, plus what transformers writes (architectures,
                        model_type "bert", tie_word_embeddings, dtype)
    model.safetensors   every tensor of `state_dict()` in torch layout (Linear weights (out, in)),
                        except the two tied decoder tensors, which Hugging Face leaves out too
    vocab.txt           the WordPiece vocabulary, one token per line (when a tokenizer is given)

`transformers.BertForMaskedLM.from_pretrained(folder)` reads what we write, and we read what it writes:
its files lack `cls.predictions.decoder.weight` / `.bias`, and our model ties them itself (they ARE
the word embeddings and `cls.predictions.bias`).
"""

from __future__ import annotations

import json
from dataclasses import fields
from pathlib import Path

import numpy as np

from models.bert_config import BertConfig
from tinygrad_edu.files import atomic_path

CONFIG_NAME = "config.json"
WEIGHTS_NAME = "model.safetensors"
VOCAB_NAME = "vocab.txt"
TIED_KEYS = ("cls.predictions.decoder.weight", "cls.predictions.decoder.bias")


def _atomic_write(path: Path, write) -> None:
    """Call `write(temporary_path)`, then move the file into place, so a crash never leaves half a file."""
    with atomic_path(path) as temporary:
        write(str(temporary))


def config_to_json(config: BertConfig, dtype: np.dtype) -> dict:
    """config.json as transformers writes it for a BertForMaskedLM."""
    return {
        "architectures": ["BertForMaskedLM"],
        "model_type": "bert",
        **config.to_dict(),
        "tie_word_embeddings": True,
        "dtype": str(np.dtype(dtype)),
    }


def save_pretrained(model, directory, tokenizer=None) -> None:
    from safetensors.numpy import save_file

    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    state = model.state_dict()
    tensors = {
        name: np.ascontiguousarray(tensor.data) for name, tensor in state.items() if name not in TIED_KEYS
    }
    dtype = state["bert.embeddings.word_embeddings.weight"].dtype
    config_text = json.dumps(config_to_json(model.config, dtype), indent=2, sort_keys=True) + "\n"
    _atomic_write(folder / WEIGHTS_NAME, lambda path: save_file(tensors, path, metadata={"format": "pt"}))
    _atomic_write(folder / CONFIG_NAME, lambda path: Path(path).write_text(config_text))
    if tokenizer is not None:
        tokenizer.save(folder)  # vocab.txt, written atomically by the tokenizer itself


def read_config(folder: Path) -> BertConfig:
    path = folder / CONFIG_NAME
    if not path.is_file():
        raise FileNotFoundError(f"from_pretrained: {str(folder)!r} has no {CONFIG_NAME}")
    raw = json.loads(path.read_text())
    if raw.get("model_type", "bert") != "bert":
        raise ValueError(f"from_pretrained: {path} is a {raw['model_type']!r} config, not a BERT one")
    known = {f.name for f in fields(BertConfig)} - {"extra"}
    dropped = {"architectures", "model_type", "tie_word_embeddings", "dtype", "torch_dtype"}
    extra = {key: value for key, value in raw.items() if key not in known | dropped}
    return BertConfig(**{key: value for key, value in raw.items() if key in known}, extra=extra)


def load_pretrained(model_class, directory):
    from safetensors.numpy import load_file

    folder = Path(directory)
    if not folder.is_dir():
        raise FileNotFoundError(f"from_pretrained: no checkpoint folder {str(folder)!r}")
    config = read_config(folder)
    weights_path = folder / WEIGHTS_NAME
    if not weights_path.is_file():
        raise FileNotFoundError(f"from_pretrained: {str(folder)!r} has no {WEIGHTS_NAME}")
    tensors = load_file(str(weights_path))
    model = model_class(config)
    expected = model.state_dict(keep_vars=True)
    dtype = next(iter(tensors.values())).dtype if tensors else np.float32
    if dtype != expected["bert.embeddings.word_embeddings.weight"].dtype:
        model.to(dtype)
    # a file without the tied tensors (as transformers writes) gets them from what they are tied to
    state = dict(tensors)
    state.setdefault(TIED_KEYS[0], state.get("bert.embeddings.word_embeddings.weight"))
    state.setdefault(TIED_KEYS[1], state.get("cls.predictions.bias"))
    state = {key: value for key, value in state.items() if value is not None}
    missing = [key for key in expected if key not in state]
    unexpected = [key for key in state if key not in expected]
    if missing or unexpected:
        raise RuntimeError(
            f"from_pretrained: {weights_path} does not match BertForMaskedLM({config.num_hidden_layers} "
            f"layers): missing {missing or 'none'}, unexpected {unexpected or 'none'}"
        )
    for key in TIED_KEYS:  # the tied pair must agree when a file holds both
        source = (
            "bert.embeddings.word_embeddings.weight" if key.endswith("weight") else "cls.predictions.bias"
        )
        if state[key] is not state[source] and not np.array_equal(state[key], state[source]):
            raise ValueError(f"from_pretrained: {key} differs from {source}, to which it is tied")
    model.load_state_dict(state)
    return model
