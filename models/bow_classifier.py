"""The simple text classifier: the average of a text's token embeddings, fed to a small MLP.

    input_ids (B, T), attention_mask (B, T)
      -> embedding lookup                                     (B, T, E)
      -> mean over the real tokens (attention_mask == 1)      (B, E)    "bag of words": order is lost
      -> Linear -> ReLU -> dropout -> Linear                  (B, num_labels) logits

Word order plays no part: "the king is dead" and "dead is the king" give the same vector. What the
model can learn is which words (and word pieces) go with which class, which is a strong baseline for
telling kinds of text apart. It uses the same WordPiece tokenizer as BERT, so both read the same tokens.

`save_pretrained(folder, tokenizer)` writes config.json, model.safetensors and vocab.txt, the layout of
a BERT folder, so the classification scripts read either model from a folder.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

import tinygrad_edu as tg
from tinygrad_edu import nn
from tinygrad_edu.files import atomic_path, atomic_write
from tinygrad_edu.nn import functional as F

MODEL_TYPE = "bow_classifier"  # config.json's "model_type"


@dataclass
class BagOfWordsConfig:
    vocab_size: int
    num_labels: int
    embedding_dim: int = 64
    hidden_size: int = 128
    dropout: float = 0.1
    pad_token_id: int = 0
    id2label: dict[int, str] = field(default_factory=dict)  # class index -> name; empty: LABEL_i
    max_seq_length: int | None = None  # the token length it was trained with (None: not recorded)

    def __post_init__(self) -> None:
        for name in ("vocab_size", "num_labels", "embedding_dim", "hidden_size"):
            value = getattr(self, name)
            if not isinstance(value, int | np.integer) or value < 1:
                raise ValueError(f"BagOfWordsConfig: {name} must be a positive integer, got {value!r}")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"BagOfWordsConfig: dropout must be in [0, 1), got {self.dropout}")
        self.id2label = {int(index): str(name) for index, name in self.id2label.items()}
        if self.id2label and sorted(self.id2label) != list(range(self.num_labels)):
            raise ValueError(
                f"BagOfWordsConfig: id2label must name classes 0..{self.num_labels - 1}, got {self.id2label}"
            )

    def label_names(self) -> list[str]:
        return [self.id2label.get(index, f"LABEL_{index}") for index in range(self.num_labels)]


@dataclass
class ClassifierOutput:
    loss: tg.Tensor | None  # mean cross entropy (labels given)
    logits: tg.Tensor  # (B, num_labels)


class BagOfWordsClassifier(nn.Module):
    def __init__(self, config: BagOfWordsConfig, generator=None) -> None:
        super().__init__()
        self.config = config
        self.embeddings = nn.Embedding(config.vocab_size, config.embedding_dim, generator=generator)
        self.hidden = nn.Linear(config.embedding_dim, config.hidden_size, generator=generator)
        self.dropout = nn.Dropout(config.dropout)
        self.classifier = nn.Linear(config.hidden_size, config.num_labels, generator=generator)

    def pool(self, input_ids, attention_mask=None) -> tg.Tensor:
        """(B, E): the mean embedding of each row's real tokens."""
        ids = np.asarray(input_ids.data if isinstance(input_ids, tg.Tensor) else input_ids)
        if ids.ndim != 2 or ids.dtype.kind not in "iu":
            raise ValueError(
                f"BagOfWordsClassifier: input_ids must be integers of shape (B, T), got {ids.shape}"
            )
        if ids.size and (ids.min() < 0 or ids.max() >= self.config.vocab_size):
            raise IndexError(
                f"BagOfWordsClassifier: token id outside the vocabulary (vocab_size={self.config.vocab_size})"
            )
        if attention_mask is None:
            mask = (ids != self.config.pad_token_id).astype(np.float64)
        else:
            mask = np.asarray(
                attention_mask.data if isinstance(attention_mask, tg.Tensor) else attention_mask
            ).astype(np.float64)
            if mask.shape != ids.shape:
                raise ValueError(
                    f"BagOfWordsClassifier: attention_mask has shape {mask.shape} but input_ids {ids.shape}"
                )
        counts = mask.sum(axis=1, keepdims=True)
        if (counts == 0).any():
            raise ValueError("BagOfWordsClassifier: a row has no tokens (its attention_mask is all 0)")
        vectors = self.embeddings(tg.Tensor(ids))  # (B, T, E)
        weights = tg.Tensor((mask / counts)[..., None].astype(vectors.dtype))  # 1/n on real tokens, 0 on pads
        return (vectors * weights).sum(dim=1)

    def forward(self, input_ids, attention_mask=None, labels=None) -> ClassifierOutput:
        hidden = self.dropout(F.relu(self.hidden(self.pool(input_ids, attention_mask))))
        logits = self.classifier(hidden)
        loss = None
        if labels is not None:
            targets = np.asarray(labels.data if isinstance(labels, tg.Tensor) else labels)
            if targets.shape != (logits.shape[0],):
                raise ValueError(
                    f"BagOfWordsClassifier: labels have shape {targets.shape}, expected ({logits.shape[0]},)"
                )
            loss = F.cross_entropy(logits, tg.Tensor(targets.astype(np.int64)))
        return ClassifierOutput(loss=loss, logits=logits)

    def save_pretrained(self, directory, tokenizer=None) -> None:
        """config.json, model.safetensors (and vocab.txt from `tokenizer`), each written atomically."""
        from safetensors.numpy import save_file

        folder = Path(directory)
        folder.mkdir(parents=True, exist_ok=True)
        tensors = {name: np.ascontiguousarray(value.data) for name, value in self.state_dict().items()}
        with atomic_path(folder / "model.safetensors") as temporary:
            save_file(tensors, str(temporary))
        config = {"model_type": MODEL_TYPE, **asdict(self.config)}
        with atomic_write(folder / "config.json", "w", encoding="utf-8") as file:
            file.write(json.dumps(config, indent=2, sort_keys=True) + "\n")
        if tokenizer is not None:
            tokenizer.save(folder)

    @classmethod
    def from_pretrained(cls, directory) -> BagOfWordsClassifier:
        from safetensors.numpy import load_file

        folder = Path(directory)
        config_path, weights_path = folder / "config.json", folder / "model.safetensors"
        for path in (config_path, weights_path):
            if not path.is_file():
                raise FileNotFoundError(
                    f"BagOfWordsClassifier.from_pretrained: {str(folder)!r} has no {path.name}"
                )
        raw = json.loads(config_path.read_text(encoding="utf-8"))
        if raw.pop("model_type", None) != MODEL_TYPE:
            raise ValueError(
                f"BagOfWordsClassifier.from_pretrained: {config_path} is not a {MODEL_TYPE} config"
            )
        model = cls(BagOfWordsConfig(**raw))
        model.load_state_dict(load_file(str(weights_path)))
        return model
