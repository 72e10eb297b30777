"""Ed25519 signatures and detached JWS (RFC 7515 Appendix F) over canonical bytes."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from corridor.crypto.canonical import b64url_decode, b64url_encode
from corridor.crypto.errors import SignatureInvalid
from corridor.crypto.keys import SigningKeyPair


def verify_ed25519(public: Ed25519PublicKey, signature: bytes, message: bytes) -> None:
    """Raise :class:`SignatureInvalid` unless ``signature`` is valid for ``message``."""
    try:
        public.verify(signature, message)
    except InvalidSignature as exc:
        raise SignatureInvalid("Ed25519 signature does not verify") from exc


@dataclass(frozen=True)
class JwsHeader:
    """The protected header of a verified detached JWS."""

    alg: str
    kid: str
    extra: dict[str, Any]


def sign_detached_jws(
    payload: bytes, key: SigningKeyPair, *, kid: str, extra: dict[str, Any] | None = None
) -> str:
    """Sign ``payload`` as a compact JWS with the payload detached (``header..signature``).

    The signing input is ``b64url(header) || '.' || b64url(payload)`` as RFC 7515 §5.1
    says; only the payload is left out of the serialisation (Appendix F).
    """
    header = {"alg": "EdDSA", "kid": kid, **(extra or {})}
    encoded_header = b64url_encode(json.dumps(header, separators=(",", ":")).encode())
    signing_input = f"{encoded_header}.{b64url_encode(payload)}".encode("ascii")
    return f"{encoded_header}..{b64url_encode(key.sign(signing_input))}"


def jws_kid(jws: str) -> str:
    """The ``kid`` of a compact JWS's protected header, read before verification.

    Only to pick the verification key (a DID URL selects one key of a DID document);
    the header is authenticated by the verification that follows.
    """
    try:
        header = json.loads(b64url_decode(jws.split(".", 1)[0]))
    except (ValueError, AttributeError) as exc:
        raise SignatureInvalid("JWS header is not decodable") from exc
    kid = header.get("kid") if isinstance(header, dict) else None
    if not isinstance(kid, str) or not kid:
        raise SignatureInvalid("JWS header names no kid")
    return kid


def verify_detached_jws(jws: str, payload: bytes, public: Ed25519PublicKey) -> JwsHeader:
    """Verify a detached compact JWS over ``payload``; return its protected header."""
    parts = jws.split(".")
    if len(parts) != 3 or parts[1] != "":  # noqa: PLR2004  # header, empty payload, signature
        raise SignatureInvalid("not a detached compact JWS (expected 'header..signature')")
    try:
        header = json.loads(b64url_decode(parts[0]))
        signature = b64url_decode(parts[2])
    except ValueError as exc:
        raise SignatureInvalid(f"JWS is not decodable: {exc}") from exc
    if not isinstance(header, dict) or header.get("alg") != "EdDSA":
        raise SignatureInvalid("JWS header must name alg EdDSA")
    if "crit" in header:
        # RFC 7515 §4.1.11: we understand no extensions, so any critical one fails.
        raise SignatureInvalid("JWS carries critical header parameters we do not understand")
    signing_input = f"{parts[0]}.{b64url_encode(payload)}".encode("ascii")
    verify_ed25519(public, signature, signing_input)
    extra = {k: v for k, v in header.items() if k not in {"alg", "kid"}}
    return JwsHeader(alg="EdDSA", kid=str(header.get("kid", "")), extra=extra)
