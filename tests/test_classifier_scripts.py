"""examples/train_classifier.py and examples/classify.py, run as a user runs them, on a small corpus
(40 speeches of every play) and a tiny masked-LM folder made here."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import tinygrad_edu as tg
from models.bert import BertConfig, BertForMaskedLM
from tinygrad_edu.data import WordPieceTokenizer, load_corpus
from tinygrad_edu.data.play_kinds import load_labels

REPO = Path(__file__).resolve().parents[1]
SPEECHES_PER_PLAY = 40


@pytest.fixture(scope="module")
def small_data(tmp_path_factory):
    """(corpus, labels, MLM folder): the first speeches of every play, and a tiny BERT on its vocabulary."""
    folder = tmp_path_factory.mktemp("classifier_data")
    speeches = load_corpus(REPO / "data" / "shakespeare.txt")
    rows = load_labels(REPO / "data" / "shakespeare_labels.tsv")
    kept, seen = [], {}
    for speech, (play, kind) in zip(speeches, rows, strict=True):
        seen[play] = seen.get(play, 0) + 1
        if seen[play] <= SPEECHES_PER_PLAY:
            kept.append((speech, play, kind))
    corpus, labels = folder / "speeches.txt", folder / "labels.tsv"
    corpus.write_text("".join(f"{speech}\n" for speech, _, _ in kept), encoding="utf-8")
    labels.write_text("play\tkind\n" + "".join(f"{p}\t{k}\n" for _, p, k in kept), encoding="utf-8")
    tokenizer = WordPieceTokenizer.train([speech for speech, _, _ in kept], vocab_size=300)
    config = BertConfig(
        vocab_size=tokenizer.vocab_size,
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=32,
    )
    tg.manual_seed(0)
    mlm = folder / "mlm"
    BertForMaskedLM(config).save_pretrained(mlm, tokenizer=tokenizer)
    return corpus, labels, mlm


def run(script: str, *flags: str, ok: bool = True) -> subprocess.CompletedProcess:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO)}
    result = subprocess.run(
        [sys.executable, f"examples/{script}", *flags], cwd=REPO, capture_output=True, text=True, env=env
    )
    if ok:
        assert result.returncode == 0, result.stderr[-3000:]
    return result


def train(small_data, out: Path, *flags: str, ok: bool = True) -> subprocess.CompletedProcess:
    corpus, labels, mlm = small_data
    common = ["--data", str(corpus), "--labels", str(labels), "--out", str(out), "--no-progress"]
    return run("train_classifier.py", *common, "--tokenizer", str(mlm), "--max-length", "24", *flags, ok=ok)


def one_error_line(result: subprocess.CompletedProcess, *words: str) -> None:
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for word in words:
        assert word in lines[0], lines[0]


def test_bow_trains_reports_against_the_baseline_and_its_loss_falls(small_data, tmp_path):
    out = tmp_path / "bow"
    result = train(small_data, out, "--model", "bow", "--steps", "60", "--batch-size", "16", "--lr", "0.01")
    final = json.loads(result.stdout.splitlines()[-1])
    assert final["model"] == "bow" and final["steps"] == 60
    for key in ("test_accuracy", "test_macro_f1", "baseline_accuracy", "baseline_macro_f1", "seconds"):
        assert isinstance(final[key], float), key
    assert 0 <= final["test_macro_f1"] <= 1 and final["baseline_macro_f1"] < 0.34
    assert "majority baseline (always 'comedy')" in result.stdout  # beside the test result
    assert "majority 0." in result.stdout  # beside every validation result
    for name in ("comedy", "history", "tragedy"):
        assert f"  {name} " in result.stdout  # the per-class report
    assert (out / "confusion.png").read_bytes()[:4] == b"\x89PNG"
    losses = tg.load(out / "training_state.npz")["curve"]["train (batch)"][1]
    assert np.mean(losses[-10:]) < np.mean(losses[:10])
    assert json.loads((out / "metrics.json").read_text())["test_report"]["confusion"]


def test_bert_from_a_masked_lm_folder_then_classify(small_data, tmp_path):
    out = tmp_path / "bert"
    _, _, mlm = small_data
    result = train(small_data, out, "--model", "bert", "--init", str(mlm), "--steps", "40", "--lr", "3e-3")
    assert "new: bert.pooler.dense, classifier" in result.stdout
    losses = tg.load(out / "training_state.npz")["curve"]["train (batch)"][1]
    assert np.mean(losses[-10:]) < np.mean(losses[:10])
    assert json.loads(result.stdout.splitlines()[-1])["model"] == "bert-pretrained"
    answer = run("classify.py", "--checkpoint", str(out), "God for Harry and England!")
    lines = answer.stdout.splitlines()
    assert lines[0] == "God for Harry and England!"
    shares = [float(line.split("%")[0]) for line in lines[1:]]
    assert len(shares) == 3 and abs(sum(shares) - 100) < 0.05 and shares == sorted(shares, reverse=True)
    assert {line.split()[-1] for line in lines[1:]} == {"comedy", "history", "tragedy"}


def test_freezing_the_encoder_trains_only_the_head(small_data, tmp_path):
    from safetensors.numpy import load_file

    out = tmp_path / "frozen"
    _, _, mlm = small_data
    result = train(small_data, out, "--model", "bert", "--init", str(mlm), "--freeze-encoder", "--steps", "6")
    assert json.loads(result.stdout.splitlines()[-1])["trained_params"] == 16 * 16 + 16 + 16 * 3 + 3
    before, after = load_file(str(mlm / "model.safetensors")), load_file(str(out / "model.safetensors"))
    for key, value in after.items():
        if key.startswith(("bert.embeddings", "bert.encoder")):
            np.testing.assert_array_equal(value, before[key], err_msg=key)


def test_scratch_starts_from_random_weights_with_the_same_architecture(small_data, tmp_path):
    from safetensors.numpy import load_file

    out = tmp_path / "scratch"
    _, _, mlm = small_data
    train(small_data, out, "--model", "bert", "--init", "scratch", "--steps", "4")
    mlm_config = json.loads((mlm / "config.json").read_text())
    config = json.loads((out / "config.json").read_text())
    for key in ("hidden_size", "num_hidden_layers", "vocab_size", "max_position_embeddings"):
        assert config[key] == mlm_config[key]
    word = "bert.embeddings.word_embeddings.weight"
    assert not np.allclose(
        load_file(str(out / "model.safetensors"))[word],
        load_file(str(mlm / "model.safetensors"))[word],
        atol=0.01,
    )


def test_resume_continues_exactly(small_data, tmp_path):
    from safetensors.numpy import load_file

    flags = [
        "--model",
        "bert",
        "--init",
        "scratch",
        "--steps",
        "8",
        "--eval-interval",
        "4",
        "--batch-size",
        "8",
    ]
    whole, split = tmp_path / "whole", tmp_path / "split"
    train(small_data, whole, *flags)
    stopped = train(small_data, split, *flags, "--stop-after", "4")
    assert "continue with the same flags and --resume" in stopped.stdout
    train(small_data, split, *flags, "--resume")
    a, b = load_file(str(whole / "model.safetensors")), load_file(str(split / "model.safetensors"))
    for key in a:
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)
    changed = train(small_data, split, *[f if f != "8" else "9" for f in flags], "--resume", ok=False)
    one_error_line(changed, "--resume", "--steps")


def test_bad_input_gets_one_clear_error_line(small_data, tmp_path):
    corpus, labels, mlm = small_data
    unknown = tmp_path / "labels.tsv"
    unknown.write_text(labels.read_text().replace("\thistories\n", "\tsonnets\n", 1))
    result = run("train_classifier.py", "--data", str(corpus), "--labels", str(unknown), "--tokenizer", str(mlm),
                 "--model", "bow", "--out", str(tmp_path / "x"), ok=False)  # fmt: skip
    one_error_line(result, "labels.tsv", "line", "sonnets")
    one_error_line(
        train(small_data, tmp_path / "y", "--model", "bow", "--init", str(mlm), ok=False), "--init"
    )
    one_error_line(
        train(small_data, tmp_path / "z", "--model", "bert", "--init", str(tmp_path), ok=False), "config.json"
    )
    too_long = train(
        small_data, tmp_path / "w", "--model", "bert", "--init", str(mlm), "--max-length", "40", ok=False
    )
    one_error_line(too_long, "--max-length 40", "32 positions")
    # classify.py: a masked-LM folder has no classifier head; a text longer than the trained length
    one_error_line(run("classify.py", "--checkpoint", str(mlm), "Hello", ok=False), "no classifier head")
    out = tmp_path / "bow"
    train(small_data, out, "--model", "bow", "--steps", "2")
    one_error_line(run("classify.py", "--checkpoint", str(out), "word " * 30, ok=False), "tokens long", "24")
    one_error_line(
        run("classify.py", "--checkpoint", str(tmp_path / "none"), "Hello", ok=False), "no classifier folder"
    )


def test_compare_classifiers_gives_mean_and_spread_per_model(tmp_path):
    for model, seed, f1 in [("bow", 0, 0.5), ("bow", 1, 0.6), ("bert-pretrained", 0, 0.7)]:
        folder = tmp_path / f"{model}_{seed}"
        folder.mkdir()
        run_metrics = {"model": model, "seed": seed, "test_macro_f1": f1, "test_accuracy": f1 + 0.1,
                       "val_macro_f1": f1, "seconds": 120.0, "baseline_macro_f1": 0.214, "baseline_accuracy": 0.473,
                       "test_per_class_f1": {"comedy": f1, "history": f1, "tragedy": f1}}  # fmt: skip
        (folder / "metrics.json").write_text(json.dumps(run_metrics))
    folders = sorted(str(path) for path in tmp_path.iterdir())
    result = run(
        "compare_classifiers.py",
        *folders,
        "--plot",
        str(tmp_path / "c.png"),
        "--json",
        str(tmp_path / "s.json"),
    )
    rows = result.stdout.splitlines()
    assert rows[2].startswith("| bow | 2 | 0.550 ± 0.071 (0.500-0.600) |")  # mean ± sample std (min-max)
    assert rows[3].startswith("| bert-pretrained | 1 | 0.700 ± 0.000")
    assert "| majority class (always 'comedy') | - | 0.214 | 0.473 |" in result.stdout
    assert (tmp_path / "c.png").read_bytes()[:4] == b"\x89PNG"
    assert json.loads((tmp_path / "s.json").read_text())["bow"]["seeds"] == [0, 1]
    one_error_line(run("compare_classifiers.py", str(tmp_path / "nope"), ok=False), "metrics.json")


def test_the_shipped_classifier_answers_and_loads_in_transformers():
    folder = REPO / "checkpoints" / "play-kind-bert"
    if not (folder / "model.safetensors").is_file():
        pytest.skip("checkpoints/play-kind-bert is not in this checkout")
    transformers = pytest.importorskip("transformers")
    torch = pytest.importorskip("torch")
    from models.bert_classification import BertForSequenceClassification

    ours = BertForSequenceClassification.from_pretrained(folder)
    ours.eval()
    theirs, info = transformers.BertForSequenceClassification.from_pretrained(
        folder, output_loading_info=True
    )
    assert not info["missing_keys"] and not info["unexpected_keys"]
    assert theirs.config.id2label == {0: "comedy", 1: "history", 2: "tragedy"}
    tokenizer = transformers.BertTokenizer.from_pretrained(folder)
    batch = tokenizer(["Cry God for Harry, England, and Saint George!"], return_tensors="pt")
    with torch.no_grad():
        reference = theirs.eval()(**batch).logits.numpy()
    mine = ours(batch["input_ids"].numpy(), attention_mask=batch["attention_mask"].numpy()).logits.numpy()
    np.testing.assert_allclose(mine, reference, atol=1e-4)
    answer = run("classify.py", "Cry God for Harry, England, and Saint George!")
    assert {line.split()[-1] for line in answer.stdout.splitlines()[1:]} == {"comedy", "history", "tragedy"}
