"""Signed decisions: a regulator's decision as a portable, verifiable document.

Pure. The body is canonical JSON (RFC 8785) signed with a detached JWS by the regulator's
DID key, so the key broker, the recipient and auditors can check it offline.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from corridor.compliance.errors import DecisionInvalid
from corridor.compliance.models import Decision
from corridor.crypto.canonical import canonical_json
from corridor.crypto.errors import SignatureInvalid
from corridor.crypto.hashing import sha256_hex
from corridor.crypto.keys import SigningKeyPair
from corridor.crypto.signing import sign_detached_jws, verify_detached_jws


@dataclass(frozen=True)
class SignedDecision:
    """A decision body and the regulator's detached JWS over its canonical bytes."""

    body: dict[str, Any]
    jws: str

    def to_json(self) -> dict[str, Any]:
        """Wire form."""
        return {"body": self.body, "jws": self.jws}

    @classmethod
    def from_json(cls, value: Any) -> SignedDecision:
        """Parse the wire form."""
        if not isinstance(value, dict) or not isinstance(value.get("body"), dict):
            raise DecisionInvalid("signed decision must be {body, jws}")
        return cls(body=value["body"], jws=str(value.get("jws", "")))

    @property
    def digest(self) -> str:
        """``sha256:<hex>`` of the canonical body."""
        return "sha256:" + sha256_hex(canonical_json(self.body))


@dataclass(frozen=True)
class VerifiedDecision:
    """A decision whose signature and binding were checked."""

    transfer: str
    regulator: str
    jurisdiction: str
    time: str
    facts_digest: str
    decision: Decision
    digest: str


def sign_decision(
    *,
    decision: Decision,
    transfer: str,
    regulator: str,
    jurisdiction: str,
    time: str,
    facts_digest: str,
    key: SigningKeyPair,
    kid: str,
) -> SignedDecision:
    """Sign ``decision`` for ``transfer`` as ``regulator``."""
    body = {
        "type": "corridor.compliance-decision/v1",
        "transfer": transfer,
        "regulator": regulator,
        "jurisdiction": jurisdiction,
        "time": time,
        "facts_digest": facts_digest,
        "decision": decision.to_json(),
    }
    return SignedDecision(body=body, jws=sign_detached_jws(canonical_json(body), key, kid=kid))


def verify_signed_decision(
    signed: SignedDecision, *, regulator_key: Ed25519PublicKey, transfer: str
) -> VerifiedDecision:
    """Check the signature and that the decision is about ``transfer``."""
    try:
        header = verify_detached_jws(signed.jws, canonical_json(signed.body), regulator_key)
    except SignatureInvalid as exc:
        raise DecisionInvalid("regulator signature on the decision does not verify") from exc
    body = signed.body
    if body.get("type") != "corridor.compliance-decision/v1":
        raise DecisionInvalid("not a Corridor compliance decision")
    if body.get("transfer") != transfer:
        raise DecisionInvalid("decision is for another transfer")
    if header.kid.split("#", 1)[0] != body.get("regulator"):
        raise DecisionInvalid("decision was not signed by the regulator it names")
    try:
        decision = Decision.from_json(body["decision"])
    except (KeyError, TypeError) as exc:
        raise DecisionInvalid(f"decision body is malformed: {exc}") from exc
    return VerifiedDecision(
        transfer=transfer,
        regulator=str(body["regulator"]),
        jurisdiction=str(body.get("jurisdiction", "")),
        time=str(body.get("time", "")),
        facts_digest=str(body.get("facts_digest", "")),
        decision=decision,
        digest=signed.digest,
    )
