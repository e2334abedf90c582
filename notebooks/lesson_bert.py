"""The Mini-BERTs the BERT lessons use.

`mini_bert()` loads the trained model that ships with the project (`checkpoints/mini-bert`, see its
model card): lessons 09, 10 and 14 look inside it, and nothing is trained or written.

`tiny_bert()` (lesson 13, the lesson about training itself) runs `examples/train_bert.py --preset tiny` into a folder under the lesson output folder
(`TG_NOTEBOOK_OUT`, see `tinygrad_edu.exercises.output_dir`) and loads the result; when that folder
already holds a finished checkpoint (an earlier lesson in the same run wrote it) it is only loaded.

A person (TG_NOTEBOOK_FAST unset) gets the script's tiny preset on the whole corpus: 300 steps, a
couple of minutes on 2 cores. CI mode trains 24 steps of 16 rows on the first 1500 speeches with a
vocabulary of 800 tokens, enough for every cell to run but not for the model to learn much: its figures show the
machinery, not a model that knows Shakespeare.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from models.bert import BertForMaskedLM
from tinygrad_edu.data import WordPieceTokenizer
from tinygrad_edu.exercises import fast_mode, output_dir, repo_root

SCRIPT = repo_root() / "examples" / "train_bert.py"
FAST_SPEECHES = 1500


def tiny_bert_flags(out: Path) -> list[str]:
    """The command-line flags of the training run (printed by the lessons, so it can be rerun)."""
    corpus = repo_root() / "data" / "shakespeare.txt"  # absolute: the notebooks run from notebooks/
    flags = ["--preset", "tiny", "--out", str(out), "--no-progress", "--data", str(corpus)]
    if fast_mode():
        head = out.parent / "shakespeare_head.txt"
        head.write_text("\n".join(corpus.read_text(encoding="utf-8").splitlines()[:FAST_SPEECHES]) + "\n",
                        encoding="utf-8")
        flags[-1] = str(head)
        flags += ["--steps", "24", "--batch-size", "16", "--vocab-size", "800",
                  "--eval-interval", "24", "--eval-rows", "32"]  # fmt: skip
    return flags


def mini_bert() -> tuple[BertForMaskedLM, WordPieceTokenizer, Path]:
    """(the shipped Mini-BERT in eval mode, its WordPiece tokenizer, its folder)."""
    folder = repo_root() / "checkpoints" / "mini-bert"
    model = BertForMaskedLM.from_pretrained(folder)
    model.eval()
    return model, WordPieceTokenizer.from_file(folder / "vocab.txt"), folder


def tiny_bert() -> tuple[BertForMaskedLM, WordPieceTokenizer, Path]:
    """(model in eval mode, its WordPiece tokenizer, the checkpoint folder)."""
    out = output_dir("bert_tiny_fast" if fast_mode() else "bert_tiny")
    if not (out / "metrics.json").is_file():  # the script writes metrics.json last
        flags = tiny_bert_flags(out)
        print("python examples/train_bert.py " + " ".join(flags))
        # a separate process, exactly as from a terminal (the script also sets its own matplotlib backend)
        run = subprocess.run([sys.executable, str(SCRIPT), *flags], capture_output=True, text=True)
        if run.returncode:
            raise RuntimeError(f"train_bert.py failed:\n{run.stderr[-3000:]}")
        print("\n".join(line for line in run.stdout.splitlines() if line.startswith("held-out (")))
    else:
        print(f"loading the Mini-BERT checkpoint already trained in {out}")
    model = BertForMaskedLM.from_pretrained(out)
    model.eval()
    return model, WordPieceTokenizer.from_file(out / "vocab.txt"), out
