"""Secure aggregation inside an attested enclave, and the sealing every mode uses for measurement.

Each participant verifies the enclave's attestation itself (RFC 9334 passport-style: the
data center forwards the evidence, the hospital appraises it): the chain must end at the
pinned root, PCR0 must equal the measurement the hospital computes from the privacy
program it also holds, and the evidence's ``user_data`` binding must name this job. Only
then does it seal its input with HPKE (RFC 9180) to the enclave's attested key, with the
job, round and participant in the HPKE ``info`` so a sealed input cannot be replayed
into another round.

In ``enclave`` mode those sealed inputs *are* the aggregation: the host passes them to
the enclave, which opens and sums them and signs a manifest over the result. In the other
modes the same sealed copies go to the enclave only for measurement (Shapley values).
The host sees HPKE ciphertexts and the sum; the enclave sees each input.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey

from corridor.crypto.canonical import b64url_decode, b64url_encode, canonical_json
from corridor.crypto.envelopes import hpke_seal
from corridor.crypto.errors import CryptoError
from corridor.crypto.hashing import sha256_hex
from corridor.crypto.keys import ed25519_public_from_raw, x25519_public_from_raw
from corridor.crypto.signing import verify_ed25519
from corridor.enclave.attestation import verify_attestation
from corridor.enclave.errors import EvidenceRejected, UserDataInvalid
from corridor.enclave.manifest import parse_user_data
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
from corridor.privacy.errors import ParticipantDropped, ProtocolViolation
from corridor.privacy.fixedpoint import RingVector, ring_from_bytes, ring_to_bytes

PRIVACY_PROGRAM_MODULE = "corridor.privacy.enclave_program"
PRIVACY_PROGRAM_CONFIG: dict[str, Any] = {"program": "corridor-privacy", "version": 1}
CONTRIBUTION_INFO = b"corridor/privacy/contribution/v1|"
ENCLAVE_MANIFEST_TYPE = "corridor/privacy/enclave-manifest/v1"
_MANIFEST_CONTEXT = b"corridor/privacy/enclave-manifest/v1\n"
EVIDENCE_MAX_AGE = timedelta(hours=1)


def job_binding(job: str, spec_digest: str) -> bytes:
    """The ``user_data`` binding of a job's enclave: its id and spec digest."""
    return canonical_json({"job": job, "spec": spec_digest})


def contribution_info(job: str, round_number: int, participant: str) -> bytes:
    """HPKE ``info`` of one participant's sealed input for one round."""
    return CONTRIBUTION_INFO + f"{job}|{round_number}|{participant}".encode()


@dataclass(frozen=True)
class AttestedEnclaveKey:
    """The enclave's HPKE key and manifest key, as the hospital's own check found them."""

    public_key: X25519PublicKey
    manifest_key: bytes
    measurement: str


def appraise_privacy_enclave(
    evidence: bytes,
    *,
    root: x509.Certificate,
    expected_measurement: str,
    binding: bytes,
    at: datetime,
    evidence_format: str = "simulated",
) -> AttestedEnclaveKey:
    """A participant's own appraisal of the enclave it is asked to trust."""
    try:
        result = verify_attestation(
            evidence,
            at=at,
            max_age=EVIDENCE_MAX_AGE,
            trusted_roots=[root],
            evidence_format="simulated" if evidence_format == "simulated" else "nitro",
        )
        user_data = parse_user_data(result.user_data)
    except (EvidenceRejected, UserDataInvalid) as exc:
        raise ProtocolViolation(f"the enclave's evidence does not verify: {exc.message}") from exc
    if result.pcr0 != expected_measurement:
        raise ProtocolViolation("the enclave does not run the privacy program this node expects")
    if user_data.binding != binding:
        raise ProtocolViolation("the enclave's evidence is bound to another job")
    if result.public_key is None:
        raise ProtocolViolation("the enclave's evidence carries no public key")
    try:
        key = x25519_public_from_raw(result.public_key)
    except CryptoError as exc:
        raise ProtocolViolation("the enclave's public key is malformed") from exc
    return AttestedEnclaveKey(
        public_key=key, manifest_key=user_data.manifest_key, measurement=result.pcr0
    )


def seal_contribution(
    key: X25519PublicKey, vector: RingVector, *, job: str, round_number: int, participant: str
) -> str:
    """HPKE-seal a ring vector to the enclave; base64url text for the wire."""
    sealed = hpke_seal(
        key, ring_to_bytes(vector), contribution_info(job, round_number, participant)
    )
    return b64url_encode(sealed)


def manifest_message(manifest: Mapping[str, Any]) -> bytes:
    """The bytes the enclave signs for a privacy manifest."""
    return _MANIFEST_CONTEXT + canonical_json(dict(manifest))


def verify_enclave_manifest(
    manifest: Mapping[str, Any], signature: bytes, *, manifest_key: bytes, result: Mapping[str, Any]
) -> None:
    """Check the enclave's signature and that the manifest names this very result."""
    if manifest.get("type") != ENCLAVE_MANIFEST_TYPE:
        raise ProtocolViolation("not a privacy enclave manifest")
    try:
        verify_ed25519(ed25519_public_from_raw(manifest_key), signature, manifest_message(manifest))
    except CryptoError as exc:
        raise ProtocolViolation("the enclave manifest signature does not verify") from exc
    if manifest.get("output_digest") != "sha256:" + sha256_hex(canonical_json(dict(result))):
        raise ProtocolViolation("the enclave manifest names another result")


class EnclaveRunner(Protocol):
    """A running enclave session (``corridor.enclave.EnclaveSession.run``)."""

    def run(self, job: dict[str, Any]) -> dict[str, Any]:
        """Run one job inside the enclave."""
        ...


@dataclass
class EnclaveContributor:
    """A participant's side: its input provider already sealed it to the enclave."""

    spec: RoundSpec
    participant: str
    provide: InputProvider

    def respond(self, phase: str, message: Mapping[str, Any]) -> dict[str, Any]:
        """Answer ``open`` with the sealed input in ``extras``."""
        if phase != OPEN_PHASE:
            raise ProtocolViolation(f"unknown enclave phase {phase!r}")
        local = self.provide(message)
        if "sealed" not in local.extras:
            raise ProtocolViolation("enclave mode needs the input sealed to the enclave")
        return {"extras": dict(local.extras)}


@dataclass(frozen=True)
class EnclaveAggregator:
    """The host's side: forward sealed inputs to the enclave, check its signed sum."""

    runner: EnclaveRunner
    manifest_key: bytes

    @property
    def mode(self) -> AggregationMode:
        """``enclave``."""
        return "enclave"

    def aggregate(
        self, *, spec: RoundSpec, channel: PartyChannel, opening: Mapping[str, Any]
    ) -> AggregateOutcome:
        """One phase: collect sealed inputs, have the enclave sum them."""
        received: list[Received] = []
        extras: dict[str, dict[str, Any]] = {}
        for participant in spec.participants:
            try:
                answer = channel.exchange(participant, OPEN_PHASE, opening)
            except ParticipantDropped:
                continue
            received.append(Received(OPEN_PHASE, participant, answer))
            _, extras[participant] = split_extras(answer)
        contributors = sorted(extras)
        require_quorum(spec, contributors, OPEN_PHASE)
        answer = self.runner.run(
            {
                "op": "aggregate",
                "job": spec.job,
                "round": spec.round,
                "length": spec.length,
                "point": opening.get("point"),
                "contributions": {p: extras[p]["sealed"] for p in contributors},
            }
        )
        result = answer["result"]
        verify_enclave_manifest(
            answer["manifest"],
            b64url_decode(answer["signature"]),
            manifest_key=self.manifest_key,
            result=result,
        )
        total = ring_from_bytes(
            base64.urlsafe_b64decode(_padded(result["total"])), length=spec.length
        )
        return AggregateOutcome(
            total=total,
            contributors=tuple(contributors),
            dropped=tuple(sorted(set(spec.participants) - set(contributors))),
            received=tuple(received),
            extras=extras,
            evidence={"manifest": answer["manifest"], "signature": answer["signature"]},
        )


def _padded(text: str) -> str:
    return text + "=" * (-len(text) % 4)
