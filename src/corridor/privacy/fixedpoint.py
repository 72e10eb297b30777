"""Fixed-point encoding of real vectors into the ring Z_{2^64}, where secure sums happen.

A real ``x`` is encoded as ``round(x * 2^f)`` taken modulo ``2^64`` (two's complement,
numpy ``uint64`` arithmetic wraps exactly like the ring). Decoding reads the ring element
as a signed 64-bit integer and divides by ``2^f``.

Range and overflow: a sum of ``parties`` values decodes correctly only if its true value
lies in ``[-2^63, 2^63)`` before scaling, so every value must satisfy
``|x| <= max_abs`` with ``parties * max_abs * 2^f < 2^63``. :class:`FixedPoint` checks the
declaration once and every encoded vector against it, raising :class:`FixedPointOverflow`
instead of silently wrapping. Precision: each value is off by at most ``2^-(f+1)``, so a
sum of ``n`` values is within ``n * 2^-(f+1)`` of the real sum (f = 24: 3e-8 per value).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from corridor.privacy.errors import FixedPointOverflow

RING_BITS = 64
DEFAULT_FRACTION_BITS = 24
_SIGNED_LIMIT = 2.0 ** (RING_BITS - 1)

RingVector = npt.NDArray[np.uint64]
FloatVector = npt.NDArray[np.float64]


@dataclass(frozen=True)
class FixedPoint:
    """An encoding: ``fraction_bits`` of precision for ``parties`` values bounded by ``max_abs``."""

    max_abs: float
    parties: int
    fraction_bits: int = DEFAULT_FRACTION_BITS

    def __post_init__(self) -> None:
        if not 0 <= self.fraction_bits <= RING_BITS - 2:
            raise FixedPointOverflow("fraction_bits must be in 0..62")
        if self.parties < 1 or not self.max_abs > 0:
            raise FixedPointOverflow("parties must be >= 1 and max_abs > 0")
        if self.parties * self.max_abs * self.scale >= _SIGNED_LIMIT:
            raise FixedPointOverflow(
                "declared range too wide for the ring: parties * max_abs * 2^f >= 2^63",
                detail={
                    "max_abs": self.max_abs,
                    "parties": self.parties,
                    "fraction_bits": self.fraction_bits,
                    "largest_max_abs": _SIGNED_LIMIT / (self.parties * self.scale),
                },
            )

    @property
    def scale(self) -> float:
        """The scaling factor ``2^f``."""
        return float(2**self.fraction_bits)

    @property
    def sum_error_bound(self) -> float:
        """The largest rounding error of a decoded sum of ``parties`` values."""
        return self.parties * 0.5 / self.scale

    def encode(self, values: npt.ArrayLike) -> RingVector:
        """Encode a real vector; refuse non-finite values and values beyond ``max_abs``."""
        array = np.asarray(values, dtype=np.float64)
        if array.ndim != 1:
            raise FixedPointOverflow("only one-dimensional vectors are encoded")
        if array.size == 0:
            return np.zeros(0, dtype=np.uint64)
        # min and max are NaN when any value is, so one pair of reductions checks both.
        low, high = float(array.min()), float(array.max())
        if not (np.isfinite(low) and np.isfinite(high)):
            raise FixedPointOverflow("values must be finite")
        if max(-low, high) > self.max_abs:
            raise FixedPointOverflow(
                "a value exceeds the declared max_abs",
                detail={"max_abs": self.max_abs, "largest": max(-low, high)},
            )
        scaled = array * self.scale
        np.rint(scaled, out=scaled)
        return scaled.astype(np.int64).view(np.uint64)

    def decode(self, ring: RingVector) -> FloatVector:
        """Decode a ring vector (typically a sum) back to reals."""
        return np.asarray(ring, dtype=np.uint64).view(np.int64).astype(np.float64) / self.scale


def ring_sum(vectors: list[RingVector]) -> RingVector:
    """Sum ring vectors modulo 2^64 (numpy's unsigned arithmetic wraps)."""
    if not vectors:
        raise ValueError("nothing to sum")
    total = vectors[0].copy()
    for vector in vectors[1:]:
        total += vector
    return total


def ring_to_bytes(vector: RingVector) -> bytes:
    """Little-endian bytes of a ring vector (the wire form)."""
    return np.asarray(vector, dtype="<u8").tobytes()


def ring_from_bytes(data: bytes, *, length: int | None = None) -> RingVector:
    """Parse the wire form; ``length`` (elements) is checked when given."""
    if len(data) % 8:
        raise FixedPointOverflow("a ring vector is a whole number of 8-byte elements")
    vector = np.frombuffer(data, dtype="<u8").astype(np.uint64)
    if length is not None and vector.size != length:
        raise FixedPointOverflow(f"expected {length} elements, got {vector.size}")
    return vector
