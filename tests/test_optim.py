"""Tests for tinygrad_edu.optim: every optimizer and schedule step for step against torch, state dicts,
and a short training run of an MLP with BatchNorm and AdamW that must give torch's losses."""

import math

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import nn, optim
from tinygrad_edu.optim import lr_scheduler


def paired_params(torch, dtype, seed=0):
    rng = np.random.default_rng(seed)
    values = [rng.standard_normal(s).astype(dtype) for s in [(4, 3), (3,), ()]]
    ours = [tg.Tensor(v, requires_grad=True) for v in values]
    theirs = [torch.tensor(v, requires_grad=True) for v in values]
    return ours, theirs


def run_side_by_side(torch, make_ours, make_theirs, dtype, steps=12, **kwargs):
    """Apply the same gradient sequence to both and compare the parameters after every step."""
    ours, theirs = paired_params(torch, dtype)
    opt_ours, opt_theirs = make_ours(ours, **kwargs), make_theirs(theirs, **kwargs)
    rng = np.random.default_rng(1)
    tol = dict(rtol=1e-10, atol=1e-12) if dtype == np.float64 else dict(rtol=1e-5, atol=1e-6)
    for step in range(steps):
        for p, q in zip(ours, theirs):
            grad = rng.standard_normal(p.shape).astype(dtype)
            p.grad = tg.Tensor(grad)
            q.grad = torch.from_numpy(grad.copy())
        opt_ours.step()
        opt_theirs.step()
        for index, (p, q) in enumerate(zip(ours, theirs)):
            assert p.dtype == dtype
            np.testing.assert_allclose(
                p.data, q.detach().numpy(), **tol, err_msg=f"step {step}, param {index}"
            )
    return opt_ours, opt_theirs, ours


SGD_CASES = [
    dict(lr=0.1),
    dict(lr=0.1, momentum=0.9),
    dict(lr=0.05, momentum=0.9, dampening=0.3),
    dict(lr=0.05, momentum=0.9, nesterov=True),
    dict(lr=0.1, momentum=0.5, weight_decay=0.01),
    dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.1),
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("kwargs", SGD_CASES)
def test_sgd_matches_torch(torch, dtype, kwargs):
    run_side_by_side(torch, optim.SGD, torch.optim.SGD, dtype, **kwargs)


ADAM_CASES = [
    dict(lr=0.01),
    dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6),
    dict(lr=0.01, weight_decay=0.1),
    dict(lr=0.01, amsgrad=True),
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("kwargs", ADAM_CASES)
def test_adam_matches_torch(torch, dtype, kwargs):
    run_side_by_side(torch, optim.Adam, torch.optim.Adam, dtype, **kwargs)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(
    "kwargs", [dict(lr=0.01), dict(lr=0.02, weight_decay=0.3), dict(lr=0.01, amsgrad=True)]
)
def test_adamw_matches_torch(torch, dtype, kwargs):
    run_side_by_side(torch, optim.AdamW, torch.optim.AdamW, dtype, **kwargs)


def test_param_groups_have_their_own_hyperparameters(torch):
    ours, theirs = paired_params(torch, np.float64)

    def groups(params):
        return [{"params": params[:2], "weight_decay": 0.0}, {"params": params[2:], "lr": 0.1}]

    run_side_by_side(
        torch,
        lambda p, **k: optim.AdamW(groups(p), lr=0.01, weight_decay=0.5),
        lambda p, **k: torch.optim.AdamW(groups(p), lr=0.01, weight_decay=0.5),
        np.float64,
    )
    opt = optim.SGD(groups(ours), lr=0.5)
    assert [g["lr"] for g in opt.param_groups] == [0.5, 0.1]
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": ours[:1]})


def test_optimizer_state_dict_round_trip_continues_identically(torch):
    opt_ours, _, params = run_side_by_side(torch, optim.Adam, torch.optim.Adam, np.float64, steps=3, lr=0.01)
    state = opt_ours.state_dict()
    assert set(state) == {"state", "param_groups"}
    assert sorted(state["state"]) == [0, 1, 2] and state["state"][0]["step"] == 3
    assert state["param_groups"][0]["params"] == [0, 1, 2]
    clones = [tg.Tensor(p.data.copy(), requires_grad=True) for p in params]
    resumed = optim.Adam(clones, lr=0.5)
    resumed.load_state_dict(tg.load(_save_tmp(state)))
    assert resumed.param_groups[0]["lr"] == 0.01
    for p, q in zip(params, clones):
        grad = np.full(p.shape, 0.3)
        p.grad, q.grad = tg.Tensor(grad), tg.Tensor(grad)
    opt_ours.step()
    resumed.step()
    for p, q in zip(params, clones):
        np.testing.assert_array_equal(p.data, q.data)
    # the state dict is a copy: stepping does not change a saved one
    assert state["state"][0]["step"] == 3


def _save_tmp(obj):
    import tempfile

    path = tempfile.mktemp(suffix=".npz")
    tg.save(obj, path)
    return path


def test_zero_grad_and_argument_errors():
    param = tg.zeros(2, requires_grad=True)
    param.grad = tg.ones(2)
    opt = optim.SGD([param], lr=0.1)
    opt.zero_grad(set_to_none=False)
    assert np.all(param.grad.data == 0)
    opt.zero_grad()
    assert param.grad is None
    opt.step()  # no gradient: nothing happens
    assert np.all(param.data == 0)
    with pytest.raises(ValueError, match="learning rate"):
        optim.SGD([param], lr=-1)
    with pytest.raises(ValueError, match="Nesterov"):
        optim.SGD([param], lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="beta"):
        optim.Adam([param], betas=(1.0, 0.9))
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.Adam([])
    with pytest.raises(TypeError, match="Tensor"):
        optim.Adam(param)


def test_step_runs_without_recording_a_graph():
    param = tg.ones(3, requires_grad=True)
    (param * param).sum().backward()
    optim.Adam([param], lr=0.1).step()
    assert param.is_leaf and param.requires_grad


# --------------------------------------------------------------------------------------------------
# schedules


def schedule_pair(torch, make_ours, make_theirs, steps=25, lr=0.1):
    p = tg.zeros(1, requires_grad=True)
    q = torch.zeros(1, requires_grad=True)
    opt_ours = optim.SGD([p], lr=lr)
    opt_theirs = torch.optim.SGD([q], lr=lr)
    ours, theirs = make_ours(opt_ours), make_theirs(opt_theirs)
    assert opt_ours.param_groups[0]["lr"] == pytest.approx(opt_theirs.param_groups[0]["lr"], rel=1e-12)
    for step in range(steps):
        opt_ours.step()
        opt_theirs.step()
        ours.step()
        theirs.step()
        assert ours.get_last_lr() == pytest.approx(theirs.get_last_lr(), rel=1e-10, abs=1e-15), f"step {step}"
        assert opt_ours.param_groups[0]["lr"] == pytest.approx(
            opt_theirs.param_groups[0]["lr"], rel=1e-10, abs=1e-15
        )
    return ours


def test_step_lr_matches_torch(torch):
    schedule_pair(
        torch,
        lambda o: lr_scheduler.StepLR(o, step_size=4, gamma=0.5),
        lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=4, gamma=0.5),
    )


def test_lambda_lr_matches_torch(torch):
    schedule_pair(
        torch,
        lambda o: lr_scheduler.LambdaLR(o, lambda epoch: 0.9**epoch),
        lambda o: torch.optim.lr_scheduler.LambdaLR(o, lambda epoch: 0.9**epoch),
    )


@pytest.mark.parametrize("eta_min", [0.0, 0.01])
def test_cosine_annealing_matches_torch_past_one_period(torch, eta_min):
    schedule_pair(
        torch,
        lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=10, eta_min=eta_min),
        lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=10, eta_min=eta_min),
        steps=30,
    )


def test_linear_lr_matches_torch(torch):
    schedule_pair(
        torch,
        lambda o: lr_scheduler.LinearLR(o, start_factor=0.1, end_factor=1.0, total_iters=6),
        lambda o: torch.optim.lr_scheduler.LinearLR(o, start_factor=0.1, end_factor=1.0, total_iters=6),
    )


def test_sequential_warmup_then_cosine_matches_torch(torch):
    def build(lib, opt):
        warmup = lib.LinearLR(opt, start_factor=0.01, total_iters=5)
        cosine = lib.CosineAnnealingLR(opt, T_max=15, eta_min=0.001)
        decay = lib.StepLR(opt, step_size=2, gamma=0.5)
        return lib.SequentialLR(opt, [warmup, cosine, decay], milestones=[5, 20])

    schedule_pair(
        torch, lambda o: build(lr_scheduler, o), lambda o: build(torch.optim.lr_scheduler, o), steps=30
    )


def test_linear_warmup_schedule_matches_the_same_lambda_in_torch(torch):
    def hf_lambda(step, warmup=5, total=20):
        if step < warmup:
            return step / warmup
        return max(0.0, (total - step) / (total - warmup))

    scheduler = schedule_pair(
        torch,
        lambda o: lr_scheduler.get_linear_schedule_with_warmup(o, 5, 20),
        lambda o: torch.optim.lr_scheduler.LambdaLR(o, hf_lambda),
    )
    assert scheduler.get_last_lr()[0] == 0.0  # decayed to zero at the end


def test_warmup_shape_and_cosine_with_warmup():
    param = tg.zeros(1, requires_grad=True)
    opt = optim.AdamW([param], lr=1.0)
    scheduler = lr_scheduler.get_linear_schedule_with_warmup(opt, num_warmup_steps=4, num_training_steps=8)
    lrs = [opt.param_groups[0]["lr"]]
    for _ in range(8):
        scheduler.step()
        lrs.append(scheduler.get_last_lr()[0])
    assert lrs == pytest.approx([0.0, 0.25, 0.5, 0.75, 1.0, 0.75, 0.5, 0.25, 0.0])
    opt = optim.AdamW([param], lr=1.0)
    cosine = lr_scheduler.get_cosine_schedule_with_warmup(opt, 2, 10, min_lr_ratio=0.1)
    for _ in range(2):
        cosine.step()
    assert cosine.get_last_lr()[0] == pytest.approx(1.0)
    for _ in range(8):
        cosine.step()
    assert cosine.get_last_lr()[0] == pytest.approx(0.1)


def test_scheduler_state_dict_round_trip():
    param = tg.zeros(1, requires_grad=True)
    opt = optim.SGD([param], lr=1.0)
    scheduler = lr_scheduler.CosineAnnealingLR(opt, T_max=10)
    for _ in range(3):
        scheduler.step()
    state = tg.load(_save_tmp(scheduler.state_dict()))
    assert state["last_epoch"] == 3 and "optimizer" not in state
    fresh = lr_scheduler.CosineAnnealingLR(optim.SGD([param], lr=1.0), T_max=10)
    fresh.load_state_dict(state)
    assert fresh.last_epoch == 3 and fresh.get_last_lr() == scheduler.get_last_lr()
    assert scheduler.get_last_lr()[0] == pytest.approx(0.5 * (1 + math.cos(math.pi * 3 / 10)))


# --------------------------------------------------------------------------------------------------
# a whole training run


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_mlp_with_batchnorm_and_adamw_trains_like_torch(torch, dtype):
    """20 steps: same initial weights and data -> the same losses (and final weights) as torch."""
    rng = np.random.default_rng(0)
    inputs = rng.standard_normal((64, 6)).astype(dtype)
    targets = (inputs @ rng.standard_normal((6, 4))).argmax(axis=1)  # a learnable rule
    # no bias before BatchNorm (as makemore): its exact gradient is zero, and Adam would amplify rounding noise
    ours = nn.Sequential(
        nn.Linear(6, 16, bias=False, dtype=dtype, generator=tg.Generator(0)),
        nn.BatchNorm1d(16, dtype=dtype),
        nn.Tanh(),
        nn.Linear(16, 4, dtype=dtype, generator=tg.Generator(1)),
    )
    theirs = torch.nn.Sequential(
        torch.nn.Linear(6, 16, bias=False), torch.nn.BatchNorm1d(16), torch.nn.Tanh(), torch.nn.Linear(16, 4)
    ).to(torch.float64 if dtype == np.float64 else torch.float32)
    theirs.load_state_dict({k: torch.from_numpy(np.array(v.data)) for k, v in ours.state_dict().items()})
    opt_ours = optim.AdamW(ours.parameters(), lr=0.03, weight_decay=0.1)
    opt_theirs = torch.optim.AdamW(theirs.parameters(), lr=0.03, weight_decay=0.1)
    sched_ours = lr_scheduler.CosineAnnealingLR(opt_ours, T_max=20)
    sched_theirs = torch.optim.lr_scheduler.CosineAnnealingLR(opt_theirs, T_max=20)
    losses_ours, losses_theirs = [], []
    for _step in range(20):
        batch = rng.choice(64, size=16, replace=False)
        loss = nn.functional.cross_entropy(ours(tg.Tensor(inputs[batch])), tg.Tensor(targets[batch]))
        opt_ours.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(ours.parameters(), 1.0)
        opt_ours.step()
        sched_ours.step()
        losses_ours.append(loss.item())

        torch_loss = torch.nn.functional.cross_entropy(
            theirs(torch.from_numpy(inputs[batch])), torch.from_numpy(targets[batch])
        )
        opt_theirs.zero_grad()
        torch_loss.backward()
        torch.nn.utils.clip_grad_norm_(theirs.parameters(), 1.0)
        opt_theirs.step()
        sched_theirs.step()
        losses_theirs.append(torch_loss.item())
    np.testing.assert_allclose(losses_ours, losses_theirs, rtol=1e-5)
    assert losses_ours[-1] < losses_ours[0]
    for key, value in theirs.state_dict().items():
        np.testing.assert_allclose(
            ours.state_dict()[key].data, value.numpy(), rtol=1e-4, atol=1e-5, err_msg=key
        )
    assert all(p.dtype == dtype for p in ours.parameters())
