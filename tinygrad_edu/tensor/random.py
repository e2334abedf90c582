"""Seeded random number generators (`manual_seed`, `Generator`) that make runs reproducible."""

from __future__ import annotations

import numpy as np


class Generator:
    """A seeded source of random numbers, like `torch.Generator`: pass it as `generator=` to get the
    same numbers on every run, independent of everything else that draws random numbers."""

    def __init__(self, seed: int | None = None) -> None:
        self._seed = seed if seed is not None else int(np.random.SeedSequence().entropy % 2**63)
        self.rng = np.random.default_rng(self._seed)

    def manual_seed(self, seed: int) -> Generator:
        self._seed = int(seed)
        self.rng = np.random.default_rng(self._seed)
        return self

    def initial_seed(self) -> int:
        return self._seed

    def get_state(self) -> dict:
        return self.rng.bit_generator.state

    def set_state(self, state: dict) -> None:
        self.rng.bit_generator.state = state


default_generator = Generator(0)


def manual_seed(seed: int) -> Generator:
    """Seed the default generator used when no `generator=` is given."""
    return default_generator.manual_seed(seed)


def _generator(generator: Generator | None) -> np.random.Generator:
    return (generator or default_generator).rng
