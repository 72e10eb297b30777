"""Where privacy numerics get their randomness: always passed in, never read implicitly.

Pure modules take a :class:`RandomSource`; the composition roots pass
:class:`SystemRandomSource` (the operating system's CSPRNG), tests and benchmarks pass
:class:`SeededRandomSource` so that runs repeat exactly.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Protocol


class RandomSource(Protocol):
    """Cryptographically strong random bytes."""

    def token_bytes(self, size: int) -> bytes:
        """Return ``size`` random bytes."""
        ...


class SystemRandomSource:
    """The operating system's CSPRNG (``secrets``): what production code passes."""

    def token_bytes(self, size: int) -> bytes:
        """Return ``size`` bytes from ``os.urandom`` via ``secrets``."""
        return secrets.token_bytes(size)


class SeededRandomSource:
    """NOT FOR PRODUCTION: a reproducible SHAKE-256 stream keyed by a seed, for tests.

    Anyone who knows the seed knows every key and mask drawn from it.
    """

    def __init__(self, seed: bytes | str) -> None:
        self._seed = seed.encode() if isinstance(seed, str) else seed
        self._counter = 0

    def token_bytes(self, size: int) -> bytes:
        """Return the next ``size`` bytes of the stream."""
        self._counter += 1
        block = hashlib.shake_256(self._seed + self._counter.to_bytes(8, "big"))
        return block.digest(size)


def random_below(rng: RandomSource, bound: int) -> int:
    """A uniform integer in ``[0, bound)`` by rejection sampling (no modulo bias)."""
    if bound <= 0:
        raise ValueError("bound must be positive")
    size = (bound.bit_length() + 7) // 8 + 8  # 64 extra bits make rejection rare
    limit = (256**size // bound) * bound
    while True:
        value = int.from_bytes(rng.token_bytes(size), "big")
        if value < limit:
            return value % bound
