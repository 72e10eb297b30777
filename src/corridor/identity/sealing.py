"""Private keys sealed under a passphrase: Argon2id key derivation and AES-256-GCM.

Pure: randomness (salts, nonces) comes in as arguments. A key store derives one
key-encryption key (KEK) from the passphrase with Argon2id (RFC 9106) and seals each
private key with AES-256-GCM under it; the associated data binds the key's name, kind
and public half, so a sealed key cannot be swapped for another one under a different
name without failing authentication. A check value sealed under the KEK tells a wrong
passphrase apart from a damaged file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

from corridor.crypto.canonical import b64url_decode, b64url_encode, canonical_json
from corridor.identity.errors import KeyStoreCorrupted, KeyStoreLocked

KeyKind = Literal["ed25519", "x25519"]
STORE_FORMAT = "corridor-keystore/1"
KEY_FORMAT = "corridor-sealed-key/1"
SALT_BYTES = 16
NONCE_BYTES = 12  # AES-GCM's 96-bit nonce (NIST SP 800-38D §8.2)
_KEK_BYTES = 32
_CHECK_PLAINTEXT = b"corridor key store check"
# OWASP Password Storage Cheat Sheet (2023), Argon2id minimum: m = 19 MiB, t = 2, p = 1.
OWASP_MEMORY_KIB = 19456
OWASP_ITERATIONS = 2
# Below this a file is refused as damaged or hostile rather than derived cheaply.
_FLOOR_MEMORY_KIB = 1024
_CEILING_MEMORY_KIB = 4 * 1024 * 1024


@dataclass(frozen=True)
class KdfParameters:
    """Argon2id parameters and salt (RFC 9106 §3.1), stored beside what they protect."""

    salt: bytes
    memory_kib: int = OWASP_MEMORY_KIB
    iterations: int = OWASP_ITERATIONS
    lanes: int = 1

    def __post_init__(self) -> None:
        if len(self.salt) < SALT_BYTES:
            raise KeyStoreCorrupted(f"Argon2id salt must be at least {SALT_BYTES} bytes")
        if not _FLOOR_MEMORY_KIB <= self.memory_kib <= _CEILING_MEMORY_KIB:
            raise KeyStoreCorrupted(f"Argon2id memory {self.memory_kib} KiB is out of range")
        if not 1 <= self.iterations <= 64 or not 1 <= self.lanes <= 16:  # noqa: PLR2004
            raise KeyStoreCorrupted("Argon2id iterations or lanes are out of range")
        # RFC 9106 §3.1: memory must be at least 8 KiB per lane.
        if self.memory_kib < 8 * self.lanes:
            raise KeyStoreCorrupted("Argon2id memory is below 8 KiB per lane")

    def to_json(self) -> dict[str, Any]:
        """The stored form."""
        return {
            "name": "argon2id",
            "salt": b64url_encode(self.salt),
            "memory_kib": self.memory_kib,
            "iterations": self.iterations,
            "lanes": self.lanes,
        }

    @classmethod
    def from_json(cls, value: Any) -> KdfParameters:
        """Parse the stored form."""
        if not isinstance(value, dict) or value.get("name") != "argon2id":
            raise KeyStoreCorrupted("key derivation must be argon2id")
        try:
            return cls(
                salt=b64url_decode(str(value["salt"])),
                memory_kib=int(value["memory_kib"]),
                iterations=int(value["iterations"]),
                lanes=int(value["lanes"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise KeyStoreCorrupted("key derivation parameters are malformed") from exc


class KeyEncryptionKey:
    """The AES-256-GCM key derived from a passphrase; its bytes are never shown."""

    def __init__(self, secret: bytes) -> None:
        if len(secret) != _KEK_BYTES:
            raise ValueError("a key-encryption key is 32 bytes")
        self._aead = AESGCM(secret)

    def __repr__(self) -> str:
        return "KeyEncryptionKey(<hidden>)"

    def seal(self, plaintext: bytes, *, aad: bytes, nonce: bytes) -> bytes:
        """AES-256-GCM ciphertext with tag."""
        return self._aead.encrypt(nonce, plaintext, aad)

    def open(self, ciphertext: bytes, *, aad: bytes, nonce: bytes) -> bytes:
        """Decrypt or raise :class:`InvalidTag`."""
        return self._aead.decrypt(nonce, ciphertext, aad)


def derive_kek(passphrase: bytes, params: KdfParameters) -> KeyEncryptionKey:
    """Argon2id(passphrase) → the key that seals every private key of one store."""
    if not passphrase:
        raise KeyStoreLocked("an empty passphrase cannot protect keys")
    secret = Argon2id(
        salt=params.salt,
        length=_KEK_BYTES,
        iterations=params.iterations,
        lanes=params.lanes,
        memory_cost=params.memory_kib,
    ).derive(passphrase)
    return KeyEncryptionKey(secret)


def _store_aad(params: KdfParameters) -> bytes:
    return canonical_json({"format": STORE_FORMAT, "kdf": params.to_json()})


def new_store_header(kek: KeyEncryptionKey, params: KdfParameters, *, nonce: bytes) -> bytes:
    """The header of a new store: KDF parameters and a check value sealed under the KEK."""
    check = kek.seal(_CHECK_PLAINTEXT, aad=_store_aad(params), nonce=nonce)
    header = {
        "format": STORE_FORMAT,
        "kdf": params.to_json(),
        "check": {"nonce": b64url_encode(nonce), "ciphertext": b64url_encode(check)},
    }
    return canonical_json(header)


def read_store_header(data: bytes) -> tuple[KdfParameters, dict[str, str]]:
    """The KDF parameters and check value of a stored header."""
    try:
        header = json.loads(data)
        if header.get("format") != STORE_FORMAT:
            raise KeyStoreCorrupted("not a corridor key store header")
        check = header["check"]
        params = KdfParameters.from_json(header["kdf"])
        return params, {"nonce": str(check["nonce"]), "ciphertext": str(check["ciphertext"])}
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise KeyStoreCorrupted("key store header is malformed") from exc


def unlock_store(header: bytes, passphrase: bytes) -> KeyEncryptionKey:
    """Derive the KEK from ``passphrase`` and prove it opens this store's check value."""
    params, check = read_store_header(header)
    kek = derive_kek(passphrase, params)
    try:
        opened = kek.open(
            b64url_decode(check["ciphertext"]),
            aad=_store_aad(params),
            nonce=b64url_decode(check["nonce"]),
        )
    except (InvalidTag, ValueError) as exc:
        raise KeyStoreLocked("wrong passphrase for this key store") from exc
    if opened != _CHECK_PLAINTEXT:
        raise KeyStoreLocked("wrong passphrase for this key store")
    return kek


def _key_aad(name: str, kind: KeyKind, public_raw: bytes) -> bytes:
    return canonical_json(
        {"format": KEY_FORMAT, "name": name, "kind": kind, "public": b64url_encode(public_raw)}
    )


def seal_key(
    kek: KeyEncryptionKey,
    *,
    name: str,
    kind: KeyKind,
    private_raw: bytes,
    public_raw: bytes,
    nonce: bytes,
) -> bytes:
    """A sealed private key: JSON naming the key, with the private half encrypted."""
    ciphertext = kek.seal(private_raw, aad=_key_aad(name, kind, public_raw), nonce=nonce)
    return canonical_json(
        {
            "format": KEY_FORMAT,
            "name": name,
            "kind": kind,
            "public": b64url_encode(public_raw),
            "nonce": b64url_encode(nonce),
            "ciphertext": b64url_encode(ciphertext),
        }
    )


@dataclass(frozen=True)
class OpenedKey:
    """A private key taken out of its seal; only key classes should hold the raw bytes."""

    name: str
    kind: KeyKind
    public_raw: bytes
    private_raw: bytes

    def __repr__(self) -> str:
        return f"OpenedKey(name={self.name!r}, kind={self.kind!r}, private=<hidden>)"


def open_key(kek: KeyEncryptionKey, sealed: bytes, *, name: str) -> OpenedKey:
    """Open a sealed key stored under ``name``; any change to it fails authentication."""
    try:
        value = json.loads(sealed)
        if value.get("format") != KEY_FORMAT or value.get("name") != name:
            raise KeyStoreCorrupted(f"sealed key {name!r} is not a corridor key")
        kind = value["kind"]
        if kind not in ("ed25519", "x25519"):
            raise KeyStoreCorrupted(f"sealed key {name!r} has unknown kind")
        public_raw = b64url_decode(str(value["public"]))
        nonce = b64url_decode(str(value["nonce"]))
        ciphertext = b64url_decode(str(value["ciphertext"]))
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise KeyStoreCorrupted(f"sealed key {name!r} is malformed") from exc
    try:
        private_raw = kek.open(ciphertext, aad=_key_aad(name, kind, public_raw), nonce=nonce)
    except InvalidTag as exc:
        raise KeyStoreLocked(f"sealed key {name!r} does not open under this store's key") from exc
    return OpenedKey(name=name, kind=kind, public_raw=public_raw, private_raw=private_raw)
