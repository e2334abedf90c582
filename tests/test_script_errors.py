"""Every way a file or flag given to a script can be wrong ends the same way: ONE line on stderr,
"error: ...", naming the file or flag, exit status 1, no traceback, and nothing written.

One table of cases (a script, its flags, and what the line must name), run in this process through
the scripts' own `run_main` (a fresh interpreter per case would cost seconds each); a few run as real
subprocesses to check the exit status and the absence of a traceback end to end.
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

import tinygrad_edu as tg

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
sys.path.insert(0, str(EXAMPLES))

import training_common  # noqa: E402

NAMES_WORDS = (ROOT / "data" / "names.txt").read_text().split()[:400]


def run_in_process(script: str, args: list[str]) -> tuple[int, str, str]:
    """(exit status, stdout, stderr) of `python examples/<script> args`, in this process."""
    module = importlib.import_module(script.removesuffix(".py"))
    stdout, stderr = io.StringIO(), io.StringIO()
    code = 0
    try:
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            training_common.run_main(lambda: module.main([str(a) for a in args]))
    except SystemExit as exit:
        code = exit.code if isinstance(exit.code, int) else 1
        if not isinstance(exit.code, int):
            stderr.write(f"{exit.code}\n")
    return code, stdout.getvalue(), stderr.getvalue()


def files_under(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


# ------------------------------------------------------------------------------------------------
# the valid things the cases corrupt, made once


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("errors")
    names = base / "names.txt"
    names.write_text("\n".join(NAMES_WORDS) + "\n")
    quiet = ["--no-progress", "--data", names]
    for script, out, extra in (
        ("train_mlp.py", "mlp", ["--steps", "4", "--eval-interval", "2", "--n-hidden", "8"]),
        ("train_gpt.py", "gpt", ["--steps", "4", "--eval-interval", "2", "--n-layer", "1", "--n-head", "2",
                                 "--n-embd", "8", "--batch-size", "8", "--samples", "2"]),
    ):  # fmt: skip
        code, _, err = run_in_process(script, [*quiet, *extra, "--out", base / out])
        assert code == 0, err
    bert = base / "bert"
    from models.bert import BertConfig, BertForMaskedLM
    from tinygrad_edu.data import WordPieceTokenizer

    lines = (ROOT / "data" / "shakespeare.txt").read_text().splitlines()[:200]
    tokenizer = WordPieceTokenizer.train(lines, vocab_size=200)
    config = BertConfig(
        vocab_size=tokenizer.vocab_size, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
        intermediate_size=32, max_position_embeddings=32,
    )  # fmt: skip
    tg.manual_seed(0)
    BertForMaskedLM(config).save_pretrained(bert, tokenizer=tokenizer)
    return {"base": base, "names": names, "mlp": base / "mlp", "gpt": base / "gpt", "bert": bert}


def copy_folder(source: Path, target: Path) -> Path:
    target.mkdir(parents=True)
    for path in source.iterdir():
        if path.is_file():
            (target / path.name).write_bytes(path.read_bytes())
    return target


def rewrite_npz(path: Path, change) -> None:
    """Load the raw archive entries, let `change(entries)` edit them, write them back."""
    with np.load(path) as archive:
        entries = {name: archive[name] for name in archive.files}
    change(entries)
    with open(path, "wb") as file:
        np.savez(file, **entries)


def structure(entries) -> dict:
    return json.loads(entries["__structure__"].tobytes().decode())


def set_structure(entries, value) -> None:
    entries["__structure__"] = np.frombuffer(json.dumps(value).encode(), dtype=np.uint8)


def first_weight(entries) -> str:
    return sorted(name for name in entries if name != "__structure__" and entries[name].dtype.kind == "f")[0]


def edit_checkpoint(path: Path, change) -> None:
    """Change the checkpoint as a Python object and save it again (a well-formed file, wrong content)."""
    checkpoint = tg.load(path)
    change(checkpoint)
    tg.save(checkpoint, path)


# each corruption: (name, which valid thing, how to break it); the file broken is <thing>/<file>
def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2])


NPZ_CORRUPTIONS = {
    "empty": lambda p: p.write_bytes(b""),
    "truncated": _truncate,
    "random-bytes": lambda p: p.write_bytes(os.urandom(3000)),
    "text": lambda p: p.write_text("not a checkpoint\n"),
    "single-array": lambda p: np.save(open(p, "wb"), np.zeros(3)),
    "no-structure": lambda p: np.savez(open(p, "wb"), a=np.zeros(3)),
    "other-tg-file": lambda p: tg.save({"weights": np.zeros(3)}, p),
    "structure-not-json": lambda p: rewrite_npz(
        p, lambda e: e.__setitem__("__structure__", np.frombuffer(b"{oops", dtype=np.uint8))
    ),
    "structure-bad-pairs": lambda p: rewrite_npz(
        p, lambda e: set_structure(e, {**structure(e), "root": {"__dict__": [1, 2, 3]}})
    ),
    "structure-missing-entry": lambda p: rewrite_npz(
        p, lambda e: set_structure(e, {**structure(e), "root": {"__tensor__": "t999999"}})
    ),
    "structure-deep": lambda p: rewrite_npz(p, lambda e: e.__setitem__("__structure__", np.frombuffer(
        b'{"format": "tinygrad_edu.checkpoint", "version": 1, "root": ' + b"[" * 5000 + b"]" * 5000 + b"}",
        dtype=np.uint8,
    ))),
    "structure-unhashable-key": lambda p: rewrite_npz(
        p, lambda e: set_structure(e, {**structure(e), "root": {"__dict__": [[[1], 2]]}})
    ),
    "complex-weights": lambda p: rewrite_npz(
        p, lambda e: e.__setitem__(first_weight(e), e[first_weight(e)].astype(np.complex64))
    ),
    "int-weights": lambda p: edit_checkpoint(
        p, lambda c: c["state_dict"].__setitem__("wte.weight", np.zeros((27, 10), dtype=np.int32))
    ),
    "nan-weights": lambda p: edit_checkpoint(
        p, lambda c: c["state_dict"].__setitem__("wte.weight", np.full((27, 10), np.nan, dtype=np.float32))
    ),
    "no-state-dict": lambda p: edit_checkpoint(p, lambda c: c.pop("state_dict")),
    "no-extra": lambda p: edit_checkpoint(p, lambda c: c.pop("extra")),
    "relabelled-gpt": lambda p: edit_checkpoint(p, lambda c: c.__setitem__("model_type", "gpt")),
    "unknown-model": lambda p: edit_checkpoint(p, lambda c: c.__setitem__("model_type", "llama")),
    "bad-config": lambda p: edit_checkpoint(p, lambda c: c["config"].__setitem__("n_hidden", -3)),
    "missing-weight": lambda p: edit_checkpoint(p, lambda c: c["state_dict"].pop("wte.weight")),
    "bad-tokenizer": lambda p: edit_checkpoint(p, lambda c: c.__setitem__("tokenizer", {"type": "sentencepiece"})),
    "bad-tokenizer-fields": lambda p: edit_checkpoint(p, lambda c: c.__setitem__("tokenizer", {"type": "char"})),
}  # fmt: skip

BERT_CORRUPTIONS = {
    "safetensors-empty": ("model.safetensors", lambda p: p.write_bytes(b"")),
    "safetensors-truncated": ("model.safetensors", _truncate),
    "safetensors-random": ("model.safetensors", lambda p: p.write_bytes(os.urandom(2000))),
    "safetensors-int32": ("model.safetensors", "int32"),
    "safetensors-nan": ("model.safetensors", "nan"),
    "config-empty": ("config.json", lambda p: p.write_text("")),
    "config-not-json": ("config.json", lambda p: p.write_text("{hidden_size: 16")),
    "config-list": ("config.json", lambda p: p.write_text("[1, 2]")),
    "config-wrong-shape": ("config.json", "layers"),
    "config-binary": ("config.json", lambda p: p.write_bytes(b"\xff\xfe\x00garbage")),
    "vocab-empty": ("vocab.txt", lambda p: p.write_text("")),
    "vocab-blank-line": ("vocab.txt", lambda p: p.write_text(p.read_text().replace("\n", "\n\n", 1))),
    "vocab-duplicate": ("vocab.txt", lambda p: p.write_text(p.read_text() + p.read_text().splitlines()[-1] + "\n")),
    "vocab-not-utf8": ("vocab.txt", lambda p: p.write_bytes(p.read_bytes() + b"\xff\xfe\n")),
    "vocab-missing": ("vocab.txt", lambda p: p.unlink()),
}  # fmt: skip


def break_bert_file(path: Path, how) -> None:
    from safetensors.numpy import load_file, save_file

    if how in ("int32", "nan"):
        tensors = load_file(str(path))
        name = sorted(tensors)[0]
        tensors[name] = (
            tensors[name].astype(np.int32) if how == "int32" else np.full_like(tensors[name], np.nan)
        )
        save_file(tensors, str(path))
    elif how == "layers":
        config = json.loads(path.read_text())
        config["num_hidden_layers"] = 3
        path.write_text(json.dumps(config))
    else:
        how(path)


def assert_one_error_line(code: int, stderr: str, *names: str) -> str:
    lines = stderr.strip().splitlines()
    assert code == 1, stderr
    assert len(lines) == 1 and lines[0].startswith("error: "), stderr
    assert "Traceback" not in stderr
    for name in names:
        assert name in lines[0], f"{name!r} not named in: {lines[0]}"
    return lines[0]


@pytest.mark.parametrize("corruption", sorted(NPZ_CORRUPTIONS))
@pytest.mark.parametrize("script", ["sample.py", "evaluate.py", "plot_embeddings.py"])
def test_a_corrupt_model_npz_is_one_line_naming_the_file(world, tmp_path, script, corruption):
    if script != "sample.py" and corruption in (
        "complex-weights",
        "structure-deep",
        "structure-unhashable-key",
    ):
        pytest.skip("the same loader as sample.py; one script is enough for these")
    run_dir = copy_folder(world["mlp"], tmp_path / "run")
    checkpoint = run_dir / "model.npz"
    NPZ_CORRUPTIONS[corruption](checkpoint)
    before = files_under(run_dir)
    code, _, err = run_in_process(script, ["--checkpoint", checkpoint])
    assert_one_error_line(code, err, str(checkpoint))
    assert files_under(run_dir) == before  # nothing written (no plot beside a broken checkpoint)


@pytest.mark.parametrize("corruption", sorted(BERT_CORRUPTIONS))
@pytest.mark.parametrize("script", ["fill_mask.py", "evaluate_bert.py"])
def test_a_corrupt_bert_folder_is_one_line_naming_the_file(world, tmp_path, script, corruption):
    if script == "evaluate_bert.py" and not corruption.startswith(("safetensors", "config-not")):
        pytest.skip("the same loader as fill_mask.py")
    folder = copy_folder(world["bert"], tmp_path / "bert")
    name, how = BERT_CORRUPTIONS[corruption]
    break_bert_file(folder / name, how)
    args = ["a [MASK] ."] if script == "fill_mask.py" else ["--no-heldout", "to be or not"]
    code, _, err = run_in_process(script, ["--checkpoint", folder, *args])
    line = assert_one_error_line(code, err)
    assert name in line or str(folder) in line, line


# flags and files given to the scripts; "{x}" is replaced by the path of x in the world (or tmp_path)
FLAG_CASES = [
    ("sample.py", ["--checkpoint", "{bert}"], ["Mini-BERT folder", "fill_mask.py"]),
    ("evaluate.py", ["--checkpoint", "{bert}"], ["Mini-BERT folder"]),
    ("evaluate.py", ["--checkpoint", "{gpt}"], ["'gpt' model"]),
    ("plot_attention.py", ["--checkpoint", "{mlp}", "--text", "emma"], ["'mlp' model", "'gpt'"]),
    ("plot_attention.py", ["--checkpoint", "{gpt}", "--text", ""], ["--text"]),
    ("plot_attention.py", ["--checkpoint", "{gpt}", "--text", "EMMA"], ["--text"]),
    ("sample.py", ["--checkpoint", "{mlp}", "--max-new-tokens", "-1"], ["--max-new-tokens"]),
    ("sample.py", ["--checkpoint", "{gpt}", "--top-k", "0"], ["--top-k"]),
    ("sample.py", ["--checkpoint", "{mlp}", "--prompt", "em"], ["--prompt"]),
    ("sample.py", ["--checkpoint", "{tmp}/nowhere"], ["nowhere"]),
    ("evaluate_bert.py", ["--checkpoint", "{bert}", "--no-heldout"], ["--no-heldout"]),
    ("fill_mask.py", ["--checkpoint", "{mlp}", "a [MASK] ."], ["mlp"]),
    ("train_mlp.py", ["--data", "/bin/sh", "--out", "{tmp}/o"], ["/bin/sh", "UTF-8"]),
    ("train_mlp.py", ["--data", "{tmp}", "--out", "{tmp}/o"], ["folder"]),
    ("train_mlp.py", ["--data", "{tmp}/empty.txt", "--out", "{tmp}/o"], ["empty.txt"]),
    ("train_mlp.py", ["--data", "{names}", "--out", "{names}"], ["--out", "names.txt"]),
    ("train_gpt.py", ["--data", "{names}", "--out", "{names}"], ["--out"]),
    ("train_bigram.py", ["--data", "{names}", "--out", "{names}"], ["--out"]),
    ("train_mlp_bn.py", ["--data", "{names}", "--out", "{names}"], ["--out"]),
    ("train_bert.py", ["--out", "{names}"], ["--out"]),
    ("train_gpt.py", ["--data", "/bin/sh", "--char-stream", "--out", "{tmp}/o"], ["/bin/sh"]),
    ("train_mlp.py", ["--out", "{tmp}/o", "--resume"], ["--resume", "model.npz"]),
    ("train_mlp.py", ["--out", "{gpt}", "--resume"], ["--resume", "'gpt'"]),
    ("train_gpt.py", ["--out", "{gpt}", "--resume", "--n-layer", "2"], ["--n-layer"]),
    ("train_gpt.py", ["--out", "{gpt}", "--resume", "--data", "data/shakespeare.txt"], ["--data"]),
    ("train_gpt.py", ["--out", "{gpt}", "--resume"], ["already finished"]),
    ("train_gpt.py", ["--n-embd", "10", "--n-head", "4", "--out", "{tmp}/o"], ["--n-embd"]),
    ("train_gpt.py", ["--dropout", "1.5", "--out", "{tmp}/o"], ["--dropout"]),
    ("train_mlp.py", ["--stop-after", "0", "--out", "{tmp}/o"], ["--stop-after"]),
]


@pytest.mark.parametrize(
    "script, args, named", FLAG_CASES, ids=[" ".join([c[0], *c[1][:4]]) for c in FLAG_CASES]
)
def test_a_wrong_flag_is_one_line_naming_it(world, tmp_path, script, args, named):
    (tmp_path / "empty.txt").write_text("")
    values = {key: str(path) for key, path in world.items()} | {"tmp": str(tmp_path)}
    args = [a.format(**values) for a in args]
    before = files_under(world["base"]), files_under(tmp_path)
    code, _, err = run_in_process(script, args)
    assert_one_error_line(code, err, *named)
    assert (files_under(world["base"]), files_under(tmp_path)) == before  # nothing half-written


@pytest.mark.parametrize(
    "case",
    [
        ("sample.py", "--checkpoint", "{bad}"),
        ("train_mlp.py", "--out", "{names}"),
        ("fill_mask.py", "--checkpoint", "{bert_bad}", "a [MASK] ."),
    ],
)
def test_the_real_process_exits_1_with_one_line(world, tmp_path, case):
    bad = tmp_path / "model.npz"
    bad.write_bytes(b"PK\x03\x04 truncated")
    bert_bad = copy_folder(world["bert"], tmp_path / "bert")
    (bert_bad / "model.safetensors").write_bytes(b"")
    script, *args = case
    args = [a.format(bad=bad, names=world["names"], bert_bad=bert_bad) for a in args]
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / script), *args], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert_one_error_line(result.returncode, result.stderr)


@pytest.mark.parametrize(
    "module", ["examples/bert_common.py", "examples/bert_probes.py", "examples/makemore_common.py",
               "examples/training_common.py", "benchmarks/gpt_torch.py"],
)  # fmt: skip
def test_shared_modules_answer_help(module):
    pytest.importorskip("torch") if "torch" in module else None
    result = subprocess.run(
        [sys.executable, module, "--help"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0 and "usage:" in result.stdout and len(result.stdout.splitlines()) > 3


def test_help_shows_each_default_once_and_documents_every_flag():
    scripts = sorted(p.name for p in EXAMPLES.glob("*.py") if not p.name.endswith("_common.py"))
    for script in scripts:
        module = importlib.import_module(script.removesuffix(".py"))
        if not hasattr(module, "main") or not inspect.signature(module.main).parameters:
            continue  # reads sys.argv itself; its --help is checked with the other scripts' tests
        stdout = io.StringIO()
        with contextlib.redirect_stdout(stdout), pytest.raises(SystemExit):
            module.main(["--help"])
        text = stdout.getvalue()
        assert "(default: None)" not in text and text.count("(default:") == len(
            [line for line in text.splitlines() if "(default:" in line]
        ), script
        assert all(
            "(default:" not in line.split("(default:", 1)[1]
            for line in text.splitlines()
            if "(default:" in line
        )


def test_tg_load_raises_value_error_for_every_malformed_structure(world, tmp_path):
    for name in ("structure-bad-pairs", "structure-missing-entry", "structure-deep", "structure-unhashable-key",
                 "complex-weights", "truncated", "empty"):  # fmt: skip
        path = tmp_path / f"{name}.npz"
        path.write_bytes((world["mlp"] / "model.npz").read_bytes())
        NPZ_CORRUPTIONS[name](path)
        with pytest.raises(ValueError, match="not a readable tinygrad_edu checkpoint"):
            tg.load(path)


def test_bpe_file_without_merges_names_the_file(tmp_path):
    from tinygrad_edu.data.bpe import FILE_FORMAT, BPETokenizer

    for payload in (
        {"format": FILE_FORMAT},
        {"format": FILE_FORMAT, "merges": [[1]]},
        {"format": FILE_FORMAT, "merges": [[300, 1]]},
    ):
        path = tmp_path / "bpe.json"
        path.write_text(json.dumps(payload))
        with pytest.raises(ValueError, match="bpe.json"):
            BPETokenizer.load(path)
    path.write_bytes(b"\xff\xfe")
    with pytest.raises(ValueError, match="bpe.json"):
        BPETokenizer.load(path)


def test_zip_of_something_else_is_refused(tmp_path):
    path = tmp_path / "model.npz"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "hello")
    with pytest.raises(ValueError, match="model.npz"):
        tg.load(path)


@pytest.mark.parametrize(
    "error, line",
    [
        (MemoryError(), "error: out of memory; try a smaller --batch-size or model"),
        (OSError(28, "No space left on device"), "error: OSError: [Errno 28] No space left on device"),
        (KeyError("state_dict"), "error: missing key 'state_dict'"),
        (ValueError("--steps must be positive\nsecond line"), "error: --steps must be positive"),
    ],
)
def test_run_main_turns_any_failure_into_one_line(error, line):
    def main():
        raise error

    with pytest.raises(SystemExit) as exit:
        training_common.run_main(main)
    assert exit.value.code == line
