"""The key broker over HTTP, shaped like Confidential Containers Trustee's KBS protocol.

Trustee ``kbs/docs/kbs_attestation_protocol.md`` (RCAR): **Request** ``POST /kbs/v0/auth``
``{"version", "tee", "extra-params"}`` answers the **Challenge** ``{"nonce",
"extra-params"}`` and a ``kbs-session-id`` cookie; **Attestation** ``POST /kbs/v0/attest``
``{"runtime-data": {"nonce", "tee-pubkey"}, "tee-evidence"}`` is appraised (RFC 9334
background-check model: the broker is the relying party and calls the verifier) and
answered with an attestation-results token; **Response** ``GET /kbs/v0/resource/<repo>/
<type>/<tag>`` with the cookie or ``Authorization: Bearer <token>`` releases the resource
sealed to ``tee-pubkey``. Here the one resource is ``corridor/data-key/<transfer>``: the
deposit's capability, HPKE-sealed (RFC 9180) to the enclave, with the sealed deposit.

Corridor specifics: ``extra-params.transfer`` names the transfer at Request time (the
challenge is per transfer, as in the in-process flow); the token is an EAR-shaped JWT
(draft-ietf-rats-ear: ``ear.status``, ``ear.trustworthiness-vector``, dotted names)
signed EdDSA by the data center; each session releases at most once. Every appraisal,
release and refusal is evidence on the chain through the :class:`ReleaseGate`.
"""

from __future__ import annotations

import base64
import binascii
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from corridor.crypto.canonical import b64url_decode, b64url_encode, canonical_json, parse_json
from corridor.crypto.errors import CryptoError
from corridor.crypto.hashing import sha256_hex
from corridor.crypto.keys import SigningKeyPair
from corridor.crypto.signing import verify_ed25519
from corridor.enclave.binding import HPKE_ALG, x25519_from_jwk, x25519_jwk
from corridor.enclave.deposit import RELEASE_INFO
from corridor.enclave.errors import (
    AttestationRefused,
    KbsRequestInvalid,
    KbsResourceNotFound,
    KbsSessionInvalid,
)
from corridor.enclave.interfaces import ReleaseGate
from corridor.enclave.key_broker import (
    BrokerContext,
    appraise_evidence,
    issue_challenge,
    release_capability,
)
from corridor.enclave.tables import AppraisalRow, KbsSessionRow
from corridor.storage import UnitOfWork

PROTOCOL_VERSION = "0.1.1"
_COMPATIBLE = ("0.1.",)
# Trustee's ``tee`` names -> Corridor's evidence formats ("sample" is Trustee's insecure one).
TEE_FORMATS = {
    "simulated": "simulated",
    "sample": "simulated",
    "nitro": "nitro",
    "tdx": "tdx",
    "snp": "sev-snp",
}
RESOURCE_REPOSITORY, RESOURCE_TYPE = "corridor", "data-key"
TOKEN_LIFETIME = timedelta(minutes=5)
EAR_PROFILE = "tag:corridor.example,2025:kbs-ear"
_EAR_AFFIRMING, _EAR_WARNING = 2, 32  # AR4SI tiers: 2-31 affirming, 32-95 warning
_ANY_STATE = frozenset({"challenged", "affirmed", "refused", "released"})


@dataclass(frozen=True)
class KbsContext:
    """The broker plus what the HTTP protocol adds: the release gate and the token key."""

    broker: BrokerContext
    gate: ReleaseGate
    token_key: SigningKeyPair
    issuer: str
    kid: str
    session_ttl: timedelta = timedelta(minutes=5)


@dataclass(frozen=True)
class KbsChallenge:
    """The Challenge: the session cookie's value and the nonce, base64 as Trustee sends it."""

    session_id: str
    nonce: str
    expires_at: datetime

    def to_json(self) -> dict[str, Any]:
        """Wire form (``extra-params`` is empty, as in Trustee)."""
        return {"nonce": self.nonce, "extra-params": {}}


@dataclass(frozen=True)
class ReleasedResource:
    """The Response: the capability sealed to the attested key, and the deposit it opens."""

    transfer: str
    sealed_capability: bytes
    sealed_deposit: bytes

    def to_json(self) -> dict[str, Any]:
        """Wire form."""
        return {
            "alg": HPKE_ALG,
            "info": b64url_encode(RELEASE_INFO + self.transfer.encode("utf-8")),
            "sealed_capability": b64url_encode(self.sealed_capability),
            "sealed_deposit": b64url_encode(self.sealed_deposit),
        }


@dataclass(frozen=True)
class _SessionTarget:
    transfer: str
    enclave_public_key: bytes
    appraised_at: datetime


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def _field(body: Mapping[str, Any], name: str) -> Any:
    if name not in body:
        raise KbsRequestInvalid(f"the message lacks {name!r}")
    return body[name]


def request_challenge(*, context: KbsContext, request: Mapping[str, Any]) -> KbsChallenge:
    """Request -> Challenge: check the version and TEE, open a session with a fresh nonce."""
    version = str(_field(request, "version"))
    if not version.startswith(_COMPATIBLE):
        raise KbsSessionInvalid(
            f"protocol version {version} is not compatible with {PROTOCOL_VERSION}"
        )
    tee = str(_field(request, "tee"))
    if TEE_FORMATS.get(tee) != context.broker.evidence_format:
        raise KbsRequestInvalid(
            f"this broker appraises {context.broker.evidence_format} evidence, not {tee!r}"
        )
    extra = request.get("extra-params") or {}
    transfer = extra.get("transfer") if isinstance(extra, Mapping) else None
    if not isinstance(transfer, str) or not 8 <= len(transfer) <= 64:  # noqa: PLR2004
        raise KbsRequestInvalid("extra-params.transfer must name the transfer")
    challenge = issue_challenge(context=context.broker, transfer=transfer)
    session_id = secrets.token_hex(16)
    with UnitOfWork(context.broker.database.sessions) as uow:
        uow.session.add(
            KbsSessionRow(
                session_id=session_id,
                transfer=transfer,
                tee=tee,
                nonce=challenge.nonce.hex(),
                state="challenged",
                appraisal_id=None,
                tee_public_key=None,
                appraised_at=None,
                created_at=challenge.issued_at,
                expires_at=challenge.issued_at + context.session_ttl,
            )
        )
        uow.commit()
    return KbsChallenge(
        session_id=session_id,
        nonce=base64.b64encode(challenge.nonce).decode("ascii"),
        expires_at=challenge.issued_at + context.session_ttl,
    )


def _load_session(
    context: KbsContext,
    session_id: str | None,
    *,
    states: frozenset[str],
    check_expiry: bool = True,
) -> KbsSessionRow:
    if not session_id:
        raise KbsSessionInvalid("no kbs-session-id cookie or bearer token")
    with UnitOfWork(context.broker.database.sessions) as uow:
        row = uow.session.get(KbsSessionRow, session_id)
        if row is None:
            raise KbsSessionInvalid("the session is unknown")
        if check_expiry and _aware(row.expires_at) <= context.broker.clock.now():
            raise KbsSessionInvalid("the session has expired")
        if row.state not in states:
            raise KbsSessionInvalid(f"the session is {row.state}")
        uow.session.expunge(row)
        return row


def _set_state(context: KbsContext, session_id: str, **values: Any) -> None:
    with UnitOfWork(context.broker.database.sessions) as uow:
        row = uow.session.get(KbsSessionRow, session_id)
        assert row is not None
        for name, value in values.items():
            setattr(row, name, value)
        uow.commit()


def _evidence_bytes(tee_evidence: Any) -> bytes:
    value = tee_evidence.get("primary_evidence") if isinstance(tee_evidence, Mapping) else None
    if not isinstance(value, str):
        raise KbsRequestInvalid("tee-evidence.primary_evidence must be base64 evidence")
    normalised = value.replace("-", "+").replace("_", "/")
    try:
        return base64.b64decode(normalised + "=" * (-len(normalised) % 4), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise KbsRequestInvalid("tee-evidence.primary_evidence is not base64") from exc


def attest(*, context: KbsContext, session_id: str | None, body: Mapping[str, Any]) -> str:
    """Attestation -> token: appraise the evidence against the session's challenge.

    The session's own state does not gate appraisal: the challenge's single-use nonce
    does, so a replayed or late Attestation is refused as ``reused-nonce`` or
    ``stale-nonce`` and that refusal is evidence on the chain like any other.
    """
    session = _load_session(context, session_id, states=_ANY_STATE, check_expiry=False)
    assert session_id is not None
    runtime_data = _field(body, "runtime-data")
    if not isinstance(runtime_data, Mapping):
        raise KbsRequestInvalid("runtime-data must be an object")
    evidence = _evidence_bytes(_field(body, "tee-evidence"))
    digest = f"sha256:{sha256_hex(evidence)}"
    try:
        appraisal = appraise_evidence(
            context=context.broker,
            transfer=session.transfer,
            evidence=evidence,
            runtime_data=runtime_data,
            expected_nonce=bytes.fromhex(session.nonce),
        )
        public_key = x25519_from_jwk(runtime_data.get("tee-pubkey"))
    except AttestationRefused as exc:
        if session.state == "challenged":
            _set_state(context, session_id, state="refused")
        context.gate.record(
            "key.refused",
            transfer=session.transfer,
            digests={"evidence": digest},
            details={"reasons": f"attestation: {exc.reason}", "session": session_id},
        )
        raise
    context.gate.record(
        "attestation.appraised",
        transfer=session.transfer,
        digests={"evidence": digest, "measurement": f"sha384:{appraisal.result.measurement}"},
        details={
            "format": appraisal.result.format,
            "outcome": "affirming",
            "appraisal": appraisal.appraisal_id,
        },
    )
    _set_state(
        context,
        session_id,
        state="affirmed",
        appraisal_id=appraisal.appraisal_id,
        tee_public_key=public_key.hex(),
        appraised_at=appraisal.appraised_at,
    )
    now = context.broker.clock.now()
    claims = {
        "iss": context.issuer,
        "iat": int(now.timestamp()),
        "exp": int((now + TOKEN_LIFETIME).timestamp()),
        "eat_profile": EAR_PROFILE,
        "ear.verifier-id": {"developer": "corridor", "build": "corridor.enclave"},
        "submods": {
            "cpu0": {
                "ear.status": "warning" if appraisal.result.warnings else "affirming",
                "ear.trustworthiness-vector": {
                    "instance-identity": _EAR_AFFIRMING,
                    "executables": _EAR_AFFIRMING,
                    "configuration": _EAR_AFFIRMING,
                    "hardware": _EAR_WARNING
                    if appraisal.result.format == "simulated"
                    else _EAR_AFFIRMING,
                },
                "ear.appraisal-policy-id": "corridor/reference-values/v1",
                "ear.veraison.annotated-evidence": {
                    "format": appraisal.result.format,
                    "measurement": appraisal.result.measurement,
                    "module_id": appraisal.result.module_id,
                    "warnings": list(appraisal.result.warnings),
                },
            }
        },
        "tee-pubkey": x25519_jwk(public_key),
        "corridor": {
            "transfer": session.transfer,
            "session": session_id,
            "appraisal": appraisal.appraisal_id,
        },
    }
    return _sign_token(context, claims)


def _sign_token(context: KbsContext, claims: Mapping[str, Any]) -> str:
    # RFC 7519 JWT as a compact JWS (RFC 7515 §7.1), EdDSA (RFC 8037 §3.1).
    header = b64url_encode(canonical_json({"alg": "EdDSA", "kid": context.kid, "typ": "JWT"}))
    payload = b64url_encode(canonical_json(dict(claims)))
    signature = context.token_key.sign(f"{header}.{payload}".encode("ascii"))
    return f"{header}.{payload}.{b64url_encode(signature)}"


def verify_token(token: str, *, key: Ed25519PublicKey, at: datetime) -> dict[str, Any]:
    """The claims of a token this broker signed, if the signature holds and it is unexpired."""
    parts = token.split(".")
    if len(parts) != 3:  # noqa: PLR2004
        raise KbsSessionInvalid("the bearer token is not a compact JWS")
    try:
        header = parse_json(b64url_decode(parts[0]))
        claims = parse_json(b64url_decode(parts[1]))
        verify_ed25519(key, b64url_decode(parts[2]), f"{parts[0]}.{parts[1]}".encode("ascii"))
    except (CryptoError, ValueError) as exc:
        raise KbsSessionInvalid("the bearer token does not verify") from exc
    if not isinstance(header, dict) or header.get("alg") != "EdDSA" or not isinstance(claims, dict):
        raise KbsSessionInvalid("the bearer token is not an EdDSA JWT")
    expires = claims.get("exp")
    if not isinstance(expires, int) or at.timestamp() >= expires:
        raise KbsSessionInvalid("the bearer token has expired")
    return claims


def _session_of_token(context: KbsContext, token: str) -> str:
    claims = verify_token(token, key=context.token_key.public, at=context.broker.clock.now())
    corridor = claims.get("corridor")
    session = corridor.get("session") if isinstance(corridor, dict) else None
    if not isinstance(session, str):
        raise KbsSessionInvalid("the bearer token names no session")
    return session


def _evidence_digest(context: KbsContext, appraisal_id: str | None) -> str:
    with UnitOfWork(context.broker.database.sessions) as uow:
        row = None if appraisal_id is None else uow.session.get(AppraisalRow, appraisal_id)
        if row is None:
            raise KbsSessionInvalid("the session's appraisal is unknown")
        return row.evidence_digest


def _refuse_unless_empty(reasons: list[str], *, wrong_transfer: bool) -> None:
    if reasons:
        raise AttestationRefused(
            "wrong-transfer" if wrong_transfer else "release-policy",
            "the key broker refused release",
            detail={"reasons": reasons},
        )


def release_resource(
    *,
    context: KbsContext,
    path: str,
    session_id: str | None = None,
    token: str | None = None,
) -> ReleasedResource:
    """Response: the release policy, then the capability sealed to the attested key."""
    if token is not None:
        session_id = _session_of_token(context, token)
    session = _load_session(context, session_id, states=frozenset({"affirmed"}))
    assert session_id is not None
    parts = path.strip("/").split("/")
    if len(parts) != 3 or parts[:2] != [RESOURCE_REPOSITORY, RESOURCE_TYPE]:  # noqa: PLR2004
        raise KbsResourceNotFound(f"no resource {path!r}")
    transfer = parts[2]
    assert session.tee_public_key is not None
    assert session.appraised_at is not None
    target = _SessionTarget(
        transfer=session.transfer,
        enclave_public_key=bytes.fromhex(session.tee_public_key),
        appraised_at=_aware(session.appraised_at),
    )
    reasons = ["the session attested for another transfer"] if transfer != session.transfer else []
    reasons = reasons or context.gate.release_refusals(transfer)
    try:
        _refuse_unless_empty(reasons, wrong_transfer=transfer != session.transfer)
        sealed_capability, sealed_deposit = context.gate.deposit_of(transfer)
        released = release_capability(
            context=context.broker,
            appraisal=target,
            sealed_capability=sealed_capability,
            transfer=transfer,
        )
    except AttestationRefused as exc:
        _set_state(context, session_id, state="refused")
        context.gate.record(
            "key.refused",
            transfer=session.transfer,
            digests={},
            details={"reasons": "; ".join(reasons or [exc.reason])[:512], "session": session_id},
        )
        raise
    _set_state(context, session_id, state="released")
    # The evidence digest ties the release to its affirming appraisal, as the regulators'
    # monitors check (a release without one raises key-release-without-attestation).
    context.gate.record(
        "key.released",
        transfer=transfer,
        digests={"evidence": _evidence_digest(context, session.appraisal_id)},
        details={"appraisal": session.appraisal_id, "session": session_id},
    )
    return ReleasedResource(
        transfer=transfer, sealed_capability=released, sealed_deposit=sealed_deposit
    )
