"""A resumed run continues exactly (interrupted + resumed == uninterrupted, bit for bit), and a process
killed mid-save leaves nothing that survives the next save: the stale temporary files of our own
naming are removed, and the checkpoint is the old one or the new one, never half of one."""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu.files import atomic_write, remove_stale_temporaries

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
sys.path.insert(0, str(EXAMPLES))

import training_common  # noqa: E402


def run(script: str, *args) -> dict:
    module = importlib.import_module(script.removesuffix(".py"))
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(io.StringIO()):
        module.main([str(a) for a in args])
    return json.loads(stdout.getvalue().strip().splitlines()[-1])


@pytest.fixture(scope="module")
def names(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("names") / "names.txt"
    path.write_text("\n".join((ROOT / "data" / "names.txt").read_text().split()[:600]) + "\n")
    return path


@pytest.mark.parametrize(
    "script, flags",
    [
        ("train_mlp.py", ["--n-hidden", "16", "--lr-decay-step", "20"]),
        ("train_mlp_bn.py", ["--n-hidden", "16", "--n-layers", "2", "--lr-decay-step", "20"]),
        ("train_bigram.py", []),
        ("train_bigram.py", ["--batch-size", "16", "--lr", "5"]),
        (
            "train_gpt.py",
            ["--n-layer", "1", "--n-head", "2", "--n-embd", "8", "--batch-size", "8", "--samples", "2"],
        ),
    ],
    ids=["mlp", "mlp_bn", "bigram-full-batch", "bigram-minibatch", "gpt"],
)
def test_interrupted_and_resumed_equals_uninterrupted(names, tmp_path, script, flags):
    common = ["--data", names, "--steps", 30, "--eval-interval", 10, "--no-progress", *flags]
    whole = run(script, *common, "--out", tmp_path / "whole")
    stopped = run(script, *common, "--out", tmp_path / "parts", "--stop-after", 13)
    assert stopped["step"] == 13
    free = ["--samples", "2"] if script == "train_gpt.py" else []  # not part of the run's record
    resumed = run(script, "--out", tmp_path / "parts", "--resume", "--no-progress", *free)
    for key in ("train_loss", "val_loss", "samples"):
        assert resumed[key] == whole[key], key
    one, two = tg.load(tmp_path / "whole" / "model.npz"), tg.load(tmp_path / "parts" / "model.npz")
    for key, value in one["state_dict"].items():
        assert np.array_equal(value.numpy(), two["state_dict"][key].numpy()), key
    assert one["extra"]["resume"]["curve"] == two["extra"]["resume"]["curve"]


def test_a_stale_temporary_is_removed_by_the_next_write(tmp_path):
    target = tmp_path / "model.npz"
    stale = [tmp_path / ".model.npz.a1b2c3d4.tmp", tmp_path / ".model.npz.zz_9y8x7.tmp"]
    for path in stale:
        path.write_bytes(b"half a checkpoint")
    unrelated = [tmp_path / ".other.npz.a1b2c3d4.tmp", tmp_path / "model.npz.tmp", tmp_path / "notes.tmp"]
    for path in unrelated:
        path.write_bytes(b"not ours to delete")
    tg.save({"w": np.ones(3)}, target)
    assert not any(path.exists() for path in stale)
    assert all(path.exists() for path in unrelated)
    assert remove_stale_temporaries(target) == []


def test_a_bert_folder_save_cleans_what_a_killed_save_left(tmp_path):
    from models.bert import BertConfig, BertForMaskedLM
    from tinygrad_edu.data import WordPieceTokenizer

    tokenizer = WordPieceTokenizer.train(["to be or not to be", "that is the question"], vocab_size=60)
    config = BertConfig(
        vocab_size=tokenizer.vocab_size, hidden_size=8, num_hidden_layers=1, num_attention_heads=2,
        intermediate_size=16, max_position_embeddings=16,
    )  # fmt: skip
    model = BertForMaskedLM(config)
    tmp_path.mkdir(exist_ok=True)
    for name in ("model.safetensors", "config.json", "vocab.txt"):
        (tmp_path / f".{name}.k1ll3d_9.tmp").write_bytes(b"partial")
    model.save_pretrained(tmp_path, tokenizer=tokenizer)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.json", "model.safetensors", "vocab.txt"]


KILLED_WRITER = """
import sys, numpy as np, tinygrad_edu as tg
big = {"w": np.random.default_rng(0).standard_normal((1500, 1500)).astype(np.float32)}
print("ready", flush=True)
while True:
    tg.save(big, sys.argv[1])
"""


def test_kill_9_during_saves_leaves_a_loadable_file_and_the_next_save_cleans_up(tmp_path):
    target = tmp_path / "model.npz"
    tg.save({"w": np.zeros(2)}, target)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    for attempt in range(4):
        process = subprocess.Popen(
            [sys.executable, "-c", KILLED_WRITER, str(target)], stdout=subprocess.PIPE, env=env, cwd=ROOT
        )
        assert process.stdout.readline().strip() == b"ready"
        time.sleep(0.05 + 0.07 * attempt)  # somewhere inside a save
        process.send_signal(signal.SIGKILL)
        process.wait()
        process.stdout.close()
        assert set(tg.load(target)) == {"w"}  # the old file or the new one, whole
        tg.save({"w": np.ones(2)}, target)  # the next save (as --resume's first checkpoint does)
        assert list(tmp_path.glob(".*.tmp")) == []


BERT_TINY = [
    "--preset", "tiny", "--vocab-size", "300", "--hidden-size", "16", "--num-heads", "2", "--num-layers", "1",
    "--intermediate-size", "32", "--seq-len", "16", "--max-position-embeddings", "16", "--batch-size", "8",
    "--eval-rows", "16", "--no-progress", "--steps", "6", "--eval-interval", "2",
]  # fmt: skip


def test_a_bert_run_killed_between_its_two_writes_resumes_from_its_training_state(tmp_path):
    from safetensors.numpy import load_file, save_file

    corpus = tmp_path / "corpus.txt"
    corpus.write_text("\n".join((ROOT / "data" / "shakespeare.txt").read_text().splitlines()[:150]) + "\n")

    def train(out, *extra):
        result = subprocess.run(
            [sys.executable, str(EXAMPLES / "train_bert.py"), *BERT_TINY, "--data", str(corpus), "--out", str(out),
             *extra],
            cwd=ROOT, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr[-2000:]

    train(tmp_path / "whole")
    train(tmp_path / "parts", "--stop-after", "4")
    # as if killed after model.safetensors was written for a later step but before training_state.npz:
    weights = tmp_path / "parts" / "model.safetensors"
    save_file({k: v * 1.5 for k, v in load_file(str(weights)).items()}, str(weights))
    (tmp_path / "parts" / ".training_state.npz.k1ll3d_0.tmp").write_bytes(b"partial")
    train(tmp_path / "parts", "--resume")
    one, two = (load_file(str(tmp_path / run / "model.safetensors")) for run in ("whole", "parts"))
    assert all(np.array_equal(one[key], two[key]) for key in one)
    assert list((tmp_path / "parts").glob(".*.tmp")) == []


def test_an_atomic_write_that_fails_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "vocab.txt"
    target.write_text("old\n")
    with pytest.raises(RuntimeError), atomic_write(target, "w") as file:
        file.write("new, half")
        raise RuntimeError("disk full")
    assert target.read_text() == "old\n" and list(tmp_path.glob(".*")) == []


def test_shared_loader_recognises_a_bert_folder(tmp_path):
    (tmp_path / "config.json").write_text("{}")
    with pytest.raises(FileNotFoundError, match="Mini-BERT folder without model.safetensors, vocab.txt"):
        training_common.load_checkpoint(tmp_path)


def test_one_loader_knows_every_model_bert_included(tmp_path):
    shipped = Path(__file__).resolve().parents[1] / "checkpoints" / "mini-bert"
    model, tokenizer, checkpoint = training_common.load_model(shipped)
    assert type(model).__name__ == "BertForMaskedLM" and not model.training
    assert checkpoint["model_type"] == "bert" and tokenizer.vocab_size == model.config.vocab_size
    # the same model through the .npz mechanism every other model uses: rebuilt from the registry
    path = training_common.save_checkpoint(
        tmp_path / "bert.npz", model_type="bert", config=model.config, model=model
    )
    again, _, _ = training_common.load_model(path, expect="bert")
    ids = tg.tensor([tokenizer.encode("to be or not to be").input_ids], dtype=tg.int64)
    with tg.no_grad():
        np.testing.assert_array_equal(again(ids).logits.numpy(), model(ids).logits.numpy())
    with pytest.raises(ValueError, match="Mini-BERT folder .*fill_mask.py"):
        training_common.load_model(shipped, expect=("mlp", "gpt"))
