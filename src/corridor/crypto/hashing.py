"""Digests and salted commitments.

A commitment lets the chain refer to a patient without naming him: anyone who holds the
salt (the patient, the hospitals on his transfer) can check that an entry is about him,
while the chain alone reveals nothing, not even whether two transfers share a patient.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

_SALT_BYTES = 32


def sha256_hex(data: bytes) -> str:
    """Lower-case hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def new_salt() -> bytes:
    """A fresh random salt for a commitment."""
    return secrets.token_bytes(_SALT_BYTES)


def commitment(salt: bytes, value: str) -> str:
    """HMAC-SHA256 commitment to ``value`` under ``salt``, as ``hmac-sha256:<hex>``."""
    if len(salt) < _SALT_BYTES:
        raise ValueError("commitment salt must be at least 32 bytes")
    digest = hmac.new(salt, value.encode("utf-8"), hashlib.sha256).hexdigest()
    return f"hmac-sha256:{digest}"
