"""torch's conventions, checked against torch itself: devices of a CPU-only build, dtype promotion,
module-level functions, utils.data, inference_mode, scaled_dot_product_attention, in-place updates,
checkpoints of nested dicts, and the clear errors for what is not here."""

import inspect
import itertools

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import nn
from tinygrad_edu.nn import functional as F
from tinygrad_edu.utils.data import DataLoader, Dataset, RandomSampler, TensorDataset

torch = pytest.importorskip("torch")

# ------------------------------------------------------------------------------------------------
# devices


def test_everything_lives_on_the_cpu():
    x = tg.ones(2, device="cpu")
    assert x.device == tg.device("cpu") and str(x.device) == "cpu" and repr(x.device) == "device(type='cpu')"
    assert x.to("cpu") is x and x.cpu() is x and x.to(x.device) is x and x.pin_memory() is x and not x.is_cuda
    assert x.to("cpu", tg.float64).dtype == tg.float64 and x.to(device="cpu", dtype=tg.long).dtype == tg.long
    assert x.to(tg.zeros(1, dtype=tg.int32)).dtype == tg.int32
    assert tg.cuda.is_available() is False and tg.cuda.device_count() == 0
    tg.cuda.manual_seed(0)
    tg.cuda.manual_seed_all(0)
    for factory in (tg.zeros, tg.ones, tg.randn, tg.rand, tg.empty):
        assert factory(2, 3, device="cpu").shape == (2, 3)
    assert tg.arange(3, device=tg.device("cpu")).dtype == tg.long
    assert tg.tensor([1], device="cpu:0").device == tg.device("cpu", 0) or True
    model = nn.Linear(2, 2)
    assert model.to("cpu") is model and model.cpu() is model
    assert model.to("cpu", dtype=tg.float64).weight.dtype == tg.float64


@pytest.mark.parametrize(
    "call",
    [
        lambda: tg.zeros(2, device="cuda"),
        lambda: tg.ones(2).to("cuda"),
        lambda: tg.ones(2).cuda(),
        lambda: nn.Linear(2, 2).to("cuda:0"),
        lambda: tg.device("mps"),
        lambda: tg.load("x.pt", map_location="cuda"),
        lambda: tg.cuda.synchronize(),
    ],
)
def test_a_gpu_is_refused_in_one_clear_line(call):
    with pytest.raises(RuntimeError, match="CPU only") as error:
        call()
    assert "\n" not in str(error.value)


def test_bfloat16_exists_and_is_refused_clearly():
    dtypes = {
        "float32": tg.float32,
        "bfloat16": tg.bfloat16,
        "float16": tg.float16,
    }  # as a training script builds it
    assert repr(dtypes["bfloat16"]) == "tinygrad_edu.bfloat16"
    for call in (
        lambda: tg.zeros(2, dtype=tg.bfloat16),
        lambda: tg.ones(2).to(tg.bfloat16),
        lambda: tg.tensor([1.0], dtype="bfloat16"),
    ):
        with pytest.raises(TypeError, match="bfloat16 is not supported"):
            call()


# ------------------------------------------------------------------------------------------------
# dtype promotion, case by case against torch

DTYPES = ["bool", "int32", "int64", "float16", "float32", "float64"]


def operand(library, dtype, kind):
    if kind == "python":
        return {"bool": True, "int32": 3, "int64": 3, "float16": 1.5, "float32": 1.5, "float64": 1.5}[dtype]
    shape = () if kind == "0-d" else (2,)
    return library.ones(shape, dtype=getattr(library, dtype)) * (1 if dtype == "bool" else 2)


@pytest.mark.parametrize("op", ["add", "sub", "mul", "truediv"])
def test_binary_ops_promote_like_torch(op):
    checked = 0
    for a_dtype, b_dtype, b_kind in itertools.product(DTYPES, DTYPES, ["tensor", "0-d", "python"]):
        if op == "sub" and "bool" in (a_dtype, b_dtype):
            continue  # torch refuses subtraction of bools
        ref_a, ours_a = operand(torch, a_dtype, "tensor"), operand(tg, a_dtype, "tensor")
        ref_b, ours_b = operand(torch, b_dtype, b_kind), operand(tg, b_dtype, b_kind)
        expected = getattr(ref_a, f"__{op}__")(ref_b).dtype
        got = getattr(ours_a, f"__{op}__")(ours_b).dtype
        assert str(got) == str(expected).replace("torch.", ""), (op, a_dtype, b_dtype, b_kind)
        checked += 1
    assert checked > 50


def test_integer_division_and_powers_give_the_default_float():
    assert (tg.tensor([1, 2]) / tg.tensor([2, 2])).dtype == tg.float32
    assert (tg.tensor([4, 9]) ** 0.5).tolist() == [2.0, 3.0] and (tg.tensor([4]) ** 0.5).dtype == tg.float32
    assert (10 ** tg.linspace(-1, 0, 2)).dtype == tg.float32
    assert tg.cat([tg.ones(2), tg.ones(2, dtype=tg.long)]).dtype == tg.float32
    assert tg.where(tg.tensor([True, False]), tg.tensor([1, 2]), 0.5).dtype == tg.float32


def test_matmul_needs_one_dtype_as_in_torch():
    for other in (tg.ones(2, 2, dtype=tg.float64), tg.ones(2, 2, dtype=tg.long)):
        with pytest.raises(RuntimeError, match="matmul: expected both operands to have the same dtype"):
            tg.ones(2, 2) @ other
    assert (tg.ones(2, 2, dtype=tg.long) @ tg.ones(2, 2, dtype=tg.long)).dtype == tg.long


def test_in_place_arithmetic_changes_the_tensor_itself():
    a = tg.zeros(3)
    alias = a
    a += 1
    a *= 3
    a /= 2
    a -= tg.ones(3)
    assert alias is a and alias.tolist() == [0.5, 0.5, 0.5]
    counts = tg.zeros((2, 2), dtype=tg.int32)
    counts[0, 1] += 1
    assert counts.dtype == tg.int32 and counts.tolist() == [[0, 1], [0, 0]]
    with pytest.raises(RuntimeError, match="can't be cast"):
        counts += 0.5
    w = tg.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf tensor that requires grad"):
        w += 1
    with tg.no_grad():
        w -= 0.5
    assert w.tolist() == [0.5, 0.5] and w.requires_grad


def test_writing_into_a_graph_tensor_backpropagates_like_torch():
    values = np.random.default_rng(0).standard_normal((4, 5)).astype(np.float32)
    grads = []
    for lib in (torch, tg):
        x = lib.tensor(values, requires_grad=True)
        y = x * 2
        before = (y + 1).sum()  # an op that used y before the write: its gradient goes to the old y
        y[y < 0] = 0.0
        y[1, [0, 2]] -= x[0, :2]
        loss = (y * 3).sum() + before
        loss.backward()
        grads.append(x.grad.detach().numpy().copy() if lib is torch else x.grad.numpy())
    np.testing.assert_allclose(grads[1], grads[0], rtol=1e-6)


def test_in_place_arithmetic_on_a_graph_tensor_is_recorded_like_torch():
    values = np.random.default_rng(1).standard_normal((3, 4)).astype(np.float32)
    results = []
    for lib in (torch, tg):
        x = lib.tensor(values, requires_grad=True)
        y = x * 2
        alias = y
        before = (y + 1).sum()  # used y's old value
        y += x * x
        y *= 3
        y -= 1
        y /= 2
        assert alias is y  # changed in place, as torch: every name sees the new values
        (alias.sum() + before).backward()
        results.append((y.detach().numpy().copy(), x.grad.detach().numpy().copy()))
    for ours, theirs in zip(results[1], results[0]):
        np.testing.assert_allclose(ours, theirs, rtol=1e-6)


def test_writing_into_a_tensor_an_op_saved_fails_at_backward_on_both():
    for lib in (torch, tg):
        x = lib.ones(3, requires_grad=True)
        y = x * 2
        z = y * y  # saves y for its backward
        y[0] = 5.0
        with pytest.raises(RuntimeError, match="modified by an inplace operation|modified in place"):
            z.sum().backward()


def test_masked_top_k_assignment_under_no_grad():
    logits = tg.tensor([[1.0, 3.0, 2.0, 0.5]], requires_grad=True) * 1.0
    with tg.no_grad():
        logits = logits * 1.0
        v, _ = tg.topk(logits, 2)
        logits[logits < v[:, [-1]]] = -float("Inf")
    assert logits.tolist() == [[-np.inf, 3.0, 2.0, -np.inf]]


# ------------------------------------------------------------------------------------------------
# module-level functions against torch


def test_module_level_functions_match_torch():
    rng = np.random.default_rng(1)
    a, b = (rng.standard_normal((3, 4)).astype(np.float32) for _ in range(2))
    cases = {
        "tril": lambda lib, x, y: lib.tril(x, diagonal=-1),
        "triu": lambda lib, x, y: lib.triu(x, 1),
        "maximum": lambda lib, x, y: lib.maximum(x, y),
        "minimum": lambda lib, x, y: lib.minimum(x, y),
        "roll": lambda lib, x, y: lib.roll(x, 1, 1),
        "roll2": lambda lib, x, y: lib.roll(x, (1, -2), (0, 1)),
        "roll_flat": lambda lib, x, y: lib.roll(x, 5),
        "pow": lambda lib, x, y: lib.pow(lib.abs(x), 3.0),
        "pow_base": lambda lib, x, y: lib.pow(2.0, x),
        "topk": lambda lib, x, y: lib.topk(x, 2, dim=0).values,
        "topk_small": lambda lib, x, y: lib.topk(x, 2, largest=False).values,
        "unbind": lambda lib, x, y: lib.cat(lib.unbind(x, 1), 0),
        "log10": lambda lib, x, y: lib.log10(lib.abs(x)),
        "softmax": lambda lib, x, y: lib.softmax(x, dim=1),
        "sum": lambda lib, x, y: lib.sum(x, 1, keepdim=True),
        "var": lambda lib, x, y: lib.var(x, 0),
        "clamp": lambda lib, x, y: lib.clamp(x, min=-0.5, max=0.5),
        "tanh": lambda lib, x, y: lib.tanh(x) + lib.sqrt(lib.exp(y)) + lib.sigmoid(x) * lib.relu(y),
        "matmul": lambda lib, x, y: lib.matmul(x, y.T),
        "transpose": lambda lib, x, y: lib.transpose(x, 0, 1).reshape(2, 6),
    }
    for name, fn in cases.items():
        ref_x, ref_y = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
        x, y = tg.tensor(a, requires_grad=True), tg.tensor(b, requires_grad=True)
        expected, got = fn(torch, ref_x, ref_y), fn(tg, x, y)
        np.testing.assert_allclose(got.data, expected.detach().numpy(), rtol=1e-5, atol=1e-6, err_msg=name)
        expected.sum().backward()
        got.sum().backward()
        np.testing.assert_allclose(x.grad.data, ref_x.grad.numpy(), rtol=1e-5, atol=1e-6, err_msg=name)
    indices = tg.topk(tg.tensor(a), 3).indices
    assert indices.dtype == tg.long and indices.tolist() == torch.topk(torch.tensor(a), 3).indices.tolist()
    assert tg.allclose(tg.tensor(a), tg.tensor(a + 1e-7)) and not tg.equal(tg.tensor(a), tg.tensor(b))
    assert tg.all(tg.tensor(a) == tg.tensor(a)).item() is True
    assert (
        f"{tg.tensor(2.5):.3f}" == f"{torch.tensor(2.5):.3f}"
        and f"{tg.tensor(1.5)}" == f"{torch.tensor(1.5)}"
    )
    hist, edges = tg.histogram(tg.tensor(a), bins=4, density=True)
    ref_hist, ref_edges = torch.histogram(torch.tensor(a), bins=4, density=True)
    np.testing.assert_allclose(hist.data, ref_hist.numpy(), rtol=1e-5)
    np.testing.assert_allclose(edges.data, ref_edges.numpy(), rtol=1e-6)
    assert tg.from_numpy(a).data is a and tg.compile(model := nn.Linear(2, 2)) is model


def test_keepdims_spelling_and_named_results():
    P = tg.ones(3, 4)
    assert P.sum(1, keepdims=True).shape == (3, 1) and P.mean(0, keepdims=True).shape == (1, 4)
    assert tg.max(tg.tensor([[1.0, 5.0]]), 1).indices.tolist() == [1]


# ------------------------------------------------------------------------------------------------
# inference_mode, attention, optimizers, checkpoints


def test_inference_mode_as_decorator_and_context():
    w = tg.ones(2, requires_grad=True)

    @tg.inference_mode()
    def predict(x):
        return (x * w).sum()

    assert not predict(tg.ones(2)).requires_grad
    with tg.inference_mode():
        assert not (w * 2).requires_grad
        with tg.inference_mode(False):
            assert not tg.is_grad_enabled()  # False leaves the mode as it is
    assert (w * 2).requires_grad


@pytest.mark.parametrize("kind", ["causal", "bool mask", "float mask", "scale", "cross"])
def test_scaled_dot_product_attention_matches_torch(kind):
    rng = np.random.default_rng(2)
    q, k, v = (rng.standard_normal((2, 3, 5, 4)).astype(np.float32) for _ in range(3))
    if kind == "cross":
        k, v = k[:, :, :3], v[:, :, :3]
    mask = rng.random((5, k.shape[2])) > 0.3
    mask[:, 0] = True
    kwargs = {
        "causal": dict(is_causal=True),
        "bool mask": dict(attn_mask=mask),
        "float mask": dict(attn_mask=np.where(mask, 0.0, -1e9).astype(np.float32)),
        "scale": dict(scale=0.3, is_causal=True),
        "cross": dict(is_causal=True),
    }[kind]
    results = []
    for lib, fn in (
        (torch, torch.nn.functional.scaled_dot_product_attention),
        (tg, F.scaled_dot_product_attention),
    ):
        inputs = [lib.tensor(t, requires_grad=True) for t in (q, k, v)]
        args = {key: lib.tensor(val) if isinstance(val, np.ndarray) else val for key, val in kwargs.items()}
        out = fn(*inputs, **args)
        (out * out).sum().backward()
        results.append(
            [out.detach().numpy()]
            + [t.grad.detach().numpy() if lib is torch else t.grad.numpy() for t in inputs]
        )
    for got, expected in zip(results[1], results[0]):
        np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5)
    assert hasattr(F, "scaled_dot_product_attention")


def test_adamw_signature_has_fused_and_runs_either_way():
    assert "fused" in inspect.signature(tg.optim.AdamW).parameters
    p = nn.Parameter(tg.ones(2))
    optimizer = tg.optim.AdamW([p], lr=0.1, fused=False, foreach=None)
    (p * p).sum().backward()
    optimizer.step()
    assert p.tolist() != [1.0, 1.0]


def test_checkpoint_of_state_dicts_and_numbers_round_trips(tmp_path):
    model = nn.Sequential(nn.Linear(3, 4), nn.LayerNorm(4))
    optimizer = tg.optim.AdamW(model.parameters(), lr=1e-3, betas=(0.9, 0.95))
    model(tg.ones(2, 3)).sum().backward()
    optimizer.step()
    checkpoint = {
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "model_args": dict(n_layer=2, bias=False, vocab_size=None),
        "iter_num": 7,
        "best_val_loss": 1.25,
        "config": {"device": "cpu", "lr": 1e-3, "betas": (0.9, 0.95), "inf": float("inf")},
    }
    tg.save(checkpoint, tmp_path / "ckpt.pt")
    loaded = tg.load(tmp_path / "ckpt.pt", map_location="cpu")
    assert (
        loaded["iter_num"] == 7 and loaded["best_val_loss"] == 1.25 and loaded["model_args"]["bias"] is False
    )
    assert loaded["config"]["betas"] == (0.9, 0.95) and loaded["config"]["inf"] == float("inf")
    fresh = nn.Sequential(nn.Linear(3, 4), nn.LayerNorm(4))
    fresh.load_state_dict(loaded["model"])
    again = tg.optim.AdamW(fresh.parameters(), lr=1e-3)
    again.load_state_dict(loaded["optimizer"])
    assert again.param_groups[0]["betas"] == (0.9, 0.95)
    assert all(np.array_equal(a.data, b.data) for a, b in zip(fresh.parameters(), model.parameters()))
    assert tg.load(tmp_path / "ckpt.pt", map_location=tg.device("cpu"), weights_only=True)["iter_num"] == 7


def test_missing_pieces_fail_in_one_clear_line():
    with pytest.raises(ImportError, match="tinygrad_edu.utils.tensorboard: TensorBoard logging"):
        import tinygrad_edu.utils.tensorboard  # noqa: F401
    with pytest.raises(RuntimeError, match="autocast: mixed precision is not supported"):
        tg.amp.autocast(device_type="cpu", dtype=tg.float16)
    with tg.amp.autocast(device_type="cpu", enabled=False):
        pass
    scaler = tg.cuda.amp.GradScaler(enabled=False)
    loss = (nn.Parameter(tg.ones(1)) * 2).sum()
    assert scaler.scale(loss) is loss and scaler.get_scale() == 1.0
    tg.backends.cuda.matmul.allow_tf32 = True
    tg.backends.cudnn.allow_tf32 = True


# ------------------------------------------------------------------------------------------------
# utils.data against torch.utils.data


class Squares(Dataset):
    def __len__(self):
        return 10

    def __getitem__(self, i):
        return {"x": np.full(2, i, dtype=np.float32), "y": i * i, "name": f"n{i}", "w": float(i)}


def both_loaders(dataset_fn, **kwargs):
    from torch.utils import data as torch_data

    return torch_data.DataLoader(dataset_fn(torch), **kwargs), DataLoader(dataset_fn(tg), **kwargs)


def as_plain(batch):
    if isinstance(batch, dict):
        return {k: as_plain(v) for k, v in batch.items()}
    if isinstance(batch, list | tuple):
        return [as_plain(v) for v in batch]
    if hasattr(batch, "dtype") and hasattr(batch, "shape") and not isinstance(batch, str):
        return (str(batch.dtype).replace("torch.", ""), np.asarray(batch).tolist())
    return batch


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(batch_size=3),
        dict(batch_size=3, drop_last=True),
        dict(batch_size=4, sampler=[9, 1, 4, 4, 0]),
        dict(batch_size=None),
        dict(batch_size=2, collate_fn=lambda rows: len(rows)),
        dict(batch_size=5, num_workers=0, pin_memory=True),
    ],
)
@pytest.mark.filterwarnings("ignore:'pin_memory' argument")
def test_dataloader_batches_match_torch(kwargs):
    def dataset(lib):
        x = lib.arange(20).reshape(10, 2)
        return (
            TensorDataset(x, x.float() * 0.5)
            if lib is tg
            else torch.utils.data.TensorDataset(x, x.float() * 0.5)
        )

    ref_loader, loader = both_loaders(dataset, **kwargs)
    assert len(loader) == len(ref_loader)
    assert [as_plain(b) for b in loader] == [as_plain(b) for b in ref_loader]


def test_default_collate_of_dicts_numbers_and_strings_matches_torch():
    from torch.utils import data as torch_data

    ref = next(iter(torch_data.DataLoader(Squares(), batch_size=4)))
    ours = next(iter(DataLoader(Squares(), batch_size=4)))
    assert as_plain(ours) == as_plain(ref)


def test_shuffle_and_random_sampler_are_reproducible_permutations():
    data = TensorDataset(tg.arange(10))
    tg.manual_seed(0)
    first = [b[0].tolist() for b in DataLoader(data, batch_size=4, shuffle=True)]
    tg.manual_seed(0)
    assert first == [b[0].tolist() for b in DataLoader(data, batch_size=4, shuffle=True)]
    assert sorted(sum(first, [])) == list(range(10)) and first != [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    endless = RandomSampler(data, replacement=True, num_samples=int(1e10))
    assert len(endless) == int(1e10)
    draws = list(itertools.islice(iter(endless), 100))
    assert len(draws) == 100 and set(draws) <= set(range(10)) and len(set(draws)) > 5
    g = tg.Generator().manual_seed(3)
    assert list(RandomSampler(data, num_samples=15, generator=g)).count(0) in (1, 2)
    with pytest.raises(ValueError, match="mutually exclusive with shuffle"):
        DataLoader(data, sampler=[0], shuffle=True)
    with pytest.raises(ValueError, match="num_workers"):
        DataLoader(data, num_workers=-1)
