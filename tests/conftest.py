"""Shared test setup: the hypothesis profile and the optional torch reference.

The hypothesis strategies themselves live in `tinygrad_edu.testing` (public, one copy), so a learner
tests their own op with exactly what the project uses.
"""

import os

import pytest
from hypothesis import HealthCheck, settings

# derandomize: the same examples on every run, so CI is stable; no deadline: gradchecks are slow
# on a loaded machine. Set HYPOTHESIS_PROFILE=thorough locally to search harder.
settings.register_profile(
    "ci",
    deadline=None,
    max_examples=25,
    derandomize=True,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile("thorough", parent=settings.get_profile("ci"), max_examples=500, derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture
def torch():
    """The torch module, or skip the test when torch is not installed."""
    return pytest.importorskip("torch")
