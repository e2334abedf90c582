"""The checks of notebooks 01-05 (derivatives, bigram, MLP, activations and BatchNorm, backprop by hand).

Each right answer is computed here from the lesson's objects or with the library, never written out.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import tinygrad_edu as tg
from tinygrad_edu import nn
from tinygrad_edu.exercises.compare import answered, call, close, exact, exercise, fail
from tinygrad_edu.nn import functional as F
from tinygrad_edu.scalar import Value


def _float64(values: Any, requires_grad: bool = False) -> tg.Tensor:
    return tg.tensor(np.asarray(values, dtype=np.float64), dtype=tg.float64, requires_grad=requires_grad)


# ---- 01 derivatives and micrograd ----


@exercise("01.1", "f")
def _derivative_of_f(answer: Any, f: Any) -> None:
    x = Value(-1.0)
    f(x).backward()
    close("exercise 1", answer, x.grad, hint="differentiate term by term, then put x = -1 into f'(x).")


@exercise("01.2")
def _chain_rule(answer: Any) -> None:
    a, b, c = Value(2.0), Value(-3.0), Value(10.0)
    ((a * b + c) ** 2).backward()
    close("exercise 2", answer, a.grad, hint="with d = ab + c: dL/da = dL/dd * dd/da, dL/dd = 2d, dd/da = b.")


@exercise("01.3")
def _softplus(softplus: Any) -> None:
    point = 0.7
    x = Value(point)
    y = call("exercise 3", softplus, x)
    if not isinstance(y, Value):
        fail("exercise 3", f"softplus should return a Value built from x, it returned a {type(y).__name__}")
    y.backward()
    close("exercise 3 (value)", y.data, math.log(1 + math.exp(point)), hint="softplus(x) = log(1 + exp(x)).")
    close(
        "exercise 3 (gradient)",
        x.grad,
        1 / (1 + math.exp(-point)),
        hint="build the result from Value operations only, so that backward() can reach x.",
    )


# ---- 02 bigram ----


@exercise("02.1", "P", "stoi")
def _nll_of_ava(answer: Any, P: np.ndarray, stoi: dict[str, int]) -> None:
    ids = [0, *(stoi[c] for c in "ava"), 0]
    expected = -np.mean(np.log(np.asarray(P)[ids[:-1], ids[1:]]))
    close(
        "exercise 1",
        answer,
        expected,
        factors={"4 (the number of pairs)": 4},
        hint="frame the name with '.', take log P[current, next] for the 4 pairs, average, negate.",
    )


@exercise("02.2", "train", "val")
def _unsmoothed_nll(answer: Any, train: tuple, val: tuple) -> None:
    (x_train, y_train), (x_val, y_val) = train, val
    counts = np.zeros((27, 27))
    np.add.at(counts, (np.ravel(x_train), np.ravel(y_train)), 1)
    probs = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    with np.errstate(divide="ignore"):
        expected = -np.mean(np.log(probs[np.ravel(x_val), np.ravel(y_val)]))
    close("exercise 2", answer, expected, hint="an unseen pair has probability 0; what is log 0?")


@exercise("02.3", "weight", "stoi")
def _one_hot_logits(answer: Any, weight: tg.Tensor, stoi: dict[str, int]) -> None:
    rows = [stoi["e"], stoi["m"]]
    expected = F.one_hot(tg.tensor(rows), weight.shape[0]).float() @ weight
    close(
        "exercise 3",
        answer,
        expected,
        hint="one_hot(tg.tensor([...]), 27) has shape (2, 27); multiply it by the (27, 27) weight.",
    )


# ---- 03 MLP ----


@exercise("03.1", "model")
def _mlp_parameters(answer: Any, model: nn.Module) -> None:
    exact(
        "exercise 1",
        answer,
        sum(p.numel() for p in model.parameters()),
        hint="the table is vocab_size x n_embd; each Linear(a, b) has a*b weights and b biases.",
    )


@exercise("03.2", "config")
def _concatenated_shape(answer: Any, config: Any) -> None:
    batch = 32
    embeddings = tg.zeros(batch, config.block_size, config.n_embd)
    expected = tuple(embeddings.reshape(batch, -1).shape)
    exact(
        "exercise 2",
        None if answer is None else tuple(answer),
        expected,
        what="a tuple",
        hint="each context has block_size characters of n_embd numbers each, laid side by side.",
    )


@exercise("03.3", "loss_after")
def _learning_rate(answer: Any, loss_after: Any) -> None:
    rate = answered(answer)
    if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not rate > 0:
        fail("exercise 3", f"expected a positive learning rate (a float), you gave {rate!r}")
    yours, slow = loss_after(rate), loss_after(1e-3)
    print(f"validation loss after the run: at your rate {rate:g} {yours:.4f}, at 1e-3 {slow:.4f}")
    if not yours < slow - 0.1:
        fail(
            "exercise 3",
            f"a rate of {rate:g} does not beat 1e-3 clearly",
            "look for the lowest part of the smoothed curve, before it turns up.",
        )


# ---- 04 activations and BatchNorm ----


@exercise("04.1", "layer")
def _kaiming_std(answer: Any, layer: nn.Linear) -> None:
    fan_in = layer.weight.shape[1]
    expected = nn.init.calculate_gain("tanh") / math.sqrt(fan_in)
    close(
        "exercise 1",
        answer,
        expected,
        rtol=1e-3,
        factors={"fan_in": fan_in},
        hint="gain / sqrt(fan_in), with tanh's gain 5/3 and fan_in the layer's input width.",
    )


@exercise("04.2")
def _tanh_pass_through(answer: Any) -> None:
    x = _float64(np.arctanh(0.99), requires_grad=True)
    x.tanh().backward()
    close("exercise 2", answer, x.grad, hint="the local derivative of tanh, written with its output t.")


@exercise("04.3")
def _batchnorm_forward(batchnorm_forward: Any) -> None:
    rng = np.random.default_rng(4)
    x = rng.normal(2.0, 3.0, size=(32, 5))
    gamma, beta = rng.normal(size=5), rng.normal(size=5)
    yours = call("exercise 3", batchnorm_forward, x.copy(), gamma, beta)
    expected = F.batch_norm(_float64(x), None, None, _float64(gamma), _float64(beta), training=True)
    close(
        "exercise 3",
        yours,
        expected,
        rtol=1e-4,
        atol=1e-4,
        hint="mean and biased variance over axis 0 (the batch), one pair per column; eps inside the root.",
    )


@exercise("04.4")
def _running_mean(answer: Any) -> None:
    batch_means = np.array([2.0, -1.0, 4.0])
    layer = nn.BatchNorm1d(3, dtype=tg.float64)
    layer(_float64(batch_means + np.array([[1.0], [-1.0]])))  # two rows whose column means are those
    close(
        "exercise 4",
        answer,
        layer.running_mean,
        factors={"10 (1 / momentum)": 10},
        hint="running <- (1 - momentum) * running + momentum * batch mean, starting from 0.",
    )


# ---- 05 backprop by hand ----


@exercise("05.1")
def _tanh_backward(answer: Any) -> None:
    x = _float64(np.arctanh(0.5), requires_grad=True)
    (x.tanh() * 2.0).backward()
    close(
        "exercise 1",
        answer,
        x.grad,
        factors={"2 (dL/dh)": 2},
        hint="d tanh(x)/dx = 1 - tanh(x)^2 = 1 - h^2; then multiply by dL/dh.",
    )


@exercise("05.2")
def _cross_entropy_gradient(answer: Any) -> None:
    logits = _float64([[1.0, 2.0, 3.0]], requires_grad=True)
    F.cross_entropy(logits, tg.tensor([0])).backward()
    answer = answered(answer)
    close(
        "exercise 2",
        np.reshape(answer, -1) if np.size(answer) == 3 else answer,
        logits.grad.numpy()[0],
        what="a list of 3 numbers",
        hint="softmax([1, 2, 3]) minus the one-hot vector of the target.",
    )


@exercise("05.3")
def _bias_grad(bias_grad: Any) -> None:
    dout = np.random.default_rng(5).standard_normal((4, 3))
    bias = _float64(np.zeros(3), requires_grad=True)
    (_float64(np.zeros((4, 3))) + bias).backward(_float64(dout))
    close(
        "exercise 3",
        call("exercise 3", bias_grad, dout.copy()),
        bias.grad,
        factors={"the batch size": 4},
        hint="b was broadcast over the batch axis in the forward pass, so its gradient sums over that axis.",
    )
