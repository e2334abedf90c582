"""Tests of data/names.txt and data/build_names.py."""

import importlib.util
import os
import re

import pytest

DATA = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data")


def _committed_names():
    with open(os.path.join(DATA, "names.txt"), encoding="utf-8") as f:
        text = f.read()
    assert text.endswith("\n") and "\r" not in text
    return text.splitlines()


def test_names_file_format():
    names = _committed_names()
    assert len(names) > 5000
    assert all(re.fullmatch(r"[a-z]+", name) for name in names)
    assert len(set(names)) == len(names)  # unique
    assert names == sorted(names)  # sorted, as data/build_names.py writes it
    assert {"emma", "olivia", "james", "john"} <= set(names)


def test_builder_reproduces_the_committed_file():
    pytest.importorskip("names")
    spec = importlib.util.spec_from_file_location("build_names", os.path.join(DATA, "build_names.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.read_names() == _committed_names()
