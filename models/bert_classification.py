"""BERT for sequence classification: the Mini-BERT encoder, a pooler and a linear classifier on top,
with Hugging Face's `BertForSequenceClassification` structure, so its weights move both ways.

    input_ids (B, T) -> BertModel (models/bert.py)                        last_hidden_state (B, T, C)
      -> pooler: the [CLS] vector (position 0) -> dense -> tanh          pooled (B, C)
      -> dropout -> classifier: Linear(C, num_labels)                     logits (B, num_labels)

The pooler is part of BERT's own pretraining in the original paper (it feeds next-sentence
prediction); a masked-LM-only checkpoint such as ours has none, so fine-tuning starts both the pooler
and the classifier from random weights, as `transformers` does:

    model = BertForSequenceClassification.from_pretrained("checkpoints/mini-bert", num_labels=3)
    out = model(input_ids, attention_mask=mask, labels=labels)    # out.loss, out.logits
    model.save_pretrained("runs/classifier", tokenizer=tokenizer)

Keys are Hugging Face's: `bert.embeddings.*`, `bert.encoder.layer.i.*`, `bert.pooler.dense.*`,
`classifier.*`. The class names are kept in config.json as `id2label` / `label2id`, as transformers
writes them; `from_pretrained` on a fine-tuned folder reads them back, with its head.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np

import tinygrad_edu as tg
from models.bert import BertConfig, BertForMaskedLM, BertModel, BertOutputs
from models.bert_pretrained import CONFIG_NAME, WEIGHTS_NAME, read_config
from tinygrad_edu import nn
from tinygrad_edu.files import atomic_path, atomic_write
from tinygrad_edu.nn import functional as F

HEAD_PREFIXES = ("bert.pooler.", "classifier.")  # what a masked-LM folder lacks and we start new


class BertPooler(nn.Module):
    """tanh(dense(h_[CLS])): one vector per sequence, from the hidden state at position 0."""

    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)

    def forward(self, hidden: tg.Tensor) -> tg.Tensor:
        return self.dense(hidden[:, 0]).tanh()


@dataclass
class BertPooledOutputs(BertOutputs):
    pooler_output: tg.Tensor | None = None  # (B, C)


class BertModelWithPooler(BertModel):
    """Hugging Face's `BertModel(add_pooling_layer=True)`: the encoder, then the pooler."""

    def __init__(self, config: BertConfig) -> None:
        super().__init__(config)
        self.pooler = BertPooler(config)

    def forward(self, input_ids, attention_mask=None, token_type_ids=None, **kwargs) -> BertPooledOutputs:
        outputs = super().forward(input_ids, attention_mask, token_type_ids, **kwargs)
        values = {f.name: getattr(outputs, f.name) for f in fields(BertOutputs)}
        return BertPooledOutputs(**values, pooler_output=self.pooler(outputs.last_hidden_state))


@dataclass
class SequenceClassifierOutput:
    loss: tg.Tensor | None = None  # cross entropy (MSE when num_labels == 1), labels given
    logits: tg.Tensor | None = None  # (B, num_labels)
    hidden_states: tuple | None = None
    attentions: tuple | None = None


def _class_names(config: BertConfig, num_labels: int | None, id2label: dict | None) -> dict[int, str]:
    """The class names: `id2label` if given; else the config's, if it has `num_labels` of them (or
    num_labels is not given); else LABEL_0..LABEL_{n-1} as transformers names them (n = 2 by default)."""
    if id2label is not None:
        names = {int(index): str(name) for index, name in id2label.items()}
        if num_labels is not None and len(names) != num_labels:
            raise ValueError(f"num_labels={num_labels} but id2label names {len(names)} classes")
    else:
        saved = {int(index): str(name) for index, name in config.extra.get("id2label", {}).items()}
        count = num_labels if num_labels is not None else (len(saved) or 2)
        names = saved if len(saved) == count else {index: f"LABEL_{index}" for index in range(count)}
    if not names or sorted(names) != list(range(len(names))):
        raise ValueError(f"id2label must name the classes 0..n-1, got {names}")
    return names


class BertForSequenceClassification(nn.Module):
    """`model(input_ids, attention_mask=None, token_type_ids=None, labels=None)` -> loss, logits."""

    def __init__(
        self, config: BertConfig, num_labels: int | None = None, id2label=None, generator=None
    ) -> None:
        super().__init__()
        names = _class_names(config, num_labels, id2label)
        extra = {
            **config.extra,
            "id2label": {str(index): name for index, name in sorted(names.items())},
            "label2id": {name: index for index, name in sorted(names.items())},
        }
        config = dataclasses.replace(config, extra=extra)  # the caller's config is left as it was
        self.config = config
        self.num_labels = len(names)
        self.bert = BertModelWithPooler(config)
        dropout = config.extra.get("classifier_dropout")
        self.dropout = nn.Dropout(config.hidden_dropout_prob if dropout is None else dropout)
        self.classifier = nn.Linear(config.hidden_size, self.num_labels)
        # Hugging Face's initialisation, the same as the masked-LM model's (it only touches the modules
        # this model has: Linear and Embedding weights ~ N(0, initializer_range), LayerNorm 1 and 0)
        BertForMaskedLM.init_weights(self, generator)

    @property
    def id2label(self) -> dict[int, str]:
        return {int(index): name for index, name in self.config.extra["id2label"].items()}

    def forward(
        self,
        input_ids,
        attention_mask=None,
        token_type_ids=None,
        labels=None,
        output_attentions: bool = False,
        output_hidden_states: bool = False,
    ) -> SequenceClassifierOutput:
        outputs = self.bert(
            input_ids,
            attention_mask,
            token_type_ids,
            output_attentions=output_attentions,
            output_hidden_states=output_hidden_states,
        )
        logits = self.classifier(self.dropout(outputs.pooler_output))
        loss = None if labels is None else self._loss(logits, labels)
        return SequenceClassifierOutput(loss, logits, outputs.hidden_states, outputs.attentions)

    def _loss(self, logits: tg.Tensor, labels) -> tg.Tensor:
        targets = np.asarray(labels.data if isinstance(labels, tg.Tensor) else labels)
        if self.num_labels == 1:  # regression, as transformers: mean squared error
            return F.mse_loss(logits.reshape(-1), tg.Tensor(targets.reshape(-1).astype(logits.dtype)))
        if targets.dtype.kind not in "iu":
            raise TypeError(
                f"BertForSequenceClassification: labels must be class indices (integers), got {targets.dtype}"
            )
        targets = targets.reshape(-1)
        if targets.shape[0] != logits.shape[0]:
            raise ValueError(
                f"BertForSequenceClassification: {targets.shape[0]} labels for a batch of {logits.shape[0]}"
            )
        if targets.size and (targets.min() < 0 or targets.max() >= self.num_labels):
            raise IndexError(
                f"BertForSequenceClassification: label {targets.max() if targets.min() >= 0 else targets.min()} "
                f"is not a class of this model (num_labels={self.num_labels})"
            )
        return F.cross_entropy(logits, tg.Tensor(targets.astype(np.int64)))

    # ----- folders in Hugging Face's format -----

    def save_pretrained(self, directory, tokenizer=None) -> None:
        """config.json, model.safetensors (every tensor; nothing is tied) and, from `tokenizer`,
        vocab.txt; each file written atomically. transformers' from_pretrained reads the folder."""
        from safetensors.numpy import save_file

        folder = Path(directory)
        folder.mkdir(parents=True, exist_ok=True)
        tensors = {name: np.ascontiguousarray(value.data) for name, value in self.state_dict().items()}
        config = {
            "architectures": ["BertForSequenceClassification"],
            "model_type": "bert",
            **self.config.to_dict(),
            "dtype": str(tensors["classifier.weight"].dtype),
        }
        with atomic_path(folder / WEIGHTS_NAME) as temporary:
            save_file(tensors, str(temporary), metadata={"format": "pt"})
        with atomic_write(folder / CONFIG_NAME, "w", encoding="utf-8") as file:
            file.write(json.dumps(config, indent=2, sort_keys=True) + "\n")
        if tokenizer is not None:
            tokenizer.save(folder)

    @classmethod
    def from_pretrained(
        cls,
        directory,
        num_labels=None,
        id2label=None,
        output_loading_info: bool = False,
        generator=None,
        **config_overrides,
    ):
        """A classifier from a folder of ours or of transformers. A fine-tuned folder gives everything;
        a masked-LM folder gives the encoder, and `num_labels` (or `id2label`) says how many classes the
        new pooler and classifier have. Keyword arguments that name config fields replace the saved
        values (`hidden_dropout_prob=0.1`), as in transformers. With `output_loading_info`, also returns
        {"missing_keys": started new, "unexpected_keys": in the file but not used}, as transformers."""
        from safetensors.numpy import load_file

        folder = Path(directory)
        if not folder.is_dir():
            raise FileNotFoundError(f"from_pretrained: no checkpoint folder {str(folder)!r}")
        config = read_config(folder)
        unknown = sorted(set(config_overrides) - {f.name for f in fields(BertConfig)} - {"extra"})
        if unknown:
            raise TypeError(f"from_pretrained: {', '.join(unknown)} is not a BertConfig field")
        config = dataclasses.replace(config, **config_overrides)
        weights_path = folder / WEIGHTS_NAME
        if not weights_path.is_file():
            raise FileNotFoundError(f"from_pretrained: {str(folder)!r} has no {WEIGHTS_NAME}")
        tensors = load_file(str(weights_path))
        has_head = "classifier.weight" in tensors
        if not has_head and num_labels is None and id2label is None:
            raise ValueError(
                f"from_pretrained: {str(folder)!r} has no classifier head (a masked-LM checkpoint?); "
                "pass num_labels=N to start a new one"
            )
        if has_head and num_labels is None and id2label is None:
            num_labels = tensors["classifier.weight"].shape[0]
        model = cls(config, num_labels=num_labels, id2label=id2label, generator=generator)
        expected = model.state_dict()
        if tensors and next(iter(tensors.values())).dtype != expected["classifier.weight"].dtype:
            model.to(next(iter(tensors.values())).dtype)
        missing = [key for key in expected if key not in tensors]
        unexpected = [key for key in tensors if key not in expected]
        not_head = [key for key in missing if not key.startswith(HEAD_PREFIXES)]
        if not_head:
            raise RuntimeError(
                f"from_pretrained: {weights_path} lacks encoder weights: {', '.join(not_head[:3])}"
                f"{' ...' if len(not_head) > 3 else ''} ({len(not_head)} missing)"
            )
        if has_head and tensors["classifier.weight"].shape[0] != model.num_labels:
            raise ValueError(
                f"from_pretrained: the classifier in {str(folder)!r} has {tensors['classifier.weight'].shape[0]} "
                f"classes, not num_labels={model.num_labels}"
            )
        model.load_state_dict({key: value for key, value in tensors.items() if key in expected}, strict=False)
        if output_loading_info:
            return model, {"missing_keys": missing, "unexpected_keys": unexpected}
        return model


def has_classifier_head(folder) -> bool:
    """Whether a checkpoint folder holds a fine-tuned classifier (not only a masked-LM encoder)."""
    from safetensors import safe_open

    weights = Path(folder) / WEIGHTS_NAME
    if not weights.is_file():
        return False
    with safe_open(str(weights), framework="numpy") as file:
        return "classifier.weight" in file.keys()
