"""Key pairs for signing (Ed25519) and key agreement (X25519), and ``did:key`` encoding.

``did:key`` identifiers follow the W3C did:key method: multibase base58btc (prefix
``z``) of the multicodec ``ed25519-pub`` (0xed 0x01) followed by the raw public key.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

from corridor.crypto.errors import MalformedKey

_ED25519_MULTICODEC = b"\xed\x01"
_X25519_MULTICODEC = b"\xec\x01"
_BASE58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_RAW = serialization.Encoding.Raw
_RAW_PUB = serialization.PublicFormat.Raw


def _base58_encode(data: bytes) -> str:
    number = int.from_bytes(data, "big")
    out = ""
    while number:
        number, rem = divmod(number, 58)
        out = _BASE58_ALPHABET[rem] + out
    leading = len(data) - len(data.lstrip(b"\0"))
    return "1" * leading + out


def _base58_decode(text: str) -> bytes:
    number = 0
    for char in text:
        index = _BASE58_ALPHABET.find(char)
        if index < 0:
            raise MalformedKey(f"invalid base58 character {char!r}")
        number = number * 58 + index
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    leading = len(text) - len(text.lstrip("1"))
    return b"\0" * leading + body


def multibase_key(public_raw: bytes, *, agreement: bool = False) -> str:
    """Multibase (base58btc) multicodec encoding of a raw Ed25519 or X25519 public key."""
    codec = _X25519_MULTICODEC if agreement else _ED25519_MULTICODEC
    return "z" + _base58_encode(codec + public_raw)


def raw_from_multibase(text: str, *, agreement: bool = False) -> bytes:
    """Inverse of :func:`multibase_key`; checks the multicodec prefix and length."""
    codec = _X25519_MULTICODEC if agreement else _ED25519_MULTICODEC
    if not text.startswith("z"):
        raise MalformedKey("only base58btc multibase keys (prefix 'z') are supported")
    decoded = _base58_decode(text[1:])
    if not decoded.startswith(codec) or len(decoded) != len(codec) + 32:
        raise MalformedKey("multibase key has the wrong multicodec or length")
    return decoded[len(codec) :]


def did_key_from_public(public: Ed25519PublicKey) -> str:
    """The ``did:key`` identifier of an Ed25519 public key."""
    return "did:key:" + multibase_key(public.public_bytes(_RAW, _RAW_PUB))


def public_key_from_did_key(did: str) -> Ed25519PublicKey:
    """Recover the Ed25519 public key named by a ``did:key`` (fragment ignored)."""
    if not did.startswith("did:key:"):
        raise MalformedKey(f"not a did:key identifier: {did!r}")
    ident = did.removeprefix("did:key:").split("#", 1)[0]
    return Ed25519PublicKey.from_public_bytes(raw_from_multibase(ident))


def _encrypted_pem(private: Ed25519PrivateKey | X25519PrivateKey, passphrase: bytes) -> bytes:
    """PKCS#8 PEM encrypted under ``passphrase``: private keys are never written in the clear."""
    return private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(passphrase),
    )


def _load_private(pem: bytes, passphrase: bytes, kind: type) -> Any:
    try:
        key = serialization.load_pem_private_key(pem, password=passphrase)
    except (ValueError, TypeError) as exc:
        raise MalformedKey("cannot decrypt or parse the private key") from exc
    if not isinstance(key, kind):
        raise MalformedKey(f"expected an {kind.__name__.removesuffix('PrivateKey')} private key")
    return key


@dataclass(frozen=True)
class SigningKeyPair:
    """An Ed25519 signing key with its public half."""

    private: Ed25519PrivateKey

    @classmethod
    def generate(cls) -> SigningKeyPair:
        """A new random key pair."""
        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def from_encrypted_pem(cls, pem: bytes, passphrase: bytes) -> SigningKeyPair:
        """Load a key written by :meth:`to_encrypted_pem`."""
        return cls(_load_private(pem, passphrase, Ed25519PrivateKey))

    @property
    def public(self) -> Ed25519PublicKey:
        """The verification key."""
        return self.private.public_key()

    @property
    def public_raw(self) -> bytes:
        """The 32 raw bytes of the verification key."""
        return self.public.public_bytes(_RAW, _RAW_PUB)

    def sign(self, message: bytes) -> bytes:
        """Ed25519 signature over ``message``."""
        return self.private.sign(message)

    def to_encrypted_pem(self, passphrase: bytes) -> bytes:
        """PKCS#8 PEM encrypted under ``passphrase``; never written in the clear."""
        return _encrypted_pem(self.private, passphrase)

    def __repr__(self) -> str:
        return f"SigningKeyPair(public={self.public_raw.hex()[:16]}...)"


@dataclass(frozen=True)
class AgreementKeyPair:
    """An X25519 key-agreement key (HPKE recipient key) with its public half."""

    private: X25519PrivateKey

    @classmethod
    def generate(cls) -> AgreementKeyPair:
        """A new random key pair."""
        return cls(X25519PrivateKey.generate())

    @classmethod
    def from_encrypted_pem(cls, pem: bytes, passphrase: bytes) -> AgreementKeyPair:
        """Load a key written by :meth:`to_encrypted_pem`."""
        return cls(_load_private(pem, passphrase, X25519PrivateKey))

    @property
    def public(self) -> X25519PublicKey:
        """The public key senders encrypt to."""
        return self.private.public_key()

    @property
    def public_raw(self) -> bytes:
        """The 32 raw bytes of the public key."""
        return self.public.public_bytes(_RAW, _RAW_PUB)

    def to_encrypted_pem(self, passphrase: bytes) -> bytes:
        """PKCS#8 PEM encrypted under ``passphrase``."""
        return _encrypted_pem(self.private, passphrase)

    def __repr__(self) -> str:
        return f"AgreementKeyPair(public={self.public_raw.hex()[:16]}...)"


def x25519_public_from_raw(raw: bytes) -> X25519PublicKey:
    """Parse 32 raw bytes as an X25519 public key."""
    try:
        return X25519PublicKey.from_public_bytes(raw)
    except ValueError as exc:
        raise MalformedKey("not a 32-byte X25519 public key") from exc


def ed25519_public_from_raw(raw: bytes) -> Ed25519PublicKey:
    """Parse 32 raw bytes as an Ed25519 public key."""
    try:
        return Ed25519PublicKey.from_public_bytes(raw)
    except ValueError as exc:
        raise MalformedKey("not a 32-byte Ed25519 public key") from exc
