"""In-process participants for privacy protocol tests: real keys, real protocols, no network."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from corridor.crypto.keys import SigningKeyPair
from corridor.crypto.signing import verify_ed25519
from corridor.privacy import (
    Contributor,
    FixedPoint,
    LocalInput,
    MaskingContributor,
    PaillierContributor,
    RoundSpec,
    SeededRandomSource,
)


class Hospitals:
    """N hospitals with node keys and a real-valued input vector each."""

    def __init__(self, count: int, length: int, *, seed: int = 7, max_abs: float = 1000.0) -> None:
        self.names = tuple(f"did:web:hospital-{chr(ord('a') + i)}.test" for i in range(count))
        self.keys = {name: SigningKeyPair.generate() for name in self.names}
        rng = np.random.default_rng(seed)
        self.inputs = {name: rng.uniform(-max_abs, max_abs, size=length) for name in self.names}
        self.codec = FixedPoint(max_abs=max_abs, parties=count)
        self.length = length

    def spec(
        self, threshold: int, *, job: str = "job-unit-test", round_number: int = 0
    ) -> RoundSpec:
        return RoundSpec(job, round_number, self.names, threshold, self.length)

    def provider(self, name: str):
        def provide(message: Mapping[str, Any]) -> LocalInput:
            del message
            return LocalInput(self.codec.encode(self.inputs[name]), {"rows": 10})

        return provide

    def verify(self, participant: str, message: bytes, signature: bytes) -> None:
        verify_ed25519(self.keys[participant].public, signature, message)

    def masking(self, spec: RoundSpec) -> dict[str, Contributor]:
        return {
            name: MaskingContributor(
                spec,
                name,
                self.provider(name),
                SeededRandomSource(f"{name}|{spec.round}"),
                self.keys[name].sign,
                self.verify,
            )
            for name in self.names
        }

    def paillier(self, spec: RoundSpec, key_bits: int = 1024) -> dict[str, Contributor]:
        return {
            name: PaillierContributor(
                spec,
                name,
                self.provider(name),
                SeededRandomSource(f"paillier|{name}"),
                key_bits=key_bits,
            )
            for name in self.names
        }

    def plain_sum(self, names: tuple[str, ...]) -> np.ndarray:
        return np.sum([self.inputs[n] for n in names], axis=0)
