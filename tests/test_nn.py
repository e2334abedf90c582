"""Tests for tinygrad_edu.nn: the Module API, each layer against torch, init, and clip_grad_norm_."""

import math
from collections import OrderedDict

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import nn
from tinygrad_edu.nn import init


def tolerances(dtype):
    return dict(rtol=1e-10, atol=1e-10) if dtype == np.float64 else dict(rtol=1e-5, atol=1e-6)


def torch_dtype(torch, dtype):
    return torch.float64 if dtype == np.float64 else torch.float32


def copy_weights(ours, theirs, torch):
    """Give the torch module exactly our parameters and buffers."""
    with torch.no_grad():
        for key, value in ours.state_dict().items():
            target = theirs.state_dict()[key]
            target.copy_(torch.from_numpy(np.array(value.data)))


def assert_same_forward_and_grads(ours, theirs, x, torch, dtype):
    """Same input -> same output; a random upstream gradient -> same input and parameter gradients."""
    tol = tolerances(dtype)
    rng = np.random.default_rng(0)
    x_ours = tg.Tensor(x, requires_grad=x.dtype.kind == "f")
    x_theirs = torch.tensor(x, requires_grad=x.dtype.kind == "f")
    out_ours, out_theirs = ours(x_ours), theirs(x_theirs)
    np.testing.assert_allclose(out_ours.data, out_theirs.detach().numpy(), **tol)
    assert out_ours.dtype == out_theirs.detach().numpy().dtype
    upstream = rng.standard_normal(out_ours.shape).astype(out_ours.dtype)
    out_ours.backward(tg.Tensor(upstream))
    out_theirs.backward(torch.from_numpy(upstream))
    if x.dtype.kind == "f":
        np.testing.assert_allclose(x_ours.grad.data, x_theirs.grad.numpy(), **tol)
    theirs_params = dict(theirs.named_parameters())
    for name, param in ours.named_parameters():
        np.testing.assert_allclose(param.grad.data, theirs_params[name].grad.numpy(), **tol, err_msg=name)


# --------------------------------------------------------------------------------------------------
# Module API


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 4)
        self.norm = nn.BatchNorm1d(4)
        self.register_buffer("scale", tg.ones(4))
        self.register_buffer("cache", tg.zeros(2), persistent=False)

    def forward(self, x):
        return self.norm(self.fc(x)) * self.scale


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.block = Block()
        self.head = nn.Linear(4, 2, bias=False)
        self.extra = nn.Parameter(tg.zeros(2))

    def forward(self, x):
        return self.head(self.block(x)) + self.extra


def test_named_parameters_buffers_and_modules_in_torch_order():
    net = Net()
    assert [n for n, _ in net.named_parameters()] == [
        "extra",
        "block.fc.weight",
        "block.fc.bias",
        "block.norm.weight",
        "block.norm.bias",
        "head.weight",
    ]
    assert [n for n, _ in net.named_buffers()] == [
        "block.scale",
        "block.cache",
        "block.norm.running_mean",
        "block.norm.running_var",
        "block.norm.num_batches_tracked",
    ]
    assert [n for n, _ in net.named_modules()] == ["", "block", "block.fc", "block.norm", "head"]
    assert [n for n, _ in net.named_children()] == ["block", "head"]
    assert len(list(net.parameters(recurse=False))) == 1
    assert all(isinstance(p, nn.Parameter) and p.requires_grad for p in net.parameters())
    # non-persistent buffers stay out of the state dict
    assert "block.cache" not in net.state_dict()
    assert "block.scale" in net.state_dict()


def test_shared_parameter_is_listed_once():
    first = nn.Linear(2, 2)
    model = nn.Sequential(first, first)
    assert len(list(model.parameters())) == 2


def test_assignment_rules():
    model = nn.Linear(2, 2)
    with pytest.raises(TypeError, match="weight"):
        model.weight = tg.zeros(2, 2)
    model.bias = None
    assert [n for n, _ in model.named_parameters()] == ["weight"]
    model.note = "plain attributes still work"
    assert model.note == "plain attributes still work"
    with pytest.raises(AttributeError, match="no attribute 'missing'"):
        _ = model.missing

    class Early(nn.Module):
        def __init__(self):
            self.weight = nn.Parameter(tg.zeros(1))

    with pytest.raises(AttributeError, match="before Module.__init__"):
        Early()


def test_parameter_is_a_tensor_with_torch_repr():
    param = nn.Parameter(tg.tensor([1.0, 2.0]))
    assert isinstance(param, tg.Tensor) and isinstance(param, nn.Parameter)
    assert param.requires_grad and param.is_leaf
    assert repr(param).startswith("Parameter containing:\ntensor([1., 2.]")
    frozen = nn.Parameter(tg.zeros(2), requires_grad=False)
    assert not frozen.requires_grad


def test_state_dict_round_trip_copies_in_place_and_keeps_dtype():
    source, target = Net(), Net()
    source.block.norm.running_mean.data[...] = 3.0
    weight_before = target.block.fc.weight
    target.load_state_dict(source.state_dict())
    assert target.block.fc.weight is weight_before  # same Parameter object, new values
    for (key, a), (_, b) in zip(source.state_dict().items(), target.state_dict().items()):
        np.testing.assert_array_equal(a.data, b.data, err_msg=key)
    float64_state = OrderedDict(
        (k, v.double() if v.dtype.kind == "f" else v) for k, v in source.state_dict().items()
    )
    target.load_state_dict(float64_state)
    assert target.block.fc.weight.dtype == np.float32
    # the state dict is detached and shares memory, as torch's
    state = source.state_dict()
    assert not state["head.weight"].requires_grad
    assert np.shares_memory(state["head.weight"].data, source.head.weight.data)


def test_load_state_dict_names_missing_unexpected_and_misshaped_keys():
    model = Net()
    state = model.state_dict()
    del state["head.weight"]
    state["bogus.weight"] = tg.zeros(1)
    state["block.fc.bias"] = tg.zeros(7)
    with pytest.raises(RuntimeError) as error:
        model.load_state_dict(state)
    message = str(error.value)
    assert "Error(s) in loading state_dict for Net" in message
    assert 'Missing key(s) in state_dict: "head.weight"' in message
    assert 'Unexpected key(s) in state_dict: "bogus.weight"' in message
    assert "size mismatch for block.fc.bias" in message and "(7,)" in message and "(4,)" in message
    # strict=False reports missing/unexpected keys but still refuses a wrong shape
    with pytest.raises(RuntimeError, match="size mismatch"):
        model.load_state_dict(state, strict=False)
    state["block.fc.bias"] = tg.zeros(4)
    result = model.load_state_dict(state, strict=False)
    assert result.missing_keys == ["head.weight"] and result.unexpected_keys == ["bogus.weight"]


def test_train_eval_zero_grad_apply_and_to():
    model = Net()
    assert model.training and model.block.norm.training
    model.eval()
    assert not model.training and not model.block.norm.training
    model.train()
    assert model.block.fc.training
    model(tg.randn(5, 3)).sum().backward()
    assert model.block.fc.weight.grad is not None
    model.zero_grad(set_to_none=False)
    assert np.all(model.block.fc.weight.grad.data == 0)
    model.zero_grad()
    assert model.block.fc.weight.grad is None
    visited = []
    model.apply(lambda m: visited.append(type(m).__name__))
    assert visited == ["Linear", "BatchNorm1d", "Block", "Linear", "Net"]
    model.double()
    assert all(p.dtype == np.float64 for p in model.parameters())
    assert model.block.norm.running_var.dtype == np.float64
    assert model.block.norm.num_batches_tracked.dtype == np.int64
    assert model(tg.randn(5, 3, dtype=np.float64)).dtype == np.float64
    model.float()
    assert model.head.weight.dtype == np.float32


def test_forward_hooks_order_replacement_and_removal():
    calls = []
    model = nn.Sequential(nn.Linear(2, 2), nn.ReLU())
    layer = model[0]
    pre = layer.register_forward_pre_hook(lambda m, args: calls.append(("pre", m)) or None)
    post = layer.register_forward_hook(lambda m, args, out: calls.append(("post", len(args))) or None)
    outer = model.register_forward_hook(lambda m, args, out: calls.append(("outer", None)))
    model(tg.randn(3, 2))
    assert calls == [("pre", layer), ("post", 1), ("outer", None)]
    # a pre-hook may replace the input, a forward hook the output
    doubled = layer.register_forward_pre_hook(lambda m, args: (args[0] * 2,))
    replaced = layer.register_forward_hook(lambda m, args, out: out * 0 + 7)
    x = tg.randn(3, 2)
    assert np.all(layer(x).data == 7)
    replaced.remove()
    np.testing.assert_allclose(layer(x).data, (x.data * 2) @ layer.weight.data.T + layer.bias.data, rtol=1e-6)
    for handle in (pre, post, outer, doubled):
        handle.remove()
    handle_again = pre
    handle_again.remove()  # removing twice is harmless
    calls.clear()
    model(x)
    assert calls == []


def test_forward_hooks_called_in_torch_order(torch):
    def record(log, tag):
        def pre(m, args):
            log.append((tag, "pre", type(m).__name__))

        def post(m, args, out):
            log.append((tag, "post", type(m).__name__))

        return pre, post

    logs = {}
    for name, lib in (("ours", nn), ("torch", torch.nn)):
        model = lib.Sequential(lib.Linear(2, 3), lib.Tanh(), lib.Sequential(lib.Linear(3, 1)))
        log = logs[name] = []
        for index, module in enumerate(model.modules()):
            pre, post = record(log, index)
            module.register_forward_pre_hook(pre)
            module.register_forward_hook(post)
        x = np.zeros((4, 2), dtype=np.float32)
        model(tg.Tensor(x) if name == "ours" else torch.from_numpy(x))
    assert logs["ours"] == logs["torch"]


def test_repr_matches_torch(torch):
    def build(lib):
        return lib.Sequential(
            lib.Linear(2, 3),
            lib.ReLU(),
            lib.Sequential(lib.LayerNorm(3), lib.Dropout(0.1)),
            lib.ModuleList([lib.Linear(3, 3) for _ in range(3)] + [lib.GELU(approximate="tanh")]),
            lib.ModuleDict({"emb": lib.Embedding(10, 3), "bn": lib.BatchNorm1d(3, momentum=None)}),
            lib.Linear(3, 1, bias=False),
            lib.Flatten(),
            lib.Softmax(dim=-1),
            lib.Identity(),
            lib.Tanh(),
            lib.Sigmoid(),
            lib.LayerNorm((2, 3), elementwise_affine=False),
            lib.BatchNorm1d(4, affine=False, track_running_stats=False),
        )

    assert repr(build(nn)) == repr(build(torch.nn))
    assert repr(nn.Sequential()) == repr(torch.nn.Sequential())


def test_containers():
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU())
    model.append(nn.Linear(3, 1))
    assert len(model) == 3 and isinstance(model[-1], nn.Linear)
    assert [type(m).__name__ for m in model] == ["Linear", "ReLU", "Linear"]
    assert isinstance(model[:2], nn.Sequential) and len(model[:2]) == 2
    assert model(tg.randn(4, 2)).shape == (4, 1)
    with pytest.raises(IndexError, match="out of range"):
        model[3]
    named = nn.Sequential(OrderedDict([("fc", nn.Linear(2, 2)), ("act", nn.Tanh())]))
    assert [n for n, _ in named.named_parameters()] == ["fc.weight", "fc.bias"]

    layers = nn.ModuleList([nn.Linear(2, 2) for _ in range(2)])
    layers.append(nn.Linear(2, 2))
    layers.insert(0, nn.Tanh())
    assert len(layers) == 4 and isinstance(layers[0], nn.Tanh)
    assert [n for n, _ in layers.named_parameters()][:2] == ["1.weight", "1.bias"]
    del layers[0]
    assert [n for n, _ in layers.named_children()] == ["0", "1", "2"]

    heads = nn.ModuleDict({"a": nn.Linear(2, 2)})
    heads["b"] = nn.Linear(2, 3)
    assert list(heads) == ["a", "b"] and "b" in heads and len(heads) == 2
    assert [n for n, _ in heads.named_parameters()] == ["a.weight", "a.bias", "b.weight", "b.bias"]
    with pytest.raises(KeyError, match="'c'"):
        heads["c"]


def test_call_has_no_overhead_without_hooks():
    layer = nn.Identity()
    x = tg.zeros(1)
    assert layer(x) is x


# --------------------------------------------------------------------------------------------------
# layers against torch


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_matches_torch(torch, dtype, bias):
    ours = nn.Linear(5, 3, bias=bias, dtype=dtype)
    theirs = torch.nn.Linear(5, 3, bias=bias, dtype=torch_dtype(torch, dtype))
    copy_weights(ours, theirs, torch)
    x = np.random.default_rng(1).standard_normal((4, 2, 5)).astype(dtype)
    assert_same_forward_and_grads(ours, theirs, x, torch, dtype)
    assert ours.weight.dtype == dtype


def test_linear_default_init_bounds_and_generator():
    layer = nn.Linear(16, 200)
    bound = 1 / math.sqrt(16)
    assert np.abs(layer.weight.data).max() <= bound and np.abs(layer.bias.data).max() <= bound
    # U(-b, b) has std b / sqrt(3)
    assert abs(layer.weight.data.std() - bound / math.sqrt(3)) < 0.01
    a = nn.Linear(4, 4, generator=tg.Generator(7))
    b = nn.Linear(4, 4, generator=tg.Generator(7))
    np.testing.assert_array_equal(a.weight.data, b.weight.data)
    np.testing.assert_array_equal(a.bias.data, b.bias.data)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_embedding_matches_torch(torch, dtype):
    ours = nn.Embedding(7, 3, dtype=dtype)
    theirs = torch.nn.Embedding(7, 3, dtype=torch_dtype(torch, dtype))
    copy_weights(ours, theirs, torch)
    ids = np.array([[0, 6, 2], [2, 2, 5]], dtype=np.int64)  # repeated ids accumulate gradient
    assert_same_forward_and_grads(ours, theirs, ids, torch, dtype)
    assert abs(nn.Embedding(1000, 10).weight.data.std() - 1.0) < 0.05


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(6,), (3, 6)])
def test_layer_norm_matches_torch(torch, dtype, shape):
    ours = nn.LayerNorm(shape, dtype=dtype)
    theirs = torch.nn.LayerNorm(shape, dtype=torch_dtype(torch, dtype))
    rng = np.random.default_rng(2)
    with tg.no_grad():
        ours.weight.data[...] = rng.standard_normal(shape)
        ours.bias.data[...] = rng.standard_normal(shape)
    copy_weights(ours, theirs, torch)
    x = (rng.standard_normal((4, 3, 6)) * 3 + 1).astype(dtype)
    assert_same_forward_and_grads(ours, theirs, x, torch, dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("input_shape", [(8, 4), (5, 4, 3)])
@pytest.mark.parametrize("momentum", [0.1, None])
def test_batch_norm_running_stats_and_eval_match_torch(torch, dtype, input_shape, momentum):
    ours = nn.BatchNorm1d(4, momentum=momentum, dtype=dtype)
    theirs = torch.nn.BatchNorm1d(4, momentum=momentum, dtype=torch_dtype(torch, dtype))
    rng = np.random.default_rng(3)
    with tg.no_grad():
        ours.weight.data[...] = rng.standard_normal(4)
        ours.bias.data[...] = rng.standard_normal(4)
    copy_weights(ours, theirs, torch)
    tol = tolerances(dtype)
    for step in range(4):
        x = (rng.standard_normal(input_shape) * (step + 1) + step).astype(dtype)
        ours.zero_grad()
        theirs.zero_grad()
        assert_same_forward_and_grads(ours, theirs, x, torch, dtype)
        for name in ("running_mean", "running_var"):
            np.testing.assert_allclose(getattr(ours, name).data, getattr(theirs, name).numpy(), **tol)
        assert ours.running_mean.dtype == dtype
        assert int(ours.num_batches_tracked.item()) == int(theirs.num_batches_tracked) == step + 1
    ours.eval()
    theirs.eval()
    x = rng.standard_normal(input_shape).astype(dtype)
    ours.zero_grad()
    theirs.zero_grad()
    running_before = ours.running_mean.data.copy()
    assert_same_forward_and_grads(ours, theirs, x, torch, dtype)
    np.testing.assert_array_equal(ours.running_mean.data, running_before)  # eval leaves the stats alone


def test_batch_norm_without_running_stats_matches_torch(torch):
    ours = nn.BatchNorm1d(3, affine=False, track_running_stats=False, dtype=np.float64)
    theirs = torch.nn.BatchNorm1d(3, affine=False, track_running_stats=False, dtype=torch.float64)
    x = np.random.default_rng(4).standard_normal((6, 3))
    ours.eval()
    theirs.eval()
    assert_same_forward_and_grads(ours, theirs, x, torch, np.float64)
    assert ours.state_dict() == OrderedDict()


def test_batch_norm_rejects_wrong_inputs():
    norm = nn.BatchNorm1d(4)
    with pytest.raises(ValueError, match="channels"):
        norm(tg.randn(3, 5))
    with pytest.raises(ValueError, match=r"\(N, C\)"):
        norm(tg.randn(2, 4, 3, 3))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_activations_and_shape_layers_match_torch(torch, dtype):
    x = np.random.default_rng(5).standard_normal((3, 4, 2)).astype(dtype)
    pairs = [
        (nn.ReLU(), torch.nn.ReLU()),
        (nn.Tanh(), torch.nn.Tanh()),
        (nn.Sigmoid(), torch.nn.Sigmoid()),
        (nn.GELU(), torch.nn.GELU()),
        (nn.GELU("tanh"), torch.nn.GELU("tanh")),
        (nn.Softmax(dim=1), torch.nn.Softmax(dim=1)),
        (nn.Identity(), torch.nn.Identity()),
        (nn.Flatten(), torch.nn.Flatten()),
        (nn.Flatten(0, 1), torch.nn.Flatten(0, 1)),
        (nn.Dropout(0.3).eval(), torch.nn.Dropout(0.3).eval()),
    ]
    for ours, theirs in pairs:
        assert_same_forward_and_grads(ours, theirs, x, torch, dtype)


def test_dropout_training_zeroes_and_rescales_reproducibly():
    x = tg.ones(1000)
    first = nn.Dropout(0.25, generator=tg.Generator(3))(x)
    second = nn.Dropout(0.25, generator=tg.Generator(3))(x)
    np.testing.assert_array_equal(first.data, second.data)
    kept = first.data != 0
    np.testing.assert_allclose(first.data[kept], 1 / 0.75, rtol=1e-6)
    assert 0.65 < kept.mean() < 0.85
    with pytest.raises(ValueError, match="between 0 and 1"):
        nn.Dropout(1.5)


def test_sequential_mlp_matches_torch_float64(torch):
    ours = nn.Sequential(nn.Linear(4, 8, dtype=np.float64), nn.Tanh(), nn.Linear(8, 3, dtype=np.float64))
    theirs = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3)).double()
    copy_weights(ours, theirs, torch)
    x = np.random.default_rng(6).standard_normal((5, 4))
    assert_same_forward_and_grads(ours, theirs, x, torch, np.float64)


# --------------------------------------------------------------------------------------------------
# init


def test_calculate_gain_and_fans_match_torch(torch):
    for name, param in [
        ("linear", None),
        ("sigmoid", None),
        ("tanh", None),
        ("relu", None),
        ("leaky_relu", None),
        ("leaky_relu", 0.2),
        ("selu", None),
        ("conv2d", None),
    ]:
        assert init.calculate_gain(name, param) == pytest.approx(torch.nn.init.calculate_gain(name, param))
    for shape in [(3, 5), (4, 2, 3, 3)]:
        theirs = torch.nn.init._calculate_fan_in_and_fan_out(torch.zeros(shape))
        assert init._calculate_fan_in_and_fan_out(tg.zeros(*shape)) == theirs
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init._calculate_fan_in_and_fan_out(tg.zeros(3))
    with pytest.raises(ValueError, match="nonlinearity"):
        init.calculate_gain("swish")


@pytest.mark.parametrize(
    "fill, expected_std",
    [
        (lambda t, g: init.kaiming_normal_(t, generator=g), math.sqrt(2 / 200)),
        (
            lambda t, g: init.kaiming_normal_(t, mode="fan_out", nonlinearity="relu", generator=g),
            math.sqrt(2 / 300),
        ),
        (
            lambda t, g: init.kaiming_uniform_(t, a=math.sqrt(5), generator=g),
            1 / math.sqrt(200) / math.sqrt(3),
        ),
        (lambda t, g: init.xavier_uniform_(t, generator=g), math.sqrt(2 / 500)),
        (lambda t, g: init.xavier_normal_(t, gain=2.0, generator=g), 2 * math.sqrt(2 / 500)),
        (lambda t, g: init.normal_(t, 0.0, 0.02, generator=g), 0.02),
    ],
)
def test_init_statistics(fill, expected_std):
    weight = nn.Parameter(tg.zeros(300, 200))
    out = fill(weight, tg.Generator(0))
    assert out is weight and weight.requires_grad and weight.dtype == np.float32
    assert abs(weight.data.std() / expected_std - 1) < 0.03
    assert abs(weight.data.mean()) < 0.1 * expected_std


def test_init_fills_and_bounds():
    weight = nn.Parameter(tg.zeros(50, 40))
    init.uniform_(weight, -0.5, 0.25, generator=tg.Generator(1))
    assert weight.data.min() >= -0.5 and weight.data.max() <= 0.25
    init.kaiming_uniform_(weight, generator=tg.Generator(1))
    bound = math.sqrt(2.0) * math.sqrt(3 / 40)
    assert np.abs(weight.data).max() <= bound
    assert np.all(init.ones_(weight).data == 1)
    assert np.all(init.zeros_(weight).data == 0)
    assert np.all(init.constant_(weight, 0.5).data == 0.5)
    a = init.normal_(tg.zeros(5), generator=tg.Generator(9))
    b = init.normal_(tg.zeros(5), generator=tg.Generator(9))
    np.testing.assert_array_equal(a.data, b.data)


# --------------------------------------------------------------------------------------------------
# utils


@pytest.mark.parametrize("norm_type", [2.0, 1.0, float("inf")])
@pytest.mark.parametrize("max_norm", [0.5, 100.0])
def test_clip_grad_norm_matches_torch(torch, norm_type, max_norm):
    rng = np.random.default_rng(7)
    grads = [rng.standard_normal(s) for s in [(3, 4), (4,), (2, 2, 2)]]
    ours = [tg.zeros(*g.shape, dtype=np.float64, requires_grad=True) for g in grads]
    theirs = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in grads]
    for p, q, g in zip(ours, theirs, grads):
        # a read-only gradient array: clipping must not write into it
        frozen = g.copy()
        frozen.flags.writeable = False
        p.grad = tg.Tensor._wrap(frozen)
        q.grad = torch.from_numpy(g.copy())
    total_ours = nn.utils.clip_grad_norm_(
        iter(ours), max_norm, norm_type
    )  # a generator, as model.parameters()
    total_theirs = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type)
    assert isinstance(total_ours, tg.Tensor)
    np.testing.assert_allclose(total_ours.item(), total_theirs.item(), rtol=1e-12)
    for p, q in zip(ours, theirs):
        np.testing.assert_allclose(p.grad.data, q.grad.numpy(), rtol=1e-12)


def test_parameters_to_vector_round_trip():
    model = nn.Linear(3, 2)
    vector = nn.utils.parameters_to_vector(model.parameters())
    assert vector.shape == (8,)
    nn.utils.vector_to_parameters(vector * 0 + 1, model.parameters())
    assert np.all(model.weight.data == 1) and np.all(model.bias.data == 1)


def test_get_parameter_by_dotted_name():
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    assert model.get_parameter("2.bias") is model[2].bias
    with pytest.raises(AttributeError, match="no parameter 'nope'"):
        model.get_parameter("0.nope")
