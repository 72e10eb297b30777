"""Secure aggregation with the Paillier cryptosystem (Paillier, EUROCRYPT 1999) via ``phe``.

One participant, the round's *key holder*, draws a key pair and publishes the public key;
everyone encrypts its ring vector under it; the aggregator multiplies ciphertexts (which
adds plaintexts) and asks the key holder to decrypt the one aggregate. The aggregator sees
only ciphertexts and the sum; the key holder sees only the aggregate (it refuses to
decrypt twice in a round). Security rests on the aggregator and the key holder not
colluding: together they could decrypt a single participant's ciphertexts.

Packing: several 64-bit ring elements share one plaintext, each in a slot wide enough
that summing ``parties`` of them never carries into the next slot
(``64 + bit_length(parties)`` bits), so a 2048-bit key carries 30 elements per
ciphertext. Encryption randomness ``r`` and the primes come from the injected
:class:`~corridor.privacy.randomness.RandomSource` (``phe.raw_encrypt(m, r_value=r)``).
gmpy2, when installed, makes ``phe``'s modular exponentiation fast.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import gmpy2
import numpy as np
from phe import paillier

from corridor.privacy.aggregation import (
    OPEN_PHASE,
    AggregateOutcome,
    AggregationMode,
    InputProvider,
    PartyChannel,
    Received,
    RoundSpec,
    require_quorum,
    split_extras,
)
from corridor.privacy.errors import AggregationAborted, ParticipantDropped, ProtocolViolation
from corridor.privacy.fixedpoint import RING_BITS, RingVector
from corridor.privacy.randomness import RandomSource, random_below

ENCRYPT_PHASE, DECRYPT_PHASE = "encrypt", "decrypt"
DEFAULT_KEY_BITS = 2048  # ~112-bit security (NIST SP 800-57 Part 1, Table 2)


def generate_keypair(
    rng: RandomSource, *, bits: int = DEFAULT_KEY_BITS
) -> tuple[paillier.PaillierPublicKey, paillier.PaillierPrivateKey]:
    """A Paillier key pair whose primes come from ``rng``."""

    def prime() -> int:
        candidate = int.from_bytes(rng.token_bytes(bits // 16), "big")
        candidate |= (3 << (bits // 2 - 2)) | 1  # top two bits set: n has exactly ``bits`` bits
        return int(gmpy2.next_prime(candidate))

    while True:
        p, q = prime(), prime()
        if p != q and (p * q).bit_length() == bits:
            public = paillier.PaillierPublicKey(p * q)
            return public, paillier.PaillierPrivateKey(public, p, q)


def slot_bits(parties: int) -> int:
    """Bits per packed slot so that ``parties`` ring elements add without carry."""
    return RING_BITS + parties.bit_length()


def slots_per_ciphertext(key_bits: int, parties: int) -> int:
    """How many ring elements one plaintext carries."""
    return (key_bits - 2) // slot_bits(parties)


def pack(vector: RingVector, *, key_bits: int, parties: int) -> list[int]:
    """Pack ring elements into plaintext integers, slot 0 in the lowest bits."""
    width, per = slot_bits(parties), slots_per_ciphertext(key_bits, parties)
    values = [int(v) for v in vector]
    packed: list[int] = []
    for start in range(0, len(values), per):
        plaintext = 0
        for offset, value in enumerate(values[start : start + per]):
            plaintext |= value << (width * offset)
        packed.append(plaintext)
    return packed


def unpack(plaintexts: list[int], *, length: int, key_bits: int, parties: int) -> RingVector:
    """Unpack summed plaintexts and reduce each slot modulo 2^64 (the ring)."""
    width, per = slot_bits(parties), slots_per_ciphertext(key_bits, parties)
    slot_mask, ring_mask = (1 << width) - 1, (1 << RING_BITS) - 1
    out = np.zeros(length, dtype=np.uint64)
    for block, plaintext in enumerate(plaintexts):
        for offset in range(per):
            index = block * per + offset
            if index >= length:
                break
            out[index] = ((plaintext >> (width * offset)) & slot_mask) & ring_mask
    return out


def encrypt_packed(
    public: paillier.PaillierPublicKey, plaintexts: list[int], rng: RandomSource
) -> list[int]:
    """Encrypt each packed plaintext with fresh randomness r in [1, n)."""
    return [
        int(public.raw_encrypt(m, r_value=1 + random_below(rng, public.n - 1))) for m in plaintexts
    ]


def add_ciphertexts(public: paillier.PaillierPublicKey, columns: list[list[int]]) -> list[int]:
    """Homomorphic sum: multiply the participants' ciphertexts slot-wise modulo n^2."""
    modulus = gmpy2.mpz(public.nsquare)
    total = [gmpy2.mpz(c) for c in columns[0]]
    for column in columns[1:]:
        if len(column) != len(total):
            raise ProtocolViolation("participants sent different numbers of ciphertexts")
        total = [a * gmpy2.mpz(b) % modulus for a, b in zip(total, column, strict=True)]
    return [int(c) for c in total]


def _to_bytes(values: list[int], width: int) -> bytes:
    return b"".join(v.to_bytes(width, "big") for v in values)


def _from_bytes(data: Any, width: int) -> list[int]:
    if not isinstance(data, bytes) or len(data) % width:
        raise ProtocolViolation("ciphertexts must be bytes of whole ciphertexts")
    return [int.from_bytes(data[i : i + width], "big") for i in range(0, len(data), width)]


@dataclass
class PaillierContributor:
    """A participant's side of a Paillier round (and the key holder's, when it is one)."""

    spec: RoundSpec
    participant: str
    provide: InputProvider
    rng: RandomSource
    key_bits: int = DEFAULT_KEY_BITS
    _vector: RingVector | None = None
    _private: paillier.PaillierPrivateKey | None = None
    _decrypted: bool = False

    def respond(self, phase: str, message: Mapping[str, Any]) -> dict[str, Any]:
        """Answer ``open``, ``encrypt`` or (key holder only) ``decrypt``."""
        if phase == OPEN_PHASE:
            local = self.provide(message)
            self._vector = local.vector
            answer: dict[str, Any] = {"extras": dict(local.extras)}
            if message.get("key_holder") == self.participant:
                public, self._private = generate_keypair(self.rng, bits=self.key_bits)
                answer["public_key"] = hex(public.n)
            return answer
        if phase == ENCRYPT_PHASE:
            if self._vector is None:
                raise ProtocolViolation("encrypt phase out of order")
            public = paillier.PaillierPublicKey(int(str(message["public_key"]), 16))
            if public.n.bit_length() != self.key_bits:
                raise ProtocolViolation("the public key has the wrong size")
            packed = pack(self._vector, key_bits=self.key_bits, parties=len(self.spec.participants))
            self._vector = None
            ciphertexts = encrypt_packed(public, packed, self.rng)
            return {"ciphertexts": _to_bytes(ciphertexts, self.key_bits // 4)}
        if phase == DECRYPT_PHASE:
            return self._decrypt(message)
        raise ProtocolViolation(f"unknown Paillier phase {phase!r}")

    def _decrypt(self, message: Mapping[str, Any]) -> dict[str, Any]:
        if self._private is None or self._decrypted:
            raise ProtocolViolation("only the key holder decrypts, and only once per round")
        contributors = list(message.get("contributors", ()))
        if len(contributors) < max(self.spec.threshold, 2) or not set(contributors) <= set(
            self.spec.participants
        ):
            # One contributor's "sum" is its input: refuse to decrypt it.
            raise ProtocolViolation("refusing to decrypt an aggregate of too few participants")
        self._decrypted = True
        ciphertexts = _from_bytes(message["ciphertexts"], self.key_bits // 4)
        plaintexts = [int(self._private.raw_decrypt(c)) for c in ciphertexts]
        return {"plaintexts": _to_bytes(plaintexts, self.key_bits // 8)}


@dataclass(frozen=True)
class PaillierAggregator:
    """The coordinator's side: collect ciphertexts, multiply, have the holder decrypt."""

    key_bits: int = DEFAULT_KEY_BITS

    @property
    def mode(self) -> AggregationMode:
        """``paillier``."""
        return "paillier"

    def aggregate(
        self, *, spec: RoundSpec, channel: PartyChannel, opening: Mapping[str, Any]
    ) -> AggregateOutcome:
        """Run open, encrypt and decrypt; dropouts are left out, the key holder is required."""
        holder = str(opening.get("key_holder") or spec.participants[0])
        opening = {**opening, "key_holder": holder}
        received: list[Received] = []
        extras: dict[str, dict[str, Any]] = {}
        public_hex = ""
        for participant in spec.participants:
            try:
                answer = channel.exchange(participant, OPEN_PHASE, opening)
            except ParticipantDropped:
                continue
            received.append(Received(OPEN_PHASE, participant, answer))
            body, extras[participant] = split_extras(answer)
            if participant == holder:
                public_hex = str(body["public_key"])
        if not public_hex:
            raise AggregationAborted("the Paillier key holder did not answer")
        require_quorum(spec, sorted(extras), OPEN_PHASE)
        columns: dict[str, list[int]] = {}
        for participant in sorted(extras):
            try:
                answer = channel.exchange(participant, ENCRYPT_PHASE, {"public_key": public_hex})
            except ParticipantDropped:
                continue
            received.append(Received(ENCRYPT_PHASE, participant, answer))
            columns[participant] = _from_bytes(answer["ciphertexts"], self.key_bits // 4)
        contributors = sorted(columns)
        require_quorum(spec, contributors, ENCRYPT_PHASE)
        public = paillier.PaillierPublicKey(int(public_hex, 16))
        aggregate = add_ciphertexts(public, [columns[p] for p in contributors])
        try:
            answer = channel.exchange(
                holder,
                DECRYPT_PHASE,
                {
                    "ciphertexts": _to_bytes(aggregate, self.key_bits // 4),
                    "contributors": contributors,
                },
            )
        except ParticipantDropped as exc:
            raise AggregationAborted("the Paillier key holder dropped before decrypting") from exc
        received.append(Received(DECRYPT_PHASE, holder, answer))
        total = unpack(
            _from_bytes(answer["plaintexts"], self.key_bits // 8),
            length=spec.length,
            key_bits=self.key_bits,
            parties=len(spec.participants),
        )
        return AggregateOutcome(
            total=total,
            contributors=tuple(contributors),
            dropped=tuple(sorted(set(spec.participants) - set(contributors))),
            received=tuple(received),
            extras={p: extras[p] for p in contributors},
        )
