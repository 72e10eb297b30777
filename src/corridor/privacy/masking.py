"""Secure aggregation by pairwise masking with dropout recovery (Bonawitz et al., CCS 2017).

The protocol shape of the paper's semi-honest variant (§4, Figure 4), with the key
advertisements signed by each participant's node key so the aggregator cannot substitute
keys (the paper's active-adversary remedy, §4.4):

0. ``open`` (AdvertiseKeys): each participant u computes its input x_u and draws two
   X25519 pairs: c_u (encrypts shares) and s_u (agrees mask seeds); it signs both publics.
1. ``share`` (ShareKeys): given every advertisement, u checks the signatures, draws a
   self-mask seed b_u and Shamir-shares (t-of-n) both b_u and s_u's private key among the
   participants; each share pair travels AES-256-GCM-encrypted under a key agreed from c.
2. ``masked`` (MaskedInputCollection): u sends
   y_u = x_u + PRG(b_u) + sum_{v>u} PRG(s_uv) - sum_{v<u} PRG(s_uv)  (mod 2^64),
   where s_uv = X25519(s_u, s_v). Pairwise masks cancel in the sum.
3. ``unmask`` (Unmasking): given the survivors U3, each helper returns its shares of b_v
   for v in U3 and of s_v for v that dropped after sharing; a helper never reveals both
   for the same v. The aggregator rebuilds those seeds and strips the masks.

The aggregator learns the sum of the survivors' inputs and nothing else about any x_u: a
y_u is uniformly distributed given everything it sees (each carries the unknown b_u).
The PRG is AES-128-CTR keyed by HKDF-SHA256 of the seed and the job, round and pair.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from corridor.crypto.canonical import b64url_decode, b64url_encode, canonical_json
from corridor.errors import CorridorError
from corridor.privacy.aggregation import (
    OPEN_PHASE,
    AggregateOutcome,
    AggregationMode,
    InputProvider,
    PartyChannel,
    Received,
    RoundSpec,
    Signer,
    Verifier,
    require_quorum,
    split_extras,
)
from corridor.privacy.errors import ParticipantDropped, ProtocolViolation
from corridor.privacy.fixedpoint import RingVector, ring_from_bytes, ring_to_bytes
from corridor.privacy.randomness import RandomSource
from corridor.privacy.shamir import combine_shares, split_secret

SHARE_PHASE, MASKED_PHASE, UNMASK_PHASE = "share", "masked", "unmask"
_ADVERTISEMENT_TYPE = "corridor/privacy/advertisement/v1"
_PRG_INFO = b"corridor/privacy/prg/v1|"
_SHARE_INFO = b"corridor/privacy/share/v1|"
_ZEROS = bytearray()  # grows to the longest vector seen; AES-CTR encrypts zeros into masks


def _public_raw(key: X25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def _hkdf(secret: bytes, info: bytes, size: int) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=size, salt=None, info=info).derive(secret)


def expand_mask(seed: bytes, label: bytes, length: int) -> RingVector:
    """PRG(seed): ``length`` pseudo-random ring elements (AES-128-CTR keystream)."""
    global _ZEROS  # noqa: PLW0603  # a reusable zero buffer, never written
    size = 8 * length
    if len(_ZEROS) < size:
        _ZEROS = bytearray(size)
    key = _hkdf(seed, _PRG_INFO + label, 16)
    encryptor = Cipher(algorithms.AES(key), modes.CTR(bytes(16))).encryptor()
    out = np.empty(length + 2, dtype=np.uint64)  # update_into wants block-1 spare bytes
    encryptor.update_into(memoryview(_ZEROS)[:size], out.view(np.uint8).data)
    return out[:length]


def _as_bytes(value: Any) -> bytes:
    if not isinstance(value, bytes):
        raise ProtocolViolation("a masked input must be bytes")
    return value


def advertisement_bytes(spec: RoundSpec, participant: str, cipher: str, mask: str) -> bytes:
    """What a participant signs when it advertises its round keys."""
    return canonical_json(
        {
            "type": _ADVERTISEMENT_TYPE,
            "job": spec.job,
            "round": spec.round,
            "participant": participant,
            "cipher_key": cipher,
            "mask_key": mask,
        }
    )


def _pair_label(spec: RoundSpec, first: str, second: str) -> bytes:
    low, high = sorted((first, second))
    return spec.label() + f"|{low}|{high}".encode()


def _share_key(own: X25519PrivateKey, peer: bytes, spec: RoundSpec, sender: str, to: str) -> bytes:
    shared = own.exchange(X25519PublicKey.from_public_bytes(peer))
    return _hkdf(shared, _SHARE_INFO + _pair_label(spec, sender, to), 32)


@dataclass
class MaskingContributor:
    """A participant's side of one masked round. Keeps its secrets in memory only."""

    spec: RoundSpec
    participant: str
    provide: InputProvider
    rng: RandomSource
    sign: Signer
    verify: Verifier
    _vector: RingVector | None = None
    _cipher: X25519PrivateKey | None = None
    _mask: X25519PrivateKey | None = None
    _self_seed: bytes = b""
    _keys: dict[str, dict[str, str]] = field(default_factory=dict)
    _inbox: dict[str, tuple[int, int]] = field(default_factory=dict)
    _own_shares: tuple[int, int] = (0, 0)
    _senders: tuple[str, ...] = ()
    _unmasked: bool = False

    def respond(self, phase: str, message: Mapping[str, Any]) -> dict[str, Any]:
        """Answer ``open``, ``share``, ``masked`` or ``unmask``."""
        if phase == OPEN_PHASE:
            return self._advertise(message)
        if phase == SHARE_PHASE:
            return self._share(message)
        if phase == MASKED_PHASE:
            return self._masked(message)
        if phase == UNMASK_PHASE:
            return self._unmask(message)
        raise ProtocolViolation(f"unknown masking phase {phase!r}")

    def _advertise(self, message: Mapping[str, Any]) -> dict[str, Any]:
        if self._cipher is not None:
            raise ProtocolViolation("keys for this round were already advertised")
        local = self.provide(message)
        if local.vector.shape != (self.spec.length,):
            raise ProtocolViolation("the local input has the wrong length")
        self._vector = local.vector
        self._cipher = X25519PrivateKey.from_private_bytes(self.rng.token_bytes(32))
        self._mask = X25519PrivateKey.from_private_bytes(self.rng.token_bytes(32))
        cipher = b64url_encode(_public_raw(self._cipher))
        mask = b64url_encode(_public_raw(self._mask))
        signature = self.sign(advertisement_bytes(self.spec, self.participant, cipher, mask))
        return {
            "cipher_key": cipher,
            "mask_key": mask,
            "signature": b64url_encode(signature),
            "extras": dict(local.extras),
        }

    def _share(self, message: Mapping[str, Any]) -> dict[str, Any]:
        if self._cipher is None or self._mask is None or self._keys:
            raise ProtocolViolation("share phase out of order")
        adverts = message.get("advertisements")
        if not isinstance(adverts, Mapping) or self.participant not in adverts:
            raise ProtocolViolation("the advertisements must include this participant")
        holders = sorted(adverts)
        if len(holders) < self.spec.threshold or not set(holders) <= set(self.spec.participants):
            raise ProtocolViolation("advertisements from too few or unknown participants")
        for peer in holders:
            advert = adverts[peer]
            try:
                self.verify(
                    peer,
                    advertisement_bytes(self.spec, peer, advert["cipher_key"], advert["mask_key"]),
                    b64url_decode(advert["signature"]),
                )
            except CorridorError as exc:
                raise ProtocolViolation(f"the key advertisement of {peer} is not signed") from exc
            self._keys[peer] = {"cipher": advert["cipher_key"], "mask": advert["mask_key"]}
        if self._keys[self.participant]["mask"] != b64url_encode(_public_raw(self._mask)):
            raise ProtocolViolation("the aggregator altered this participant's advertisement")
        self._self_seed = self.rng.token_bytes(32)
        xs = [self.spec.index(peer) for peer in holders]
        mask_secret = self._mask.private_bytes_raw()
        key_shares = split_secret(
            mask_secret, threshold=self.spec.threshold, holders=xs, rng=self.rng
        )
        seed_shares = split_secret(
            self._self_seed, threshold=self.spec.threshold, holders=xs, rng=self.rng
        )
        out: dict[str, str] = {}
        for peer in holders:
            x = self.spec.index(peer)
            if peer == self.participant:
                self._own_shares = (key_shares[x], seed_shares[x])
                continue
            key = _share_key(
                self._cipher,
                b64url_decode(self._keys[peer]["cipher"]),
                self.spec,
                self.participant,
                peer,
            )
            nonce = self.rng.token_bytes(12)
            plaintext = canonical_json({"key": hex(key_shares[x]), "seed": hex(seed_shares[x])})
            aad = (
                _pair_label(self.spec, self.participant, peer)
                + f"|{self.participant}>{peer}".encode()
            )
            out[peer] = b64url_encode(nonce + AESGCM(key).encrypt(nonce, plaintext, aad))
        return {"shares": out}

    def _open_share(self, sender: str, sealed: str) -> tuple[int, int]:
        assert self._cipher is not None
        key = _share_key(
            self._cipher,
            b64url_decode(self._keys[sender]["cipher"]),
            self.spec,
            sender,
            self.participant,
        )
        raw = b64url_decode(sealed)
        aad = (
            _pair_label(self.spec, sender, self.participant)
            + f"|{sender}>{self.participant}".encode()
        )
        try:
            body = AESGCM(key).decrypt(raw[:12], raw[12:], aad)
        except InvalidTag as exc:
            raise ProtocolViolation(f"the share from {sender} does not open") from exc
        parsed = json.loads(body)
        return int(parsed["key"], 16), int(parsed["seed"], 16)

    def _masked(self, message: Mapping[str, Any]) -> dict[str, Any]:
        if not self._keys or self._senders or self._vector is None or self._mask is None:
            raise ProtocolViolation("masked phase out of order")
        senders = tuple(sorted(message.get("senders", ())))
        inbox = message.get("inbox", {})
        if self.participant not in senders or not set(senders) <= set(self._keys):
            raise ProtocolViolation("the share senders must include this participant")
        if len(senders) < self.spec.threshold:
            raise ProtocolViolation("too few participants shared their keys")
        for sender in senders:
            if sender != self.participant:
                self._inbox[sender] = self._open_share(sender, str(inbox[sender]))
        self._senders = senders
        masked = self._vector + expand_mask(
            self._self_seed, self.spec.label() + b"|self", self.spec.length
        )
        for peer in senders:
            if peer == self.participant:
                continue
            peer_key = X25519PublicKey.from_public_bytes(b64url_decode(self._keys[peer]["mask"]))
            pad = expand_mask(
                self._mask.exchange(peer_key),
                _pair_label(self.spec, self.participant, peer),
                self.spec.length,
            )
            if self.participant < peer:
                masked += pad
            else:
                masked -= pad
        self._vector = None  # the plain input is no longer needed
        return {"masked": ring_to_bytes(masked)}  # bytes: the wire codec encodes them

    def _unmask(self, message: Mapping[str, Any]) -> dict[str, Any]:
        if not self._senders or self._unmasked:
            raise ProtocolViolation("unmask phase out of order")
        survivors = set(message.get("survivors", ()))
        dropped = set(self._senders) - survivors
        if not survivors <= set(self._senders) or self.participant not in survivors:
            raise ProtocolViolation("survivors must be share senders, including this participant")
        if len(survivors) < self.spec.threshold:
            # Revealing seeds for fewer than t survivors could expose an individual input.
            raise ProtocolViolation("fewer survivors than the threshold: refusing to unmask")
        self._unmasked = True
        shares = dict(self._inbox)
        shares[self.participant] = self._own_shares
        return {
            "seed_shares": {peer: hex(shares[peer][1]) for peer in sorted(survivors)},
            "key_shares": {peer: hex(shares[peer][0]) for peer in sorted(dropped)},
        }


class MaskingAggregator:
    """The coordinator's side: routes keys and shares, collects masked inputs, unmasks."""

    @property
    def mode(self) -> AggregationMode:
        """``masking``."""
        return "masking"

    def aggregate(
        self, *, spec: RoundSpec, channel: PartyChannel, opening: Mapping[str, Any]
    ) -> AggregateOutcome:
        """Run the four phases; survives up to ``n - threshold`` dropouts."""
        received: list[Received] = []
        extras: dict[str, dict[str, Any]] = {}

        def ask(phase: str, messages: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
            answers: dict[str, dict[str, Any]] = {}
            for participant, outgoing in messages.items():
                try:
                    answer = channel.exchange(participant, phase, outgoing)
                except ParticipantDropped:
                    continue
                received.append(Received(phase, participant, answer))
                answers[participant] = answer
            require_quorum(spec, sorted(answers), phase)
            return answers

        adverts: dict[str, dict[str, Any]] = {}
        opened = ask(OPEN_PHASE, dict.fromkeys(spec.participants, opening))
        for participant, answer in opened.items():
            body, extras[participant] = split_extras(answer)
            adverts[participant] = body
        shared = ask(SHARE_PHASE, {p: {"advertisements": adverts} for p in adverts})
        senders = sorted(shared)
        inboxes = {
            peer: {sender: shared[sender]["shares"][peer] for sender in senders if sender != peer}
            for peer in senders
        }
        masked = ask(
            MASKED_PHASE, {peer: {"inbox": inboxes[peer], "senders": senders} for peer in senders}
        )
        survivors = sorted(masked)
        dropped = sorted(set(senders) - set(survivors))
        unmasked = ask(UNMASK_PHASE, {p: {"survivors": survivors} for p in survivors})
        total = np.zeros(spec.length, dtype=np.uint64)
        for peer in survivors:
            total += ring_from_bytes(_as_bytes(masked[peer]["masked"]), length=spec.length)
        for peer in survivors:
            seed = self._combine(spec, unmasked, "seed_shares", peer)
            total -= expand_mask(seed, spec.label() + b"|self", spec.length)
        for gone in dropped:
            secret = X25519PrivateKey.from_private_bytes(
                self._combine(spec, unmasked, "key_shares", gone)
            )
            for peer in survivors:
                peer_key = X25519PublicKey.from_public_bytes(
                    b64url_decode(adverts[peer]["mask_key"])
                )
                pad = expand_mask(
                    secret.exchange(peer_key), _pair_label(spec, peer, gone), spec.length
                )
                if peer < gone:  # the survivor added this pad; take it back out
                    total -= pad
                else:
                    total += pad
        return AggregateOutcome(
            total=total,
            contributors=tuple(survivors),
            dropped=tuple(sorted(set(spec.participants) - set(survivors))),
            received=tuple(received),
            extras={peer: extras[peer] for peer in survivors},
        )

    @staticmethod
    def _combine(
        spec: RoundSpec, answers: Mapping[str, Mapping[str, Any]], kind: str, owner: str
    ) -> bytes:
        shares = {
            spec.index(helper): int(answer[kind][owner], 16)
            for helper, answer in answers.items()
            if owner in answer.get(kind, {})
        }
        return combine_shares(shares, threshold=spec.threshold)
