"""A person's key in one encrypted file: the patient's wallet, or an operator's key.

The file holds the Argon2id parameters, a check value and the sealed Ed25519 key (the
same sealing as the node key stores, :mod:`corridor.identity.sealing`), plus the public
key, so ``show`` can print the ``did:key`` without the passphrase. It is created with
mode 0600 and never overwritten.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from corridor.crypto.canonical import b64url_decode, canonical_json
from corridor.crypto.keys import SigningKeyPair, did_key_from_public, ed25519_public_from_raw
from corridor.identity.did import did_key_url
from corridor.identity.errors import IdentityError, WalletError
from corridor.identity.sealing import (
    NONCE_BYTES,
    OWASP_ITERATIONS,
    OWASP_MEMORY_KIB,
    SALT_BYTES,
    KdfParameters,
    derive_kek,
    new_store_header,
    open_key,
    seal_key,
    unlock_store,
)

WALLET_FORMAT = "corridor-wallet/1"
_KEY_NAME = "wallet"


@dataclass(frozen=True)
class WalletInfo:
    """What a wallet file says without its passphrase."""

    path: Path
    did: str
    kid: str


def _read(path: Path) -> dict[str, object]:
    try:
        value = json.loads(path.read_bytes())
    except OSError as exc:
        raise WalletError(f"cannot read wallet {path}: {exc.strerror}") from exc
    except ValueError as exc:
        raise WalletError(f"{path} is not a wallet file") from exc
    if not isinstance(value, dict) or value.get("format") != WALLET_FORMAT:
        raise WalletError(f"{path} is not a {WALLET_FORMAT} file")
    return value


def create_wallet(
    path: Path,
    passphrase: bytes,
    *,
    memory_kib: int = OWASP_MEMORY_KIB,
    iterations: int = OWASP_ITERATIONS,
) -> SigningKeyPair:
    """Generate a key and seal it into a new file at ``path`` (never overwrites)."""
    params = KdfParameters(
        salt=os.urandom(SALT_BYTES), memory_kib=memory_kib, iterations=iterations
    )
    kek = derive_kek(passphrase, params)
    key = SigningKeyPair.generate()
    private_raw = key.private.private_bytes(
        serialization.Encoding.Raw,
        serialization.PrivateFormat.Raw,
        serialization.NoEncryption(),
    )
    document = {
        "format": WALLET_FORMAT,
        "store": json.loads(new_store_header(kek, params, nonce=os.urandom(NONCE_BYTES))),
        "key": json.loads(
            seal_key(
                kek,
                name=_KEY_NAME,
                kind="ed25519",
                private_raw=private_raw,
                public_raw=key.public_raw,
                nonce=os.urandom(NONCE_BYTES),
            )
        ),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise WalletError(f"{path} exists already; a wallet is never overwritten") from None
    with os.fdopen(fd, "wb") as handle:
        handle.write(canonical_json(document))
        handle.flush()
        os.fsync(handle.fileno())
    return key


def wallet_info(path: Path) -> WalletInfo:
    """The wallet's ``did:key``, read from its public half (no passphrase needed)."""
    document = _read(path)
    key = document.get("key")
    public = key.get("public") if isinstance(key, dict) else None
    if not isinstance(public, str):
        raise WalletError(f"{path} has no public key")
    did = did_key_from_public(ed25519_public_from_raw(b64url_decode(public)))
    return WalletInfo(path=path, did=did, kid=did_key_url(did))


def open_wallet(path: Path, passphrase: bytes) -> SigningKeyPair:
    """The wallet's signing key; a wrong passphrase or a changed file fails clearly."""
    document = _read(path)
    try:
        kek = unlock_store(canonical_json(document["store"]), passphrase)
        opened = open_key(kek, canonical_json(document["key"]), name=_KEY_NAME)
    except KeyError as exc:
        raise WalletError(f"{path} is incomplete") from exc
    except IdentityError as exc:
        raise WalletError(f"cannot open wallet {path}: {exc.message}") from exc
    key = SigningKeyPair(Ed25519PrivateKey.from_private_bytes(opened.private_raw))
    if key.public_raw != opened.public_raw:
        raise WalletError(f"{path}: the sealed key does not match its public half")
    return key


def load_or_create_wallet(path: Path, passphrase: bytes, **kdf: int) -> SigningKeyPair:
    """Open the wallet at ``path``, creating it first if there is none."""
    if path.exists():
        return open_wallet(path, passphrase)
    return create_wallet(path, passphrase, **kdf)
