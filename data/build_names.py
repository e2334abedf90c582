"""Build data/names.txt from the census first-name lists shipped in the PyPI package `names==0.3.0`.

The package holds the 1990 US Census lists `dist.female.first` and `dist.male.first` (one name per line,
followed by frequency columns). We keep the first column, lowercase it, keep names made of the letters
a-z only, drop repeats, and write one name per line in sorted order. Nothing is downloaded: the
package must be installed (`pip install names==0.3.0`). Deterministic: the same input gives the same file.

Run: python data/build_names.py [--out data/names.txt]
"""

from __future__ import annotations

import argparse
import os
import re
from importlib import resources

from tinygrad_edu.files import atomic_write

SOURCE_FILES = ("dist.female.first", "dist.male.first")
_LETTERS_ONLY = re.compile(r"[a-z]+")


def read_names() -> list[str]:
    """The unique lowercase a-z first names of both census lists, sorted."""
    names: set[str] = set()
    for filename in SOURCE_FILES:
        text = resources.files("names").joinpath(filename).read_text(encoding="utf-8")
        for line in text.splitlines():
            fields = line.split()
            if fields and _LETTERS_ONLY.fullmatch(fields[0].lower()):
                names.add(fields[0].lower())
    return sorted(names)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    default_out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "names.txt")
    parser.add_argument("--out", default=default_out, help="where to write the list (default data/names.txt)")
    args = parser.parse_args()
    names = read_names()
    with atomic_write(args.out, "w", encoding="utf-8", newline="\n") as file:  # never a half-written file
        file.write("\n".join(names) + "\n")
    print(f"wrote {len(names)} names to {args.out}")


if __name__ == "__main__":
    main()
