"""The training-health report: its numbers equal the same quantities computed by hand with numpy."""

import json
import math

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import nn
from tinygrad_edu.health import HealthReport, activation_stats, attention_entropy
from tinygrad_edu.nn import functional as F


def small_mlp():
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    with tg.no_grad():
        model[0].weight.data[0] = [9.0, 9.0, 9.0]  # unit 0: saturated on every example (dead)
        model[0].bias.data[0] = 30.0
    return model


def batch():
    rng = np.random.default_rng(1)
    return rng.normal(size=(8, 3)).astype(np.float32), rng.integers(0, 2, size=8)


def train(model, report, steps, lr=0.1, clip=None):
    optimizer = tg.optim.SGD(model.parameters(), lr=lr)
    x, y = batch()
    for _ in range(steps):
        loss = F.cross_entropy(model(tg.tensor(x)), tg.tensor(y))
        optimizer.zero_grad()
        loss.backward()
        norm = nn.utils.clip_grad_norm_(model.parameters(), clip) if clip else None
        with report.update(grad_norm=norm):
            optimizer.step()
    return optimizer


def test_activation_numbers_equal_hand_computation():
    model = small_mlp()
    x, _ = batch()
    w, b = model[0].weight.data.copy(), model[0].bias.data.copy()
    report = HealthReport(model, every=5)
    train(model, report, 1)
    (record,) = report.records
    hand = np.tanh(x @ w.T + b)
    stats = record["activations"]["1"]  # the Tanh is module "1" of the Sequential
    assert stats["kind"] == "tanh"
    assert stats["mean"] == pytest.approx(hand.mean(), rel=1e-6)
    assert stats["std"] == pytest.approx(hand.std(), rel=1e-6)
    assert stats["saturated"] == pytest.approx((np.abs(hand) > 0.97).mean())
    assert stats["dead_units"] == int((np.abs(hand) > 0.97).all(axis=0).sum()) >= 1
    assert stats["units"] == 4
    assert sum(stats["histogram"]["counts"]) == hand.size


def test_gradient_and_update_numbers_equal_hand_computation():
    model = small_mlp()
    report = HealthReport(model, every=1)
    lr = 0.1
    optimizer = tg.optim.SGD(model.parameters(), lr=lr)
    x, y = batch()
    loss = F.cross_entropy(model(tg.tensor(x)), tg.tensor(y))
    loss.backward()
    before = {name: p.data.astype(np.float64).copy() for name, p in model.named_parameters()}
    grads = {name: p.grad.data.astype(np.float64).copy() for name, p in model.named_parameters()}
    with report.update():
        optimizer.step()
    record = report.records[0]
    total = 0.0
    for name in grads:
        g, w = grads[name], before[name]
        numbers = record["params"][name]
        assert numbers["grad_norm"] == pytest.approx(np.linalg.norm(g), rel=1e-9)
        assert numbers["grad_data"] == pytest.approx(g.std() / w.std(), rel=1e-9)
        # SGD's update is -lr * grad: the ratio is lr * std(grad) / std(param)
        assert numbers["update_data_log10"] == pytest.approx(math.log10(lr * g.std() / w.std()), abs=1e-5)
        total += np.linalg.norm(g) ** 2
    assert record["grad_norm"] == pytest.approx(math.sqrt(total), rel=1e-9)


def test_records_every_n_steps_and_hooks_exist_only_on_report_steps():
    model = small_mlp()
    report = HealthReport(model, every=3)
    optimizer = tg.optim.SGD(model.parameters(), lr=0.1)
    x, y = batch()
    armed = []
    for _ in range(7):
        armed.append(bool(model[1]._forward_hooks))
        loss = F.cross_entropy(model(tg.tensor(x)), tg.tensor(y))
        optimizer.zero_grad()
        loss.backward()
        with report.update():
            optimizer.step()
    assert [r["step"] for r in report.records] == [0, 3, 6]
    assert armed == [True, False, False, True, False, False, True]
    report.close()
    assert not model[1]._forward_hooks


def test_evaluation_under_no_grad_does_not_replace_the_training_numbers():
    model = small_mlp()
    report = HealthReport(model, every=1)
    x, y = batch()
    loss = F.cross_entropy(model(tg.tensor(x)), tg.tensor(y))
    with tg.no_grad():
        model(tg.tensor(np.zeros((5, 3), np.float32)))  # an evaluation pass in between
    loss.backward()
    with report.update():
        pass
    assert sum(report.records[0]["activations"]["1"]["histogram"]["counts"]) == 8 * 4


def test_clip_events_count_the_steps_over_the_limit():
    model = small_mlp()
    report = HealthReport(model, every=4, max_grad_norm=1.0)
    norms = [0.5, 2.0, 3.0, 0.1, 1.5, 0.2, 0.3, 0.9]
    for norm in norms:
        with report.update(grad_norm=tg.tensor(norm)):
            pass
    clips = [r["clip"] for r in report.records]
    assert [(c["events"], c["steps"]) for c in clips] == [(0, 1), (3, 4)]  # steps 0 | 1-4
    assert [r["grad_norm_before_clip"] for r in report.records] == [0.5, 1.5]


def test_gelu_and_relu_saturation_and_dead_units():
    x = np.array([[-4.0, 1.0, -5.0], [-3.5, -1.0, 2.0]])
    gelu = activation_stats("gelu", x, F.gelu(tg.tensor(x)).data)
    assert gelu["saturated"] == pytest.approx(3 / 6) and gelu["dead_units"] == 1  # unit 0: x < -3 always
    relu = activation_stats("relu", x, np.maximum(x, 0))
    assert relu["saturated"] == pytest.approx(4 / 6) and relu["dead_units"] == 1


def test_attention_entropy_per_head_equals_hand_computation():
    class Attend(nn.Module):
        def __init__(self):
            super().__init__()
            self.attn = nn.SelfAttention(8, num_heads=2, causal=True)

        def forward(self, x):
            return self.attn(x).context.sum()

    tg.manual_seed(3)
    model = Attend()
    report = HealthReport(model, every=1)
    x = np.random.default_rng(0).normal(size=(2, 5, 8)).astype(np.float32)
    model(tg.tensor(x)).backward()
    with report.update():
        pass
    # by hand: q, k per head, causal softmax, entropy of each row, mean over batch and rows
    a = model.attn
    q = (x @ a.query.weight.data.T + a.query.bias.data).reshape(2, 5, 2, 4).transpose(0, 2, 1, 3)
    k = (x @ a.key.weight.data.T + a.key.bias.data).reshape(2, 5, 2, 4).transpose(0, 2, 1, 3)
    scores = q @ k.transpose(0, 1, 3, 2) / 2.0 + np.triu(np.full((5, 5), -np.inf), 1)
    p = np.exp(scores - scores.max(-1, keepdims=True))
    p /= p.sum(-1, keepdims=True)
    hand = (-(p * np.log(np.where(p > 0, p, 1))).sum(-1)).mean(axis=(0, 2))
    np.testing.assert_allclose(report.records[0]["attention"]["attn"], hand, rtol=1e-4)
    assert report.records[0]["attention_keys"] == 5
    # uniform attention over T keys has entropy log T
    assert attention_entropy(np.full((1, 1, 3, 4), 0.25)) == pytest.approx([math.log(4)])


def test_json_lines_and_dashboard(tmp_path):
    model = small_mlp()
    report = HealthReport(model, every=2, max_grad_norm=0.5, jsonl=tmp_path / "health.jsonl")
    train(model, report, 6, clip=0.5)
    lines = (tmp_path / "health.jsonl").read_text().splitlines()
    assert [json.loads(line)["step"] for line in lines] == [0, 2, 4]
    assert json.loads(lines[-1]) == json.loads(json.dumps(report.records[-1]))
    path = report.save_png(tmp_path / "health.png", title="small MLP")
    assert open(path, "rb").read(8) == b"\x89PNG\r\n\x1a\n"
    assert "health at step 4" in report.summary() and "dead 1/4" in report.summary()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["health.jsonl", "health.png"]
