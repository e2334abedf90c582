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

The files: `bert_config.py` (BertConfig), `bert_encoder.py` (embeddings, layers, BertModel and
`capture_intermediates`), this file (the MLM head and BertForMaskedLM), `bert_pretrained.py` (the
Hugging Face folder format).
"""

from __future__ import annotations

import tinygrad_edu as tg
from models.bert_config import _ACTIVATIONS, IGNORE_INDEX, BertConfig
from models.bert_encoder import (
    BertEmbeddings,
    BertEncoder,
    BertLayer,
    BertModel,
    BertOutputs,
    _int_array,
    _record,
    capture_intermediates,
)
from models.bert_pretrained import load_pretrained, save_pretrained
from tinygrad_edu import nn
from tinygrad_edu.nn import functional as F

__all__ = [
    "IGNORE_INDEX",
    "BertConfig",
    "BertEmbeddings",
    "BertEncoder",
    "BertForMaskedLM",
    "BertLayer",
    "BertModel",
    "BertOutputs",
    "capture_intermediates",
]


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
        save_pretrained(self, directory, tokenizer)

    @classmethod
    def from_pretrained(cls, directory) -> BertForMaskedLM:
        """A model from a folder written by `save_pretrained` here or by Hugging Face `transformers`."""
        return load_pretrained(cls, directory)
