"""Verifiable credentials: W3C VC Data Model 2.0 secured with JOSE (VC-JOSE-COSE §3.1).

Pure: building, signing and checking credentials and presentations; fetching keys and
status lists is the caller's job. A credential is a compact JWS whose payload is the
credential itself (media type ``application/vc+jwt``); a presentation is a compact JWS
(``application/vp+jwt``) whose ``verifiableCredential`` holds the credentials as
``EnvelopedVerifiableCredential`` data URLs (VC-JOSE-COSE §3.2).

Algorithm: EdDSA over Ed25519, named by its fully-specified JOSE identifier
``Ed25519`` (RFC 9864 §2.2, which deprecates the polymorphic ``EdDSA`` name).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import OKPKey

from corridor.clock import from_rfc3339, to_rfc3339
from corridor.crypto.canonical import canonical_json
from corridor.crypto.keys import SigningKeyPair
from corridor.identity.errors import CredentialExpired, CredentialInvalid
from corridor.identity.status_list import VC_CONTEXT_V2, StatusReference, parse_status_entry
from corridor.types import PartyKind

LICENSED_PROVIDER = "LicensedHealthcareProvider"
ACCREDITED_DATA_CENTER = "AccreditedDataCenter"
CREDENTIAL_FOR_PARTY: Mapping[PartyKind, str] = {
    "hospital": LICENSED_PROVIDER,
    "datacenter": ACCREDITED_DATA_CENTER,
}
"""The credential each kind of institution must hold from its regulator."""
PARTY_FOR_CREDENTIAL: Mapping[str, PartyKind] = {v: k for k, v in CREDENTIAL_FOR_PARTY.items()}
VC_JWT_TYPE = "vc+jwt"
VP_JWT_TYPE = "vp+jwt"
_ALGORITHM = "Ed25519"
_DATA_URL_PREFIX = "data:application/vc+jwt,"
_MAX_TOKEN_CHARS = 64 * 1024


def build_credential(
    *,
    credential_id: str,
    issuer: str,
    holder: str,
    credential_type: str,
    jurisdiction: str,
    name: str,
    valid_from: datetime,
    valid_until: datetime,
    status: dict[str, Any],
) -> dict[str, Any]:
    """An unsigned credential: ``issuer`` says ``holder`` is licensed in ``jurisdiction``."""
    return {
        "@context": [VC_CONTEXT_V2],
        "id": credential_id,
        "type": ["VerifiableCredential", credential_type],
        "issuer": issuer,
        "validFrom": to_rfc3339(valid_from),
        "validUntil": to_rfc3339(valid_until),
        "credentialSubject": {"id": holder, "jurisdiction": jurisdiction, "name": name},
        "credentialStatus": status,
    }


def sign_jwt(payload: dict[str, Any], key: SigningKeyPair, *, kid: str, typ: str) -> str:
    """A compact JWS over the canonical JSON of ``payload`` (``typ`` per VC-JOSE-COSE)."""
    header = {"alg": _ALGORITHM, "kid": kid, "typ": typ}
    return jws.serialize_compact(
        header, canonical_json(payload), OKPKey.import_key(key.private), algorithms=[_ALGORITHM]
    )


def jwt_kid(token: str) -> str:
    """The ``kid`` a token's protected header names, before its signature is checked."""
    if not isinstance(token, str) or len(token) > _MAX_TOKEN_CHARS:
        raise CredentialInvalid("a JWT must be a string of reasonable length")
    try:
        header = jws.extract_compact(token.encode("ascii")).protected
    except (JoseError, ValueError, UnicodeError) as exc:
        raise CredentialInvalid("not a compact JWS") from exc
    kid = header.get("kid")
    if not isinstance(kid, str) or "#" not in kid:
        raise CredentialInvalid("the JWT header must name its key as a DID URL (kid)")
    return kid


def verify_jwt(token: str, public: Ed25519PublicKey, *, typ: str) -> dict[str, Any]:
    """Check the signature and ``typ``; return the JSON payload."""
    jwt_kid(token)
    try:
        verified = jws.deserialize_compact(
            token, OKPKey.import_key(public), algorithms=[_ALGORITHM]
        )
    except JoseError as exc:
        raise CredentialInvalid(f"JWS does not verify: {exc.description or exc}") from exc
    if verified.protected.get("typ") != typ:
        raise CredentialInvalid(f"JWS typ must be {typ!r}")
    try:
        payload = json.loads(verified.payload)
    except ValueError as exc:
        raise CredentialInvalid("JWS payload is not JSON") from exc
    if not isinstance(payload, dict):
        raise CredentialInvalid("JWS payload is not a JSON object")
    return payload


@dataclass(frozen=True)
class CredentialClaims:
    """What a credential says, after its signature verified."""

    id: str
    issuer: str
    holder: str
    credential_type: str
    jurisdiction: str
    name: str
    valid_from: datetime
    valid_until: datetime
    status: StatusReference


def _instant(value: Any, field: str) -> datetime:
    try:
        return from_rfc3339(str(value))
    except ValueError as exc:
        raise CredentialInvalid(f"{field} is not an RFC 3339 timestamp") from exc


def parse_credential(payload: dict[str, Any], *, kid: str) -> CredentialClaims:
    """Read a VC 2.0 credential; its issuer must be the DID that signed it (``kid``)."""
    context = payload.get("@context")
    if not isinstance(context, list) or not context or context[0] != VC_CONTEXT_V2:
        raise CredentialInvalid("the first @context must be the VC 2.0 context")
    types = payload.get("type")
    known = [t for t in types if t in PARTY_FOR_CREDENTIAL] if isinstance(types, list) else []
    if not isinstance(types, list) or "VerifiableCredential" not in types or len(known) != 1:
        raise CredentialInvalid("credential type must be VerifiableCredential and one known type")
    issuer = payload.get("issuer")
    if not isinstance(issuer, str) or issuer != kid.split("#", 1)[0]:
        raise CredentialInvalid("the credential is not signed by its issuer")
    subject = payload.get("credentialSubject")
    if not isinstance(subject, dict) or not isinstance(subject.get("id"), str):
        raise CredentialInvalid("credentialSubject must name its holder by id")
    jurisdiction = subject.get("jurisdiction")
    if not isinstance(jurisdiction, str) or not jurisdiction:
        raise CredentialInvalid("credentialSubject must name a jurisdiction")
    credential_id = payload.get("id")
    if not isinstance(credential_id, str) or not credential_id:
        raise CredentialInvalid("the credential needs an id")
    return CredentialClaims(
        id=credential_id,
        issuer=issuer,
        holder=str(subject["id"]),
        credential_type=known[0],
        jurisdiction=jurisdiction,
        name=str(subject.get("name", "")),
        valid_from=_instant(payload.get("validFrom"), "validFrom"),
        valid_until=_instant(payload.get("validUntil"), "validUntil"),
        status=parse_status_entry(payload.get("credentialStatus")),
    )


def require_current(
    claims: CredentialClaims, *, at: datetime, leeway: timedelta = timedelta(0)
) -> None:
    """VC 2.0 §4.9: a credential is valid only between ``validFrom`` and ``validUntil``.

    ``leeway`` tolerates an issuer whose clock runs ahead of ours at ``validFrom``.
    """
    if at + leeway < claims.valid_from:
        raise CredentialExpired(f"credential {claims.id} is not valid before {claims.valid_from}")
    if at >= claims.valid_until:
        raise CredentialExpired(f"credential {claims.id} expired at {claims.valid_until}")


def build_presentation(holder: str, credentials: list[str]) -> dict[str, Any]:
    """An unsigned presentation enveloping VC-JWTs (VC-JOSE-COSE §3.2, Enveloped VCs)."""
    return {
        "@context": [VC_CONTEXT_V2],
        "type": ["VerifiablePresentation"],
        "holder": holder,
        "verifiableCredential": [
            {
                "@context": [VC_CONTEXT_V2],
                "id": _DATA_URL_PREFIX + token,
                "type": "EnvelopedVerifiableCredential",
            }
            for token in credentials
        ],
    }


def parse_presentation(payload: dict[str, Any], *, kid: str) -> list[str]:
    """The VC-JWTs a presentation envelops; its holder must be the DID that signed it."""
    types = payload.get("type")
    if not isinstance(types, list) or "VerifiablePresentation" not in types:
        raise CredentialInvalid("not a VerifiablePresentation")
    if payload.get("holder") != kid.split("#", 1)[0]:
        raise CredentialInvalid("the presentation is not signed by its holder")
    items = payload.get("verifiableCredential", [])
    if not isinstance(items, list):
        raise CredentialInvalid("verifiableCredential must be a list")
    tokens = []
    for item in items:
        identifier = item.get("id") if isinstance(item, dict) else None
        if not isinstance(identifier, str) or not identifier.startswith(_DATA_URL_PREFIX):
            raise CredentialInvalid("presented credentials must be enveloped VC-JWTs")
        tokens.append(identifier.removeprefix(_DATA_URL_PREFIX))
    return tokens
