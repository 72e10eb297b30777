"""Bitstring Status List v1.0 (W3C Recommendation, 2025): revocation of credentials.

Pure. An issuer keeps one bitstring per list; bit ``i`` set means the credential whose
``credentialStatus.statusListIndex`` is ``i`` is revoked. The list is published as a
``BitstringStatusListCredential`` whose ``encodedList`` is the multibase base64url
(prefix ``u``) of the GZIP-compressed bitstring (§4.1, Bitstring Encoding).
"""

from __future__ import annotations

import base64
import gzip
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from corridor.clock import to_rfc3339
from corridor.identity.errors import CredentialInvalid

VC_CONTEXT_V2 = "https://www.w3.org/ns/credentials/v2"
STATUS_PURPOSE = "revocation"
# §6.1 Group Privacy: a list must hold at least 131,072 entries (16 KiB) so that
# fetching it says little about which credential a verifier is checking.
MIN_LIST_BITS = 131_072
_MAX_LIST_BITS = 8 * 1024 * 1024 * 8  # 8 MiB uncompressed: refuse anything bigger


def encode_status_list(revoked: Iterable[int], *, size_bits: int = MIN_LIST_BITS) -> str:
    """The ``encodedList`` value for a list of ``size_bits`` with ``revoked`` indexes set."""
    if size_bits < MIN_LIST_BITS or size_bits % 8:
        raise ValueError(f"a status list has at least {MIN_LIST_BITS} bits, in whole bytes")
    bits = bytearray(size_bits // 8)
    for index in revoked:
        if not 0 <= index < size_bits:
            raise ValueError(f"status index {index} is outside the list")
        # §4.1: index 0 is the left-most bit of the bitstring (the first byte's high bit).
        bits[index // 8] |= 0x80 >> (index % 8)
    # mtime=0 keeps the encoding a function of the bits alone (RFC 1952 §2.3.1 allows 0).
    return "u" + base64.urlsafe_b64encode(gzip.compress(bytes(bits), mtime=0)).rstrip(b"=").decode(
        "ascii"
    )


def decode_status_list(encoded: str) -> bytes:
    """The bitstring of an ``encodedList``; refuses other encodings and oversized lists."""
    if not isinstance(encoded, str) or not encoded.startswith("u"):
        raise CredentialInvalid("encodedList must be multibase base64url (prefix 'u')")
    body = encoded[1:]
    try:
        compressed = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        # wbits 16+MAX_WBITS reads a GZIP member; max_length bounds a decompression bomb.
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        bits = inflater.decompress(compressed, _MAX_LIST_BITS // 8 + 1)
    except (ValueError, zlib.error) as exc:
        raise CredentialInvalid("encodedList is not GZIP-compressed base64url") from exc
    if len(bits) > _MAX_LIST_BITS // 8 or not inflater.eof:
        raise CredentialInvalid("status list is larger than this verifier accepts")
    if len(bits) * 8 < MIN_LIST_BITS:
        raise CredentialInvalid("status list is shorter than the 131,072 bits §6.1 demands")
    return bits


def is_set(bits: bytes, index: int) -> bool:
    """Whether bit ``index`` of the bitstring is set."""
    if not 0 <= index < len(bits) * 8:
        raise CredentialInvalid(f"status index {index} is outside the status list")
    return bool(bits[index // 8] & (0x80 >> (index % 8)))


def status_entry(list_url: str, index: int) -> dict[str, Any]:
    """The ``credentialStatus`` of a credential at ``index`` of a list (§2.1)."""
    return {
        "id": f"{list_url}#{index}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": STATUS_PURPOSE,
        "statusListIndex": str(index),
        "statusListCredential": list_url,
    }


@dataclass(frozen=True)
class StatusReference:
    """Where to look up one credential's revocation status."""

    list_url: str
    index: int


def parse_status_entry(value: Any) -> StatusReference:
    """Read a ``BitstringStatusListEntry`` for revocation."""
    if not isinstance(value, dict) or value.get("type") != "BitstringStatusListEntry":
        raise CredentialInvalid("credentialStatus must be a BitstringStatusListEntry")
    if value.get("statusPurpose") != STATUS_PURPOSE:
        raise CredentialInvalid("credentialStatus must have statusPurpose 'revocation'")
    index_text, list_url = value.get("statusListIndex"), value.get("statusListCredential")
    if not isinstance(index_text, str) or not index_text.isdigit():
        raise CredentialInvalid("statusListIndex must be a decimal string")
    if not isinstance(list_url, str) or not list_url.startswith(("https://", "http://")):
        raise CredentialInvalid("statusListCredential must be an http(s) URL")
    return StatusReference(list_url=list_url, index=int(index_text))


def status_list_credential(
    *, issuer: str, list_url: str, encoded: str, valid_from: datetime
) -> dict[str, Any]:
    """The unsigned ``BitstringStatusListCredential`` publishing one list (§2.2)."""
    return {
        "@context": [VC_CONTEXT_V2],
        "id": list_url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer,
        "validFrom": to_rfc3339(valid_from),
        "credentialSubject": {
            "id": f"{list_url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": STATUS_PURPOSE,
            "encodedList": encoded,
        },
    }


def encoded_list_of(credential: dict[str, Any], *, list_url: str, issuer: str) -> str:
    """The ``encodedList`` of a verified status list credential, after checking its shape."""
    types = credential.get("type")
    if not isinstance(types, list) or "BitstringStatusListCredential" not in types:
        raise CredentialInvalid("not a BitstringStatusListCredential")
    if credential.get("id") != list_url:
        raise CredentialInvalid("the status list credential names another list")
    if credential.get("issuer") != issuer:
        raise CredentialInvalid("the status list is not issued by the credential's issuer")
    subject = credential.get("credentialSubject")
    if not isinstance(subject, dict) or subject.get("statusPurpose") != STATUS_PURPOSE:
        raise CredentialInvalid("the status list is not a revocation list")
    encoded = subject.get("encodedList")
    if not isinstance(encoded, str):
        raise CredentialInvalid("the status list has no encodedList")
    return encoded
