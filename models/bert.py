"""Mini-BERT: the encoder of "Attention Is All You Need" with BERT's embeddings and masked-LM head,
built so that its weights are Hugging Face's `BertForMaskedLM` weights, name for name.

    input_ids (B, T), token_type_ids (B, T)
      -> word + position + token-type embeddings -> LayerNorm -> dropout                 (B, T, C)
      -> num_hidden_layers post-LN layers, each:
             a = LayerNorm(x + dropout(dense(self_attention(x))))      attention.self / attention.output
             x = LayerNorm(a + dropout(dense(gelu(dense(a)))))         intermediate / output
      -> MLM head: dense -> GELU -> LayerNorm -> decoder tied to the word embeddings, + own bias
      -> logits (B, T, vocab_size)

"Post-LN" (original BERT): the LayerNorm comes after each residual addition, unlike GPT-2's pre-LN.
The self-attention is the shared `tinygrad_edu.nn.attention.SelfAttention` with `causal=False`; a
padding `attention_mask` (1 = token, 0 = [PAD]) becomes an additive mask so no token attends to [PAD].

Module attribute names follow Hugging Face, so `state_dict()` keys are exactly HF's
(`bert.encoder.layer.0.attention.self.query.weight`, `cls.predictions.decoder.weight`, ...) and
`save_pretrained` / `from_pretrained` (in `models/bert_pretrained.py`) move weights both ways.

Looking inside: `capture_intermediates(model)` records every intermediate of a forward pass by name:

    with capture_intermediates(model) as acts:
        model(input_ids)
    acts["layer.0.attention.probs"]        # (B, H, T, T) Tensor
    list(acts)                             # every name, in the order the forward pass made them

The names (i is the layer index):
    embeddings.word / .position / .token_type    the three lookups, (B, T, C) / (T, C) / (B, T, C)
    embeddings.layer_norm_input / _output        their sum, and after LayerNorm
    embeddings.output                            after dropout: the input of layer 0
    layer.i.input                                the residual stream entering layer i
    layer.i.attention.query / key / value        projections, (B, T, C) (recorded by forward hooks)
    layer.i.attention.scores                     Q K^T / sqrt(d) + mask, (B, H, T, T)
    layer.i.attention.probs                      softmax of the scores, (B, H, T, T)
    layer.i.attention.context                    heads merged, (B, T, C)
    layer.i.attention.dense                      the output projection of the context
    layer.i.attention.layer_norm_input / _output residual sum, and after LayerNorm
    layer.i.ffn.intermediate / ffn.gelu          (B, T, intermediate_size) before and after GELU
    layer.i.ffn.output                           back to (B, T, C)
    layer.i.output.layer_norm_input / _output    residual sum, and after LayerNorm
    layer.i.output                               the residual stream leaving layer i
    head.dense / head.gelu / head.layer_norm_output / head.logits   the MLM head
Recording is off outside the `with` block and then costs one `if` per name.
"""

from __future__ import annotations

import contextlib
from collections import OrderedDict
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

import tinygrad_edu as tg
from tinygrad_edu import nn
from tinygrad_edu.nn import functional as F
from tinygrad_edu.nn.attention import SelfAttention
from tinygrad_edu.nn.functional import IGNORE_INDEX  # labels of positions that were not masked


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


# --------------------------------------------------------------------------------------------------
# capturing intermediates

_CAPTURE: OrderedDict | None = None  # name -> Tensor while a capture_intermediates block is open


def _record(name: str, tensor: tg.Tensor) -> None:
    if _CAPTURE is not None:
        _CAPTURE[name] = tensor


@contextlib.contextmanager
def capture_intermediates(model: nn.Module, detach: bool = True):
    """Record every named intermediate of the forward passes run inside the block (see the module
    docstring for the names). Yields an ordered dict name -> Tensor; with `detach` (the default) the
    tensors are cut from the graph, so keeping them does not keep the graph alive. A later forward in
    the same block overwrites the names."""
    global _CAPTURE
    if _CAPTURE is not None:
        raise RuntimeError("capture_intermediates: a capture is already open; nest them not")
    records: OrderedDict = OrderedDict()
    handles = []
    bert = model.bert if isinstance(model, BertForMaskedLM) else model
    for index, layer in enumerate(bert.encoder.layer):
        projections = layer.attention.self
        for part in ("query", "key", "value"):
            name = f"layer.{index}.attention.{part}"
            hook = _projection_hook(records, name, detach)
            handles.append(getattr(projections, part).register_forward_hook(hook))
    _CAPTURE = _DetachingDict(records) if detach else records
    try:
        yield records
    finally:
        _CAPTURE = None
        for handle in handles:
            handle.remove()


def _projection_hook(records: OrderedDict, name: str, detach: bool):
    def hook(module, args, output):
        records[name] = output.detach() if detach else output

    return hook


class _DetachingDict:
    """Writes detached tensors into the dict it wraps."""

    def __init__(self, records: OrderedDict) -> None:
        self.records = records

    def __setitem__(self, name: str, tensor: tg.Tensor) -> None:
        self.records[name] = tensor.detach()


# --------------------------------------------------------------------------------------------------
# the parts, named as Hugging Face names them


class BertEmbeddings(nn.Module):
    """word + position + token-type embeddings, then LayerNorm and dropout."""

    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.config = config
        self.word_embeddings = nn.Embedding(config.vocab_size, config.hidden_size)
        self.position_embeddings = nn.Embedding(config.max_position_embeddings, config.hidden_size)
        self.token_type_embeddings = nn.Embedding(config.type_vocab_size, config.hidden_size)
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)

    def forward(self, input_ids: np.ndarray, token_type_ids: np.ndarray) -> tg.Tensor:
        time = input_ids.shape[1]
        words = _embedding_without_pad_grad(input_ids, self.word_embeddings.weight, self.config.pad_token_id)
        positions = self.position_embeddings(np.arange(time))  # (T, C), broadcast over the batch
        token_types = self.token_type_embeddings(token_type_ids)
        _record("embeddings.word", words)
        _record("embeddings.position", positions)
        _record("embeddings.token_type", token_types)
        summed = words + positions + token_types
        _record("embeddings.layer_norm_input", summed)
        normed = self.LayerNorm(summed)
        _record("embeddings.layer_norm_output", normed)
        output = self.dropout(normed)
        _record("embeddings.output", output)
        return output


def _embedding_without_pad_grad(ids: np.ndarray, weight: tg.Tensor, padding_idx: int) -> tg.Tensor:
    """weight[ids], but positions holding `padding_idx` pass no gradient to its row (torch's
    `nn.Embedding(padding_idx=...)`, which Hugging Face's word embeddings use)."""
    rows = F.embedding(ids, weight)
    is_pad = ids == padding_idx
    if not (rows.requires_grad and is_pad.any()):
        return rows
    return tg.where(tg.Tensor._wrap(is_pad[..., None]), rows.detach(), rows)


class BertProjectAddNorm(nn.Module):
    """The end of both sublayers of a post-LN layer: project (dense), dropout, add the residual, then
    LayerNorm. Hugging Face has it twice under two names, `BertSelfOutput` after the attention
    (in_features = hidden) and `BertOutput` after the FFN (in_features = intermediate)."""

    def __init__(self, config: BertConfig, in_features: int) -> None:
        super().__init__()
        self.dense = nn.Linear(in_features, config.hidden_size)
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)

    def forward(self, x: tg.Tensor, residual: tg.Tensor, names: tuple[str, str, str]) -> tg.Tensor:
        """`names`: what capture_intermediates calls the projection, the sum and the LayerNorm output."""
        projected = self.dense(x)
        _record(names[0], projected)
        summed = self.dropout(projected) + residual
        _record(names[1], summed)
        output = self.LayerNorm(summed)
        _record(names[2], output)
        return output


class BertAttention(nn.Module):
    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.self = SelfAttention(
            config.hidden_size,
            config.num_attention_heads,
            dropout=config.attention_probs_dropout_prob,
            causal=False,
        )
        self.output = BertProjectAddNorm(config, config.hidden_size)

    def forward(self, hidden: tg.Tensor, attention_mask, head_mask, prefix: str):
        attention = self.self(hidden, attention_mask, head_mask)
        _record(prefix + "scores", attention.scores)
        _record(prefix + "probs", attention.probs)
        _record(prefix + "context", attention.context)
        names = (prefix + "dense", prefix + "layer_norm_input", prefix + "layer_norm_output")
        return self.output(attention.context, hidden, names), attention.probs


class BertIntermediate(nn.Module):
    """The first half of the feed-forward network: C -> intermediate_size, then GELU."""

    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.intermediate_size)
        self.approximate = _ACTIVATIONS[config.hidden_act]

    def forward(self, hidden: tg.Tensor, prefix: str) -> tg.Tensor:
        intermediate = self.dense(hidden)
        _record(prefix + "intermediate", intermediate)
        activated = F.gelu(intermediate, approximate=self.approximate)
        _record(prefix + "gelu", activated)
        return activated


class BertLayer(nn.Module):
    """One post-LN encoder layer: attention block, then feed-forward block."""

    def __init__(self, config: BertConfig, index: int) -> None:
        super().__init__()
        self.index = index
        self.attention = BertAttention(config)
        self.intermediate = BertIntermediate(config)
        self.output = BertProjectAddNorm(config, config.intermediate_size)

    def forward(self, hidden: tg.Tensor, attention_mask=None, head_mask=None):
        prefix = f"layer.{self.index}."
        _record(prefix + "input", hidden)
        attended, probs = self.attention(hidden, attention_mask, head_mask, prefix + "attention.")
        names = (
            prefix + "ffn.output",
            prefix + "output.layer_norm_input",
            prefix + "output.layer_norm_output",
        )
        output = self.output(self.intermediate(attended, prefix + "ffn."), attended, names)
        _record(prefix + "output", output)
        return output, probs


class BertEncoder(nn.Module):
    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.layer = nn.ModuleList([BertLayer(config, index) for index in range(config.num_hidden_layers)])


@dataclass
class BertOutputs:
    """What `BertModel` and `BertForMaskedLM` return (Hugging Face's field names)."""

    loss: tg.Tensor | None = None  # mean cross entropy over labelled positions (labels given)
    logits: tg.Tensor | None = None  # (B, T, vocab_size), BertForMaskedLM only
    last_hidden_state: tg.Tensor | None = None  # (B, T, C)
    hidden_states: tuple | None = None  # embeddings output + each layer's output, (B, T, C) each
    attentions: tuple | None = None  # each layer's attention probabilities, (B, H, T, T)


class BertModel(nn.Module):
    """The encoder: embeddings and the stack of layers (no pooler: BertForMaskedLM has none)."""

    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.config = config
        self.embeddings = BertEmbeddings(config)
        self.encoder = BertEncoder(config)

    def forward(
        self,
        input_ids,
        attention_mask=None,
        token_type_ids=None,
        output_attentions: bool = False,
        output_hidden_states: bool = False,
        head_mask=None,
    ) -> BertOutputs:
        ids, types, mask = self._check_inputs(input_ids, attention_mask, token_type_ids)
        hidden = self.embeddings(ids, types)
        additive_mask = None
        if mask is not None and not mask.all():
            # (B, 1, 1, T): 0 where a key is a token, the most negative float where it is [PAD]
            dtype = hidden.dtype
            additive = (mask[:, None, None, :] == 0) * np.finfo(dtype).min
            additive_mask = tg.Tensor._wrap(additive.astype(dtype))
        head_masks = self._head_masks(head_mask, hidden.dtype)
        hidden_states, attentions = [hidden], []
        for index, layer in enumerate(self.encoder.layer):
            hidden, probs = layer(hidden, additive_mask, head_masks[index])
            hidden_states.append(hidden)
            attentions.append(probs)
        return BertOutputs(
            last_hidden_state=hidden,
            hidden_states=tuple(hidden_states) if output_hidden_states else None,
            attentions=tuple(attentions) if output_attentions else None,
        )

    def _check_inputs(self, input_ids, attention_mask, token_type_ids):
        config = self.config
        ids = _int_array(input_ids, "input_ids")
        if ids.ndim != 2:
            raise ValueError(f"BertModel: input_ids must be (batch, time), got shape {ids.shape}")
        if ids.shape[1] > config.max_position_embeddings:
            raise ValueError(
                f"BertModel: sequence of length {ids.shape[1]} is longer than max_position_embeddings="
                f"{config.max_position_embeddings}; truncate it or build a model with more positions"
            )
        if ids.size and (ids.min() < 0 or ids.max() >= config.vocab_size):
            raise IndexError(
                f"BertModel: token id {ids.min() if ids.min() < 0 else ids.max()} is outside the "
                f"vocabulary (vocab_size={config.vocab_size})"
            )
        types = np.zeros_like(ids) if token_type_ids is None else _int_array(token_type_ids, "token_type_ids")
        mask = None
        if attention_mask is not None:  # 1 (or True) for a token, 0 for [PAD]; any numeric dtype
            mask = np.asarray(
                attention_mask.data if isinstance(attention_mask, tg.Tensor) else attention_mask
            )
            if mask.dtype.kind not in "iubf":
                raise TypeError(f"BertModel: attention_mask must be numeric, got dtype {mask.dtype}")
        for name, array in (("token_type_ids", types), ("attention_mask", mask)):
            if array is not None and array.shape != ids.shape:
                raise ValueError(
                    f"BertModel: {name} has shape {array.shape} but input_ids has shape {ids.shape}"
                )
        if types.size and (types.min() < 0 or types.max() >= config.type_vocab_size):
            raise IndexError(
                f"BertModel: token_type_ids must be in [0, {config.type_vocab_size}), "
                f"got {types.min()}..{types.max()}"
            )
        return ids, types, mask

    def _head_masks(self, head_mask, dtype) -> list:
        """head_mask (H,) for every layer or (L, H) per layer, 1 keeps a head and 0 removes it."""
        layers, heads = self.config.num_hidden_layers, self.config.num_attention_heads
        if head_mask is None:
            return [None] * layers
        array = np.asarray(head_mask.data if isinstance(head_mask, tg.Tensor) else head_mask, dtype=dtype)
        if array.shape == (heads,):
            array = np.broadcast_to(array, (layers, heads))
        if array.shape != (layers, heads):
            raise ValueError(
                f"BertModel: head_mask must have shape ({heads},) or ({layers}, {heads}), got {array.shape}"
            )
        return [tg.Tensor._wrap(np.ascontiguousarray(row)) for row in array]


def _int_array(value, name: str) -> np.ndarray:
    array = value.data if isinstance(value, tg.Tensor) else np.asarray(value)
    if array.dtype.kind not in "iub":
        raise TypeError(f"BertModel: {name} must hold integers, got dtype {array.dtype}")
    return array.astype(np.int64, copy=False)


# --------------------------------------------------------------------------------------------------
# the masked-language-model head


class BertPredictionHeadTransform(nn.Module):
    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.approximate = _ACTIVATIONS[config.hidden_act]

    def forward(self, hidden: tg.Tensor) -> tg.Tensor:
        projected = self.dense(hidden)
        _record("head.dense", projected)
        activated = F.gelu(projected, approximate=self.approximate)
        _record("head.gelu", activated)
        output = self.LayerNorm(activated)
        _record("head.layer_norm_output", output)
        return output


class BertLMPredictionHead(nn.Module):
    """transform, then the decoder: a Linear whose weight IS the word-embedding matrix (tied) and whose
    bias IS `self.bias`. Both therefore appear twice in `state_dict()`, as in Hugging Face."""

    def __init__(self, config: BertConfig, word_embeddings: nn.Parameter) -> None:
        super().__init__()
        self.bias = nn.Parameter(tg.zeros(config.vocab_size))
        self.transform = BertPredictionHeadTransform(config)
        self.decoder = nn.Linear(config.hidden_size, config.vocab_size)
        self.decoder.weight = word_embeddings
        self.decoder.bias = self.bias

    def forward(self, hidden: tg.Tensor) -> tg.Tensor:
        logits = self.decoder(self.transform(hidden))
        _record("head.logits", logits)
        return logits


class BertOnlyMLMHead(nn.Module):
    def __init__(self, config: BertConfig, word_embeddings: nn.Parameter) -> None:
        super().__init__()
        self.predictions = BertLMPredictionHead(config, word_embeddings)

    def forward(self, hidden: tg.Tensor) -> tg.Tensor:
        return self.predictions(hidden)


class BertForMaskedLM(nn.Module):
    """BERT with the masked-language-model head: `model(input_ids, labels=labels).loss`."""

    def __init__(self, config: BertConfig, generator=None) -> None:
        super().__init__()
        self.config = config
        self.bert = BertModel(config)
        self.cls = BertOnlyMLMHead(config, self.bert.embeddings.word_embeddings.weight)
        self.init_weights(generator)

    def init_weights(self, generator=None) -> None:
        """As Hugging Face: Linear and Embedding weights ~ N(0, initializer_range), biases 0, LayerNorm
        weight 1 and bias 0, and the [PAD] row of the word embeddings 0."""
        std = self.config.initializer_range
        drawn = set()  # the decoder's weight is the word-embedding matrix: draw it once
        with tg.no_grad():
            for module in self.modules():
                if isinstance(module, nn.Linear | nn.Embedding) and id(module.weight) not in drawn:
                    drawn.add(id(module.weight))
                    module.weight.normal_(0.0, std, generator=generator)
                if isinstance(module, nn.Linear) and module.bias is not None:
                    module.bias.zero_()
                if isinstance(module, nn.LayerNorm):
                    module.weight.fill_(1.0)
                    module.bias.zero_()
            self.bert.embeddings.word_embeddings.weight[self.config.pad_token_id] = 0.0

    def forward(
        self,
        input_ids,
        attention_mask=None,
        token_type_ids=None,
        labels=None,
        output_attentions: bool = False,
        output_hidden_states: bool = False,
        head_mask=None,
    ) -> BertOutputs:
        outputs = self.bert(
            input_ids, attention_mask, token_type_ids, output_attentions, output_hidden_states, head_mask
        )
        logits = self.cls(outputs.last_hidden_state)
        outputs.logits = logits
        if labels is not None:
            targets = _int_array(labels, "labels")
            if targets.shape != logits.shape[:2]:
                raise ValueError(
                    f"BertForMaskedLM: labels have shape {targets.shape} but input_ids {logits.shape[:2]}"
                )
            outputs.loss = F.fused_cross_entropy(  # = F.cross_entropy, one op (logits are large)
                logits.reshape(-1, self.config.vocab_size), targets.reshape(-1), ignore_index=IGNORE_INDEX
            )
        return outputs

    # loading and saving: see models/bert_pretrained.py

    def save_pretrained(self, directory, tokenizer=None) -> None:
        """Write config.json, model.safetensors (and vocab.txt from `tokenizer`) as Hugging Face does."""
        from models.bert_pretrained import save_pretrained

        save_pretrained(self, directory, tokenizer)

    @classmethod
    def from_pretrained(cls, directory) -> BertForMaskedLM:
        """A model from a folder written by `save_pretrained` here or by Hugging Face `transformers`."""
        from models.bert_pretrained import load_pretrained

        return load_pretrained(cls, directory)
