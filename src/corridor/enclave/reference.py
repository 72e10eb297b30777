"""Reference values: each regulator's signed list of the enclave measurements it approves.

Pure. In RATS terms (RFC 9334 §3.2, §8.3) the regulators are the Reference Value
Providers and co-owners of the appraisal policy: an enclave measurement counts only when
*every* required regulator has signed a statement that lists it for that program
version and evidence format, and the statement has not expired. Statements are canonical
JSON (RFC 8785) with a detached JWS (EdDSA) by the regulator's DID key, like compliance
decisions, so anyone holding the regulators' keys can check them offline.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from corridor.clock import from_rfc3339, to_rfc3339
from corridor.crypto.canonical import canonical_json
from corridor.crypto.errors import SignatureInvalid
from corridor.crypto.hashing import sha256_hex
from corridor.crypto.keys import SigningKeyPair
from corridor.crypto.signing import sign_detached_jws, verify_detached_jws
from corridor.enclave.errors import ReferenceValuesInvalid
from corridor.enclave.results import ATTESTATION_FORMATS

REFERENCE_TYPE = "corridor/reference-values/v1"
_MEASUREMENT = re.compile(r"^[0-9a-f]{64,128}$")
_BODY_KEYS = frozenset(
    {
        "type",
        "regulator",
        "program",
        "version",
        "format",
        "measurements",
        "config_digest",
        "approved_at",
        "expires_at",
    }
)


@dataclass(frozen=True)
class ReferenceProposal:
    """What the data center asks a regulator to approve: one program version's measurement."""

    program: str
    version: str
    evidence_format: str
    measurement: str
    config: dict[str, Any]

    @property
    def config_digest(self) -> str:
        """``sha256:`` of the canonical configuration the measurement covers."""
        return "sha256:" + sha256_hex(canonical_json(self.config))

    def to_json(self) -> dict[str, Any]:
        """Wire form."""
        return {
            "program": self.program,
            "version": self.version,
            "format": self.evidence_format,
            "measurement": self.measurement,
            "config": self.config,
        }

    @classmethod
    def from_json(cls, value: Any) -> ReferenceProposal:
        """Parse and check the wire form."""
        if not isinstance(value, dict) or set(value) != {
            "program",
            "version",
            "format",
            "measurement",
            "config",
        }:
            raise ReferenceValuesInvalid(
                "a proposal is {program, version, format, measurement, config}"
            )
        proposal = cls(
            program=str(value["program"]),
            version=str(value["version"]),
            evidence_format=str(value["format"]),
            measurement=str(value["measurement"]),
            config=value["config"] if isinstance(value["config"], dict) else {},
        )
        if proposal.evidence_format not in ATTESTATION_FORMATS:
            raise ReferenceValuesInvalid(f"unknown evidence format {proposal.evidence_format!r}")
        if not _MEASUREMENT.fullmatch(proposal.measurement):
            raise ReferenceValuesInvalid("measurement must be lower-case hex")
        return proposal


@dataclass(frozen=True)
class SignedReferenceValues:
    """A regulator's statement and its detached JWS over the canonical body."""

    body: dict[str, Any]
    jws: str

    def to_json(self) -> dict[str, Any]:
        """Wire form."""
        return {"body": self.body, "jws": self.jws}

    @classmethod
    def from_json(cls, value: Any) -> SignedReferenceValues:
        """Parse the wire form (the signature is checked by :func:`verify_reference_values`)."""
        if not isinstance(value, dict) or not isinstance(value.get("body"), dict):
            raise ReferenceValuesInvalid("signed reference values must be {body, jws}")
        return cls(body=value["body"], jws=str(value.get("jws", "")))

    @property
    def digest(self) -> str:
        """``sha256:`` of the canonical body."""
        return "sha256:" + sha256_hex(canonical_json(self.body))

    @property
    def regulator(self) -> str:
        """The DID the statement names as its signer."""
        return str(self.body.get("regulator", ""))


@dataclass(frozen=True)
class ApprovedReferenceValues:
    """A verified statement: who approved which measurements, for what, until when."""

    regulator: str
    program: str
    version: str
    evidence_format: str
    measurements: frozenset[str]
    approved_at: datetime
    expires_at: datetime
    digest: str


def sign_reference_values(
    *,
    proposal: ReferenceProposal,
    regulator: str,
    key: SigningKeyPair,
    kid: str,
    approved_at: datetime,
    expires_at: datetime,
) -> SignedReferenceValues:
    """The regulator's signature over the measurements it approves for ``proposal``."""
    body = {
        "type": REFERENCE_TYPE,
        "regulator": regulator,
        "program": proposal.program,
        "version": proposal.version,
        "format": proposal.evidence_format,
        "measurements": [proposal.measurement],
        "config_digest": proposal.config_digest,
        "approved_at": to_rfc3339(approved_at),
        "expires_at": to_rfc3339(expires_at),
    }
    return SignedReferenceValues(
        body=body, jws=sign_detached_jws(canonical_json(body), key, kid=kid)
    )


def verify_reference_values(
    signed: SignedReferenceValues, *, regulator_key: Ed25519PublicKey
) -> ApprovedReferenceValues:
    """Check the signature, the signer and the body's shape."""
    try:
        header = verify_detached_jws(signed.jws, canonical_json(signed.body), regulator_key)
    except SignatureInvalid as exc:
        raise ReferenceValuesInvalid("the regulator's signature does not verify") from exc
    body = signed.body
    if set(body) != _BODY_KEYS or body.get("type") != REFERENCE_TYPE:
        raise ReferenceValuesInvalid("not a Corridor reference-values statement")
    if header.kid.split("#", 1)[0] != body["regulator"]:
        raise ReferenceValuesInvalid("the statement was not signed by the regulator it names")
    measurements = body["measurements"]
    if not isinstance(measurements, list) or not all(
        isinstance(m, str) and _MEASUREMENT.fullmatch(m) for m in measurements
    ):
        raise ReferenceValuesInvalid("measurements must be lower-case hex strings")
    try:
        approved_at = from_rfc3339(str(body["approved_at"]))
        expires_at = from_rfc3339(str(body["expires_at"]))
    except ValueError as exc:
        raise ReferenceValuesInvalid("approved_at/expires_at must be RFC 3339") from exc
    return ApprovedReferenceValues(
        regulator=str(body["regulator"]),
        program=str(body["program"]),
        version=str(body["version"]),
        evidence_format=str(body["format"]),
        measurements=frozenset(measurements),
        approved_at=approved_at,
        expires_at=expires_at,
        digest=signed.digest,
    )


def approved_by_all(
    approvals: Sequence[ApprovedReferenceValues],
    *,
    required: Collection[str],
    evidence_format: str,
    at: datetime,
) -> frozenset[str]:
    """The measurements every required regulator approves for ``evidence_format`` at ``at``.

    An empty set of required regulators approves nothing: a policy nobody co-signed must
    not mean "anything goes".
    """
    if not required:
        return frozenset()
    per_regulator: dict[str, set[str]] = {regulator: set() for regulator in required}
    for approval in approvals:
        if (
            approval.regulator in per_regulator
            and approval.evidence_format == evidence_format
            and approval.approved_at <= at < approval.expires_at
        ):
            per_regulator[approval.regulator] |= approval.measurements
    return frozenset(set.intersection(*per_regulator.values()))


def missing_approvals(
    approvals: Sequence[ApprovedReferenceValues],
    *,
    required: Collection[str],
    evidence_format: str,
    measurement: str,
    at: datetime,
) -> list[str]:
    """The required regulators that have not (or no longer) approved ``measurement``."""
    return sorted(
        regulator
        for regulator in required
        if measurement
        not in approved_by_all(
            approvals, required=[regulator], evidence_format=evidence_format, at=at
        )
    )
