"""docs/torch_compat.md stays true: every torch name in its tables exists in torch, and every
tinygrad_edu name beside it exists in tinygrad_edu."""

import importlib
import re
from pathlib import Path

import pytest

DOC = Path(__file__).parents[1] / "docs" / "torch_compat.md"
ROW = re.compile(r"^\| `(torch[\w.]*)` \| (`(tinygrad_edu[\w.]*)`|—) \| (.*) \|$")


def rows():
    found = [ROW.match(line) for line in DOC.read_text().splitlines() if line.startswith("| `torch")]
    assert found and all(found), "every table row names a torch object and ours (or — with a reason)"
    return [(m.group(1), m.group(3), m.group(4)) for m in found]


def resolve(dotted: str):
    """The object a dotted name refers to: the longest importable module prefix, then attributes."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            value = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attribute in parts[cut:]:
            value = getattr(value, attribute)
        return value
    raise ImportError(dotted)


def test_the_table_covers_the_programs_names():
    names = {torch_name for torch_name, _, _ in rows()}
    assert len(names) > 150
    for needed in ("torch.tril", "torch.Tensor.device", "torch.inference_mode", "torch.utils.data.RandomSampler",
                   "torch.nn.functional.scaled_dot_product_attention", "torch.bfloat16", "torch.cuda.is_available"):  # fmt: skip
        assert needed in names


def test_every_name_ours_lists_exists():
    for torch_name, ours, note in rows():
        if ours is None:
            assert note.strip(), f"{torch_name}: a missing name needs its reason"
            continue
        resolve(ours)  # raises AttributeError or ImportError naming what is missing


def test_every_torch_name_listed_exists_in_torch():
    pytest.importorskip("torch")
    for torch_name, _, _ in rows():
        if torch_name.startswith("torch.utils.tensorboard"):
            continue  # torch's needs the separate tensorboard package
        resolve(torch_name)


def readme_example() -> str:
    readme = (Path(__file__).parents[1] / "README.md").read_text()
    section = readme.split("## PyTorch programs, imports changed", 1)[1]
    return section.split("```python\n", 1)[1].split("```", 1)[0]


@pytest.mark.parametrize("library", ["tinygrad_edu", "torch"])
def test_readme_example_runs_on_both_libraries(library, monkeypatch, capsys):
    source = readme_example()
    if library == "torch":
        pytest.importorskip("torch")
        # each import line carries its torch spelling as a comment: use that instead
        source = re.sub(r"^(?:import|from) tinygrad_edu.*# (.*)$", r"\1", source, flags=re.M)
        assert "tinygrad_edu" not in source
    monkeypatch.chdir(DOC.parents[1])
    exec(compile(source, "README.md", "exec"), {"__name__": "readme_example"})
    loss = float(capsys.readouterr().out.split("last batch loss")[1])
    assert 1.5 < loss < 3.3  # trained below the uniform guess, log(27) = 3.30
