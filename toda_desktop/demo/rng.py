"""Independent, named random streams derived from one seed.

Each part of the generator draws from its own stream, so adding draws to one part never
changes what another part generates, and the whole city is reproducible from the seed.
"""

from __future__ import annotations

import zlib

import numpy as np


def stream(seed: int, name: str) -> np.random.Generator:
    """The random stream called ``name`` of the city with this seed."""
    return np.random.default_rng([seed, zlib.crc32(name.encode("utf-8"))])
