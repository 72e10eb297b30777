"""Shamir secret sharing (Shamir 1979) of short secrets over GF(2^521 - 1).

Used for dropout recovery in pairwise masking (Bonawitz et al., CCS 2017, §4): each
participant shares its mask-key seed and its self-mask seed ``t``-out-of-``n`` so the
aggregator can remove the masks of whoever drops out, but only with ``t`` helpers.
Secrets are at most 64 bytes; the prime is the Mersenne prime 2^521 - 1 (FIPS 186-4
P-521's field), comfortably above any 64-byte value.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from corridor.privacy.errors import ProtocolViolation
from corridor.privacy.randomness import RandomSource, random_below

PRIME = 2**521 - 1
MAX_SECRET_BYTES = 64


def split_secret(
    secret: bytes, *, threshold: int, holders: Sequence[int], rng: RandomSource
) -> dict[int, int]:
    """Shares of ``secret`` for each holder (x-coordinates ``holders``, all non-zero)."""
    if not 0 < len(secret) <= MAX_SECRET_BYTES:
        raise ValueError("secrets are 1..64 bytes")
    if not 1 <= threshold <= len(holders):
        raise ValueError("threshold must be between 1 and the number of holders")
    if len(set(holders)) != len(holders) or any(not 0 < x < PRIME for x in holders):
        raise ValueError("holder coordinates must be distinct and non-zero")
    # A length marker keeps leading zero bytes: the secret is 0x01 || secret.
    coefficients = [int.from_bytes(b"\x01" + secret, "big")]
    coefficients += [random_below(rng, PRIME) for _ in range(threshold - 1)]
    shares: dict[int, int] = {}
    for x in holders:
        value = 0
        for coefficient in reversed(coefficients):  # Horner's rule
            value = (value * x + coefficient) % PRIME
        shares[x] = value
    return shares


def combine_shares(shares: Mapping[int, int], *, threshold: int) -> bytes:
    """Recover the secret from at least ``threshold`` shares (Lagrange at x = 0)."""
    if len(shares) < threshold:
        raise ProtocolViolation(f"need {threshold} shares, have {len(shares)}")
    points = sorted(shares.items())[:threshold]
    secret = 0
    for i, (x_i, y_i) in enumerate(points):
        numerator, denominator = 1, 1
        for j, (x_j, _) in enumerate(points):
            if i != j:
                numerator = numerator * (-x_j) % PRIME
                denominator = denominator * (x_i - x_j) % PRIME
        secret = (secret + y_i * numerator * pow(denominator, -1, PRIME)) % PRIME
    raw = secret.to_bytes((secret.bit_length() + 7) // 8, "big")
    if not raw or raw[0] != 1:
        raise ProtocolViolation("the shares do not reconstruct a well-formed secret")
    return raw[1:]
