"""The checks of notebooks 09-14 (Mini-BERT: embeddings, layers, gradients, optimisers, MLM, inference).

Each right answer is computed here from the lesson's objects or with the library, never written out.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import tinygrad_edu as tg
from tinygrad_edu import nn
from tinygrad_edu.data.mlm import IGNORE_INDEX, MLMCollator
from tinygrad_edu.exercises.compare import answered, close, exact, exercise, fail, one_of
from tinygrad_edu.gradcheck import gradcheck
from tinygrad_edu.nn import functional as F

# ---- 09 BERT embeddings ----


@exercise("09.1", "embeddings")
def _embedding_parameters(answer: Any, embeddings: nn.Module) -> None:
    exact(
        "exercise 1",
        answer,
        sum(p.numel() for p in embeddings.parameters()),
        hint="three tables of C columns (V, T_max and 2 rows), plus LayerNorm's gamma and beta of C each.",
    )


@exercise("09.2", "acts", "encoding")
def _embedding_sum(answer: Any, acts: dict, encoding: Any) -> None:
    position = encoding.token_type_ids.index(1)
    close(
        "exercise 2",
        answer,
        acts["embeddings.layer_norm_input"].numpy()[0, position],
        atol=1e-5,
        hint=f"that token sits at position {position}; add its word, position and segment-1 rows.",
    )


@exercise("09.3", "nearest", "query_word")
def _nearest_word(answer: Any, nearest: Any, query_word: str) -> None:
    answer = answered(answer)
    if answer == query_word:
        fail("exercise 3", "that is the word itself; skip it")
    exact(
        "exercise 3",
        answer,
        nearest(query_word, 1)[0][0],
        what="a token (a string)",
        hint="normalise every row of the word table, take dot products with the word's row, skip specials.",
    )


# ---- 10 BERT layers ----


@exercise("10.1", "acts")
def _ffn_shape(answer: Any, acts: dict) -> None:
    exact(
        "exercise 1",
        None if answer is None else tuple(answer),
        tuple(acts["layer.1.ffn.gelu"].shape),
        what="a tuple",
        hint="batch 1, one row per token, and the FFN's wide size (config.intermediate_size).",
    )


@exercise("10.2", "acts")
def _head_probs(answer: Any, acts: dict) -> None:
    close(
        "exercise 2",
        answer,
        acts["layer.0.attention.probs"].numpy()[0, 1],
        atol=1e-5,
        hint="head h owns channels h*D to (h+1)*D of Q and K; divide by sqrt(D); softmax over the last axis.",
    )


@exercise("10.3", "acts")
def _second_layer_norm(answer: Any, acts: dict) -> None:
    close(
        "exercise 3",
        answer,
        acts["layer.0.output.layer_norm_output"],
        atol=1e-4,
        hint="mean and (biased) variance over the last axis, per token; eps inside the square root.",
    )


# ---- 11 BERT gradients ----


@exercise("11.1")
def _cube(cube: Any) -> None:
    x = tg.randn(6, dtype=tg.float64, generator=tg.Generator(5)).requires_grad_()
    cube.apply(x).sum().backward()
    if answered(x.grad) is None:
        return
    if not gradcheck(cube.apply, (x,), raise_exception=False):
        fail(
            "exercise 1",
            "your backward disagrees with finite differences",
            "d(x^3)/dx = 3x^2, multiplied by grad_output.",
        )


@exercise("11.2", "exact_input")
def _finite_difference(answer: Any, exact_input: tg.Tensor) -> None:
    close(
        "exercise 2",
        answer,
        exact_input.grad.numpy()[1, 2],
        rtol=1e-5,
        atol=1e-8,
        factors={"2 (the central difference divides by 2 eps)": 2},
        hint="copy x64 twice, add and subtract eps at [1, 2], divide the difference of the sums by 2 eps.",
    )


@exercise("11.3", "parts", "grad_norms")
def _largest_gradient(answer: Any, parts: dict, grad_norms: np.ndarray) -> None:
    labels = list(parts.values())
    one_of(
        "exercise 3",
        answer,
        labels[int(np.argmax(grad_norms[0]))],
        labels,
        hint="it is not the tallest bar of layer 0; read the log-scale axis again.",
    )


# ---- 12 optimisers ----


@exercise("12.1")
def _adam_first_step(answer: Any) -> None:
    parameter = nn.Parameter(tg.tensor([2.0], dtype=tg.float64))
    parameter.grad = tg.tensor([5.0], dtype=tg.float64)
    tg.optim.Adam([parameter], lr=0.01).step()
    close(
        "exercise 1",
        answer,
        parameter.item() - 2.0,
        rtol=1e-3,
        factors={"5 (the gradient)": 5},
        hint="at t = 1, m / (1 - beta1) = g and v / (1 - beta2) = g^2, so the step is lr * g / |g|.",
    )


@exercise("12.2")
def _momentum_buffer(answer: Any) -> None:
    parameter = nn.Parameter(tg.tensor([0.0], dtype=tg.float64))
    optimizer = tg.optim.SGD([parameter], lr=1.0, momentum=0.9)
    for _ in range(3):
        parameter.grad = tg.tensor([1.0], dtype=tg.float64)
        optimizer.step()
    close(
        "exercise 2",
        answer,
        optimizer.state[parameter]["momentum_buffer"],
        hint="b1 = 1, b2 = 0.9 * b1 + 1, b3 = 0.9 * b2 + 1.",
    )


@exercise("12.3", "rates")
def _schedule(answer: Any, rates: Any) -> None:
    close(
        "exercise 3",
        answer,
        [rates[50], rates[550]],
        what="a list of two numbers",
        hint="warm-up: lr * step / 100. Decay: lr * (1000 - step) / (1000 - 100).",
    )


# ---- 13 MLM training ----


@exercise("13.1", "collator")
def _masks_per_row(answer: Any, collator: MLMCollator) -> None:
    close(
        "exercise 1",
        answer,
        100 * collator.mlm_probability * collator.mask_fraction,
        hint="15% of the tokens are chosen; 80% of those become [MASK].",
    )


@exercise("13.2", "labels")
def _positions_in_loss(answer: Any, labels: np.ndarray) -> None:
    exact(
        "exercise 2",
        answer,
        int((np.asarray(labels) != IGNORE_INDEX).sum()),
        hint="a position counts when its label is not IGNORE_INDEX (-100).",
    )


@exercise("13.3", "heldout_losses")
def _perplexity(answer: Any, heldout_losses: Any) -> None:
    close(
        "exercise 3",
        answer,
        np.exp(heldout_losses[-1]),
        rtol=1e-3,
        hint="np.exp of the last held-out loss the lesson printed.",
    )


# ---- 14 inference and evaluation ----


@exercise("14.1", "tokenizer")
def _uniform_loss(answer: Any, tokenizer: Any) -> None:
    uniform = F.log_softmax(tg.zeros(tokenizer.vocab_size, dtype=tg.float64), dim=-1)
    close("exercise 1", answer, -uniform[0], hint="every token gets p = 1 / V; the loss is -log p.")


@exercise("14.2", "pseudo_perplexity", "model", "tokenizer", "line")
def _pseudo_perplexity(answer: Any, pseudo_perplexity: Any, model: Any, tokenizer: Any, line: str) -> None:
    close(
        "exercise 2",
        answer,
        pseudo_perplexity(model, tokenizer, line)[0],
        rtol=1e-6,
        hint="pseudo_perplexity(model, tokenizer, line)[1] is a list of (token, log p) pairs.",
    )


@exercise("14.3", "mlm_metrics", "model", "batches")
def _ablated_loss(answer: Any, mlm_metrics: Any, model: Any, batches: Any) -> None:
    config = model.config
    mask = np.ones((config.num_hidden_layers, config.num_attention_heads))
    mask[0] = 0
    close(
        "exercise 3",
        answer,
        mlm_metrics(model, batches, head_mask=mask)["loss"],
        rtol=1e-6,
        hint="np.ones((layers, heads)), then row 0 set to 0.",
    )
