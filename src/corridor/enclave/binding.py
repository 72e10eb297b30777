"""Runtime data: how evidence binds the key broker's nonce and the enclave's keys.

Pure. Trustee's KBS protocol (``kbs/docs/kbs_attestation_protocol.md``, "Attestation")
sends ``runtime-data`` ``{"nonce", "tee-pubkey"}`` beside the evidence and requires the
hardware evidence to bind it. Nitro-format documents (and Corridor's simulated ones)
have dedicated ``nonce``, ``public_key`` and ``user_data`` fields, which must equal the
runtime data; TDX quotes and SNP reports have a 64-byte report-data field, which must be
SHA-512 over the RFC 8785 canonical JSON of the runtime data (Trustee lets the hash vary;
Corridor fixes SHA-512, the one that fills the field exactly). Keys travel as JWKs
(RFC 7517; X25519 as an OKP key, RFC 8037 §2).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from corridor.crypto.canonical import b64url_decode, b64url_encode, canonical_json
from corridor.enclave.errors import AttestationRefused
from corridor.enclave.results import AttestationResult

HPKE_ALG = "HPKE-Base-X25519-SHA256-A256GCM"
_X25519_KEY_BYTES = 32
_DOCUMENT_FORMATS = frozenset({"nitro", "simulated"})


@dataclass(frozen=True)
class BoundClaims:
    """What the evidence vouches for, whichever field carried it."""

    nonce: bytes | None
    public_key: bytes | None
    user_data: bytes | None


def x25519_jwk(public_raw: bytes) -> dict[str, str]:
    """An X25519 public key as a JWK (RFC 8037 §2)."""
    return {"kty": "OKP", "crv": "X25519", "x": b64url_encode(public_raw), "alg": HPKE_ALG}


def x25519_from_jwk(jwk: Any) -> bytes:
    """The raw key of an X25519 JWK; anything else is refused."""
    if not isinstance(jwk, Mapping) or jwk.get("kty") != "OKP" or jwk.get("crv") != "X25519":
        raise AttestationRefused("runtime-data-mismatch", "tee-pubkey must be an X25519 OKP JWK")
    try:
        raw = b64url_decode(str(jwk.get("x", "")))
    except ValueError as exc:
        raise AttestationRefused("runtime-data-mismatch", "tee-pubkey x is not base64url") from exc
    if len(raw) != _X25519_KEY_BYTES:
        raise AttestationRefused("runtime-data-mismatch", "tee-pubkey must be 32 bytes")
    return raw


def decode_nonce(text: Any) -> bytes:
    """A nonce as Trustee sends it: standard base64 (url-safe accepted too)."""
    if not isinstance(text, str) or not text:
        raise AttestationRefused("missing-nonce", "runtime-data carries no nonce")
    normalised = text.replace("-", "+").replace("_", "/")
    try:
        return base64.b64decode(normalised + "=" * (-len(normalised) % 4), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise AttestationRefused("missing-nonce", "the nonce is not base64") from exc


def runtime_data_digest(runtime_data: Mapping[str, Any]) -> bytes:
    """SHA-512 of the canonical runtime data: what TDX/SNP report data must hold."""
    return hashlib.sha512(canonical_json(dict(runtime_data))).digest()


def bind_runtime_data(
    result: AttestationResult, runtime_data: Mapping[str, Any] | None
) -> BoundClaims:
    """The nonce, enclave key and user data the evidence binds, checked against ``runtime_data``."""
    if result.format in _DOCUMENT_FORMATS:
        if runtime_data is not None:
            if decode_nonce(runtime_data.get("nonce")) != result.nonce:
                raise AttestationRefused(
                    "runtime-data-mismatch", "the runtime data's nonce is not the document's"
                )
            if x25519_from_jwk(runtime_data.get("tee-pubkey")) != result.public_key:
                raise AttestationRefused(
                    "runtime-data-mismatch", "the runtime data's key is not the document's"
                )
        return BoundClaims(
            nonce=result.nonce, public_key=result.public_key, user_data=result.user_data
        )
    if runtime_data is None:
        raise AttestationRefused("missing-nonce", f"{result.format} evidence needs runtime data")
    if result.user_data != runtime_data_digest(runtime_data):
        raise AttestationRefused(
            "runtime-data-mismatch", "the report data is not SHA-512 of the runtime data"
        )
    user_data = runtime_data.get("user-data")
    try:
        bound_user_data = None if user_data is None else b64url_decode(str(user_data))
    except ValueError as exc:
        raise AttestationRefused("bad-user-data", "user-data is not base64url") from exc
    return BoundClaims(
        nonce=decode_nonce(runtime_data.get("nonce")),
        public_key=x25519_from_jwk(runtime_data.get("tee-pubkey")),
        user_data=bound_user_data,
    )
