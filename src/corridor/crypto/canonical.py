"""Canonical bytes for everything Corridor signs or hashes (RFC 8785, JCS)."""

from __future__ import annotations

import base64
import json
from typing import Any

import rfc8785

from corridor.crypto.errors import NonCanonicalJson


def canonical_json(value: Any) -> bytes:
    """Serialise ``value`` with the JSON Canonicalization Scheme (RFC 8785)."""
    return rfc8785.dumps(value)


def parse_json(data: bytes, *, require_canonical: bool = False) -> Any:
    """Parse JSON bytes; with ``require_canonical`` refuse anything not already in JCS form.

    Signed evidence is verified over the exact bytes received, so a writer that sends a
    different serialisation of the same object is refused rather than silently re-encoded.
    """
    try:
        value = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise NonCanonicalJson(f"not valid JSON: {exc}") from exc
    if require_canonical and canonical_json(value) != data:
        raise NonCanonicalJson("JSON is not in RFC 8785 canonical form")
    return value


def b64url_encode(data: bytes) -> str:
    """Base64url without padding (RFC 7515 §2)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Decode base64url with or without padding; reject other alphabets."""
    padded = text + "=" * (-len(text) % 4)
    return base64.b64decode(padded, altchars=b"-_", validate=True)
