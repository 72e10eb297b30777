"""Authenticated encryption of records and sealing of keys to recipients.

Records: AES-256-GCM under a fresh 256-bit data key, 96-bit random nonce prepended to
the ciphertext (NIST SP 800-38D §8.2.2 random construction; one key encrypts one object,
so nonce reuse cannot happen). Keys: HPKE base mode, DHKEM(X25519, HKDF-SHA256),
HKDF-SHA256, AES-256-GCM (RFC 9180), with the binding context in ``info``.
"""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hpke
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from corridor.crypto.errors import DecryptionFailed

DATA_KEY_BYTES = 32
_NONCE_BYTES = 12
_HPKE_SUITE = hpke.Suite(hpke.KEM.X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_256_GCM)


def new_data_key() -> bytes:
    """A fresh random AES-256 key for exactly one object."""
    return AESGCM.generate_key(bit_length=DATA_KEY_BYTES * 8)


def aead_seal(key: bytes, plaintext: bytes, aad: bytes) -> bytes:
    """Encrypt and authenticate; returns ``nonce || ciphertext || tag``."""
    nonce = os.urandom(_NONCE_BYTES)
    return nonce + AESGCM(key).encrypt(nonce, plaintext, aad)


def aead_open(key: bytes, sealed: bytes, aad: bytes) -> bytes:
    """Inverse of :func:`aead_seal`; raises :class:`DecryptionFailed` on any mismatch."""
    if len(key) != DATA_KEY_BYTES or len(sealed) < _NONCE_BYTES + 16:
        raise DecryptionFailed("ciphertext or key has the wrong length")
    try:
        return AESGCM(key).decrypt(sealed[:_NONCE_BYTES], sealed[_NONCE_BYTES:], aad)
    except InvalidTag as exc:
        raise DecryptionFailed("AES-GCM authentication failed") from exc


def hpke_seal(recipient: X25519PublicKey, plaintext: bytes, info: bytes) -> bytes:
    """HPKE single-shot seal to ``recipient`` (RFC 9180 §6.1); returns ``enc || ct``."""
    return _HPKE_SUITE.encrypt(plaintext, recipient, info=info)


def hpke_open(recipient: X25519PrivateKey, sealed: bytes, info: bytes) -> bytes:
    """Open a message from :func:`hpke_seal`; the ``info`` must match exactly."""
    try:
        return _HPKE_SUITE.decrypt(sealed, recipient, info=info)
    except (InvalidTag, ValueError) as exc:
        raise DecryptionFailed("HPKE open failed") from exc
