"""Signed consents and revocations: detached JWS by the patient's ``did:key``.

A consent is signed as a detached compact JWS (RFC 7515 Appendix F) over the RFC 8785
canonical bytes of the FHIR ``Consent`` resource, with ``kid`` the patient's did:key URL
and ``typ`` naming what is signed, so that a signature over one kind of document can
never be presented as the other. A revocation is signed the same way over
``{"consent": <digest>, "revoked_at": <RFC 3339>, "reason": <text>}``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from corridor.clock import from_rfc3339, to_rfc3339
from corridor.consent.errors import ConsentSignatureInvalid, InvalidConsent, RevocationInvalid
from corridor.consent.models import ConsentTerms
from corridor.consent.resource import build_consent_resource, terms_from_resource
from corridor.crypto.canonical import b64url_decode, b64url_encode, canonical_json, parse_json
from corridor.crypto.errors import CryptoError
from corridor.crypto.hashing import sha256_hex
from corridor.crypto.keys import SigningKeyPair, did_key_from_public, public_key_from_did_key
from corridor.crypto.signing import sign_detached_jws, verify_detached_jws

CONSENT_JWS_TYPE = "corridor-consent+jws"
REVOCATION_JWS_TYPE = "corridor-revocation+jws"
_MAX_REASON_CHARS = 500


def consent_digest(resource: dict[str, Any]) -> str:
    """``sha256:<hex>`` of the canonical Consent resource: how the chain names a consent."""
    return "sha256:" + sha256_hex(canonical_json(resource))


def _did_key_url(did: str) -> str:
    # did:key method §3.1.2: the key's fragment is the method-specific identifier itself.
    return f"{did}#{did.removeprefix('did:key:')}"


def _check_compact_encoding(
    jws: str, error: type[ConsentSignatureInvalid | RevocationInvalid]
) -> None:
    # base64url leaves spare bits in the last character; refuse any encoding other than
    # the canonical one, so that changing any single byte of a signed file is detected.
    for part in jws.split("."):
        if not part:
            continue
        try:
            if b64url_encode(b64url_decode(part)) != part:
                raise error("JWS uses a non-canonical base64url encoding")
        except ValueError as exc:
            raise error("JWS is not base64url") from exc


def _verify_by_did(
    jws: str,
    payload: bytes,
    *,
    expected_type: str,
    error: type[ConsentSignatureInvalid | RevocationInvalid],
) -> str:
    """Verify a patient JWS; return the did:key that signed it (taken from ``kid``)."""
    if not isinstance(jws, str):
        raise error("JWS must be a string")
    _check_compact_encoding(jws, error)
    try:
        header_part = jws.split(".", 1)[0]
        header = parse_json(b64url_decode(header_part))
    except (ValueError, CryptoError) as exc:
        raise error("JWS header is not decodable") from exc
    if not isinstance(header, dict):
        raise error("JWS header is not a JSON object")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid.startswith("did:key:"):
        raise error("JWS kid must be a did:key URL")
    signer = kid.split("#", 1)[0]
    if kid != _did_key_url(signer):
        raise error("JWS kid must be the did:key's own key URL")
    try:
        verified = verify_detached_jws(jws, payload, public_key_from_did_key(signer))
    except CryptoError as exc:
        raise error(f"signature does not verify: {exc.message}") from exc
    if verified.extra.get("typ") != expected_type:
        raise error(f"JWS typ must be {expected_type!r}")
    return signer


@dataclass(frozen=True)
class SignedConsent:
    """A Consent resource and the patient's detached JWS over its canonical bytes."""

    resource: dict[str, Any]
    jws: str

    def to_json(self) -> dict[str, Any]:
        """The file form ``{"resource": {...}, "jws": "..."}``."""
        return {"resource": self.resource, "jws": self.jws}

    def to_bytes(self) -> bytes:
        """Canonical JSON of :meth:`to_json`: what ``consent.json`` files hold."""
        return canonical_json(self.to_json())

    @classmethod
    def from_json(cls, value: Any) -> SignedConsent:
        """Parse the file form; the resource is checked later, by verification."""
        if not isinstance(value, dict) or set(value) != {"resource", "jws"}:
            raise InvalidConsent('a signed consent is exactly {"resource": ..., "jws": ...}')
        if not isinstance(value["resource"], dict) or not isinstance(value["jws"], str):
            raise InvalidConsent("signed consent resource must be an object and jws a string")
        return cls(resource=value["resource"], jws=value["jws"])

    @classmethod
    def from_bytes(cls, data: bytes) -> SignedConsent:
        """Parse a ``consent.json`` file, which must be in RFC 8785 canonical form."""
        try:
            value = parse_json(data, require_canonical=True)
        except CryptoError as exc:
            raise InvalidConsent(f"signed consent file: {exc.message}") from exc
        return cls.from_json(value)


@dataclass(frozen=True)
class VerifiedConsent:
    """A consent whose signature verified; ``digest`` names it on the chain."""

    terms: ConsentTerms
    resource: dict[str, Any]
    digest: str
    signed: SignedConsent


def sign_consent(terms: ConsentTerms, key: SigningKeyPair) -> SignedConsent:
    """The patient signs the Consent built from ``terms``; ``key`` must be his did:key."""
    if did_key_from_public(key.public) != terms.patient_did:
        raise InvalidConsent("the signing key is not the key of the consent's patient DID")
    resource = build_consent_resource(terms)
    jws = sign_detached_jws(
        canonical_json(resource),
        key,
        kid=_did_key_url(terms.patient_did),
        extra={"typ": CONSENT_JWS_TYPE},
    )
    return SignedConsent(resource=resource, jws=jws)


def verify_signed_consent(signed: SignedConsent) -> VerifiedConsent:
    """Check the Consent's form and that the patient it names signed exactly these bytes.

    Validity in time, recipient and scope are policy questions answered by
    :func:`corridor.consent.policy.evaluate_consent`, not here.
    """
    terms = terms_from_resource(signed.resource)
    signer = _verify_by_did(
        signed.jws,
        canonical_json(signed.resource),
        expected_type=CONSENT_JWS_TYPE,
        error=ConsentSignatureInvalid,
    )
    if signer != terms.patient_did:
        raise ConsentSignatureInvalid("the consent is not signed by the patient it names")
    return VerifiedConsent(
        terms=terms, resource=signed.resource, digest=consent_digest(signed.resource), signed=signed
    )


@dataclass(frozen=True)
class SignedRevocation:
    """The patient's signed withdrawal of one consent."""

    payload: dict[str, Any]
    jws: str

    def to_json(self) -> dict[str, Any]:
        """The file and wire form ``{"payload": {...}, "jws": "..."}``."""
        return {"payload": self.payload, "jws": self.jws}

    @classmethod
    def from_json(cls, value: Any) -> SignedRevocation:
        """Parse the file and wire form."""
        if not isinstance(value, dict) or set(value) != {"payload", "jws"}:
            raise RevocationInvalid('a signed revocation is exactly {"payload": ..., "jws": ...}')
        if not isinstance(value["payload"], dict) or not isinstance(value["jws"], str):
            raise RevocationInvalid("revocation payload must be an object and jws a string")
        return cls(payload=value["payload"], jws=value["jws"])


@dataclass(frozen=True)
class VerifiedRevocation:
    """A revocation whose signature verified against the consent's patient."""

    consent_digest: str
    revoked_at: datetime
    reason: str
    patient_did: str
    digest: str
    signed: SignedRevocation


def sign_revocation(
    consent: VerifiedConsent, key: SigningKeyPair, *, revoked_at: datetime, reason: str
) -> SignedRevocation:
    """The patient withdraws ``consent`` (PIPL art. 15: consent may be withdrawn at any time)."""
    if did_key_from_public(key.public) != consent.terms.patient_did:
        raise RevocationInvalid("only the consent's patient can revoke it")
    if len(reason) > _MAX_REASON_CHARS:
        raise RevocationInvalid(f"reason is longer than {_MAX_REASON_CHARS} characters")
    payload = {"consent": consent.digest, "revoked_at": to_rfc3339(revoked_at), "reason": reason}
    jws = sign_detached_jws(
        canonical_json(payload),
        key,
        kid=_did_key_url(consent.terms.patient_did),
        extra={"typ": REVOCATION_JWS_TYPE},
    )
    return SignedRevocation(payload=payload, jws=jws)


def verify_revocation(signed: SignedRevocation, consent: VerifiedConsent) -> VerifiedRevocation:
    """Check that the patient of ``consent`` signed this revocation of exactly that consent."""
    payload = signed.payload
    if set(payload) != {"consent", "revoked_at", "reason"}:
        raise RevocationInvalid("revocation payload must be exactly {consent, revoked_at, reason}")
    if payload["consent"] != consent.digest:
        raise RevocationInvalid("the revocation names a different consent")
    reason = payload["reason"]
    if not isinstance(reason, str) or len(reason) > _MAX_REASON_CHARS:
        raise RevocationInvalid("revocation reason must be a short string")
    try:
        revoked_at = from_rfc3339(str(payload["revoked_at"]))
    except ValueError as exc:
        raise RevocationInvalid("revoked_at is not an RFC 3339 timestamp") from exc
    signer = _verify_by_did(
        signed.jws,
        canonical_json(payload),
        expected_type=REVOCATION_JWS_TYPE,
        error=RevocationInvalid,
    )
    if signer != consent.terms.patient_did:
        raise RevocationInvalid("the revocation is not signed by the consent's patient")
    return VerifiedRevocation(
        consent_digest=consent.digest,
        revoked_at=revoked_at,
        reason=reason,
        patient_did=signer,
        digest="sha256:" + sha256_hex(canonical_json(payload)),
        signed=signed,
    )
