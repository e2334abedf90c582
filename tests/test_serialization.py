"""Tests for tg.save / tg.load: round trips, no pickled code, atomic writes, clear errors."""

import os
import zipfile
from collections import OrderedDict

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import nn


def test_round_trip_of_a_nested_checkpoint(tmp_path):
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2, dtype=np.float64))
    checkpoint = {
        "model": model.state_dict(),
        "step": 12,
        "loss": 0.25,
        "best": float("inf"),
        "name": "mlp",
        "flags": [True, None, 3],
        "betas": (0.9, 0.999),
        "by_index": {0: {"step": 3, "exp_avg": tg.ones(2)}, 1: {}},
        "array": np.arange(6, dtype=np.int32).reshape(2, 3),
        "scalar": np.float32(1.5),
        "mask": tg.tensor([True, False]),
        "grad": tg.zeros(2, requires_grad=True),
    }
    path = tmp_path / "ck.npz"
    tg.save(checkpoint, path)
    loaded = tg.load(path)
    assert isinstance(loaded["model"], OrderedDict) and list(loaded["model"]) == list(model.state_dict())
    for key, value in model.state_dict().items():
        assert isinstance(loaded["model"][key], tg.Tensor)
        assert loaded["model"][key].dtype == value.dtype
        np.testing.assert_array_equal(loaded["model"][key].data, value.data)
    assert loaded["step"] == 12 and loaded["loss"] == 0.25 and loaded["best"] == float("inf")
    assert loaded["name"] == "mlp" and loaded["flags"] == [True, None, 3]
    assert loaded["betas"] == (0.9, 0.999)
    assert set(loaded["by_index"]) == {0, 1} and loaded["by_index"][0]["step"] == 3
    np.testing.assert_array_equal(loaded["by_index"][0]["exp_avg"].data, [1.0, 1.0])
    assert isinstance(loaded["array"], np.ndarray) and loaded["array"].dtype == np.int32
    assert loaded["scalar"] == np.float32(1.5) and isinstance(loaded["scalar"], np.float32)
    assert loaded["mask"].dtype == np.bool_
    assert loaded["grad"].requires_grad
    # and a model loads it back
    fresh = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2, dtype=np.float64))
    fresh.load_state_dict(loaded["model"])
    x = tg.randn(5, 3)
    np.testing.assert_array_equal(fresh.eval()(x).data, model.eval()(x).data)


def test_file_is_plain_npz_without_pickles(tmp_path):
    path = tmp_path / "weights.bin"  # any name: no ".npz" is appended
    tg.save({"w": tg.ones(2, 2)}, path)
    assert os.listdir(tmp_path) == ["weights.bin"]
    with np.load(path, allow_pickle=False) as archive:
        assert "__structure__" in archive.files
        arrays = [archive[name] for name in archive.files]
    assert all(array.dtype != object for array in arrays)


def test_save_overwrites_atomically_and_leaves_no_temporary_file(tmp_path):
    path = tmp_path / "ck.npz"
    tg.save({"version": 1}, path)
    tg.save({"version": 2}, path)
    assert tg.load(path) == {"version": 2}
    assert os.listdir(tmp_path) == ["ck.npz"]


def test_failed_save_keeps_the_old_file_and_no_temporary(tmp_path):
    path = tmp_path / "ck.npz"
    tg.save({"version": 1}, path)
    with pytest.raises(TypeError, match="state_dict"):
        tg.save({"model": nn.Linear(2, 2)}, path)  # a module, not its state dict
    with pytest.raises(TypeError, match="object"):
        tg.save({"bad": object()}, path)

    original = np.savez

    def failing_savez(file, **arrays):
        file.write(b"partial")
        raise OSError("disk full")

    np.savez = failing_savez
    try:
        with pytest.raises(OSError, match="disk full"):
            tg.save({"version": 2}, path)
    finally:
        np.savez = original
    assert tg.load(path) == {"version": 1}
    assert os.listdir(tmp_path) == ["ck.npz"]


def test_missing_file_error(tmp_path):
    missing = tmp_path / "nope.npz"
    with pytest.raises(FileNotFoundError, match="nope.npz"):
        tg.load(missing)


def test_truncated_file_error(tmp_path):
    path = tmp_path / "ck.npz"
    tg.save({"w": tg.randn(100, 100)}, path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="ck.npz"):
        tg.load(path)


@pytest.mark.parametrize("kind", ["text", "foreign_npz", "zip_without_arrays", "bad_json", "pickled", "npy"])
def test_foreign_files_give_one_clear_error(tmp_path, kind):
    path = tmp_path / "other.npz"
    if kind == "text":
        path.write_text("not a checkpoint at all")
    elif kind == "foreign_npz":
        np.savez(path, weights=np.ones(3))
    elif kind == "zip_without_arrays":
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("readme.txt", "hello")
    elif kind == "bad_json":
        np.savez(path, __structure__=np.frombuffer(b"{not json", dtype=np.uint8))
    elif kind == "pickled":
        with open(path, "wb") as file:
            np.save(file, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    else:
        with open(path, "wb") as file:
            np.save(file, np.ones(3))
    with pytest.raises(ValueError, match="other.npz") as error:
        tg.load(path)
    assert "not a readable tinygrad_edu checkpoint" in str(error.value)


def test_optimizer_and_scheduler_state_survive_a_checkpoint(tmp_path):
    model = nn.Linear(3, 1)
    opt = tg.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    model(tg.randn(4, 3)).sum().backward()
    opt.step()
    path = tmp_path / "train.npz"
    tg.save({"model": model.state_dict(), "optimizer": opt.state_dict()}, path)
    loaded = tg.load(path)
    other = tg.optim.SGD(nn.Linear(3, 1).parameters(), lr=0.5, momentum=0.9)
    other.load_state_dict(loaded["optimizer"])
    assert other.param_groups[0]["lr"] == 0.1
    buffers = [other.state[p]["momentum_buffer"].data for p in other.param_groups[0]["params"]]
    expected = [opt.state[p]["momentum_buffer"].data for p in opt.param_groups[0]["params"]]
    for a, b in zip(buffers, expected):
        np.testing.assert_array_equal(a, b)
