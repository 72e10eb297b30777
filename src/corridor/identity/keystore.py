"""A node's own keys, never stored in plain text: sealed under an Argon2id-derived key.

Two stores share one sealing scheme (:mod:`corridor.identity.sealing`): ``FileKeyStore``
keeps one file per key in the node's ``keys/`` folder (mode 0600), ``SqlKeyStore`` keeps
them in the node's database. Both hold a header with the Argon2id parameters and salt;
the key-encryption key is derived once per store from the passphrase (a setting that
comes from ``CORRIDOR_KEY_PASSPHRASE``). Signing keys are versioned for rotation:
``signing-1``, ``signing-2``...; the highest is current, the others are retired but
still published so that what they signed stays verifiable.
"""

from __future__ import annotations

import os
import re
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from corridor.crypto.errors import CryptoError
from corridor.crypto.keys import AgreementKeyPair, SigningKeyPair
from corridor.identity.did import signing_fragment
from corridor.identity.errors import KeyStoreCorrupted
from corridor.identity.sealing import (
    NONCE_BYTES,
    OWASP_ITERATIONS,
    OWASP_MEMORY_KIB,
    SALT_BYTES,
    KdfParameters,
    KeyEncryptionKey,
    KeyKind,
    OpenedKey,
    derive_kek,
    new_store_header,
    open_key,
    seal_key,
    unlock_store,
)
from corridor.identity.tables import IdentityKeyRow
from corridor.storage.database import Database
from corridor.storage.errors import StorageError
from corridor.storage.unit_of_work import UnitOfWork

_HEADER = "keystore"
_AGREEMENT = "agreement-1"
_SIGNING = re.compile(r"^signing-([1-9][0-9]{0,5})$")
_RAW = serialization.Encoding.Raw


@dataclass(frozen=True)
class NodeKeys:
    """The signing and key-agreement keys of one node, and its retired signing keys."""

    signing: SigningKeyPair
    agreement: AgreementKeyPair
    signing_version: int = 1
    retired: tuple[tuple[int, bytes], ...] = ()
    """``(version, raw public key)`` of earlier signing keys, oldest first."""

    @property
    def signing_fragment(self) -> str:
        """The DID URL fragment of the current signing key."""
        return signing_fragment(self.signing_version)

    @property
    def retired_methods(self) -> list[tuple[str, bytes]]:
        """Retired keys as ``(fragment, raw public key)`` for the DID document."""
        return [(signing_fragment(version), raw) for version, raw in self.retired]


class KeyShelf(Protocol):
    """Where sealed blobs live; the shelf never sees a private key in the clear."""

    def read(self, name: str) -> bytes | None:
        """The blob stored under ``name``, or None."""
        ...

    def create(self, name: str, data: bytes) -> bool:
        """Store a new blob; False when ``name`` exists already (another process won)."""
        ...

    def names(self) -> list[str]:
        """Every stored name."""
        ...


def _signing_pair(opened: OpenedKey) -> SigningKeyPair:
    if opened.kind != "ed25519":
        raise KeyStoreCorrupted(f"{opened.name} is not an Ed25519 key")
    return SigningKeyPair(Ed25519PrivateKey.from_private_bytes(opened.private_raw))


def _agreement_pair(opened: OpenedKey) -> AgreementKeyPair:
    if opened.kind != "x25519":
        raise KeyStoreCorrupted(f"{opened.name} is not an X25519 key")
    return AgreementKeyPair(X25519PrivateKey.from_private_bytes(opened.private_raw))


def _private_raw(key: SigningKeyPair | AgreementKeyPair) -> bytes:
    return key.private.private_bytes(
        _RAW, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )


class SealedKeyStore:
    """Key handling shared by the file and database stores."""

    def __init__(
        self,
        shelf: KeyShelf,
        passphrase: bytes,
        *,
        memory_kib: int = OWASP_MEMORY_KIB,
        iterations: int = OWASP_ITERATIONS,
    ) -> None:
        self._shelf = shelf
        self._passphrase = passphrase
        self._memory_kib = memory_kib
        self._iterations = iterations
        self._kek: KeyEncryptionKey | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._shelf!r})"

    def _unlock(self) -> KeyEncryptionKey:
        """Derive the store's key once; create the header on first use."""
        with self._lock:
            if self._kek is not None:
                return self._kek
            header = self._shelf.read(_HEADER)
            if header is None:
                params = KdfParameters(
                    salt=os.urandom(SALT_BYTES),
                    memory_kib=self._memory_kib,
                    iterations=self._iterations,
                )
                kek = derive_kek(self._passphrase, params)
                created = new_store_header(kek, params, nonce=os.urandom(NONCE_BYTES))
                if not self._shelf.create(_HEADER, created):
                    header = self._shelf.read(_HEADER)
                else:
                    self._kek = kek
                    return kek
            assert header is not None
            self._kek = unlock_store(header, self._passphrase)
            return self._kek

    def _open(self, name: str) -> OpenedKey | None:
        sealed = self._shelf.read(name)
        return None if sealed is None else open_key(self._unlock(), sealed, name=name)

    def _put(self, name: str, kind: KeyKind, key: SigningKeyPair | AgreementKeyPair) -> None:
        sealed = seal_key(
            self._unlock(),
            name=name,
            kind=kind,
            private_raw=_private_raw(key),
            public_raw=key.public_raw,
            nonce=os.urandom(NONCE_BYTES),
        )
        self._shelf.create(name, sealed)

    def _signing(self, name: str) -> SigningKeyPair:
        opened = self._open(name)
        if opened is None:
            self._put(name, "ed25519", SigningKeyPair.generate())
            opened = self._open(name)
        assert opened is not None
        return _signing_pair(opened)

    def _versions(self) -> list[int]:
        return sorted(int(m.group(1)) for n in self._shelf.names() if (m := _SIGNING.match(n)))

    def load_or_create(self) -> NodeKeys:
        """Load the node's keys, generating and sealing them the first time."""
        versions = self._versions() or [1]
        current = versions[-1]
        signing = self._signing(f"signing-{current}")
        agreement_opened = self._open(_AGREEMENT)
        if agreement_opened is None:
            self._put(_AGREEMENT, "x25519", AgreementKeyPair.generate())
            agreement_opened = self._open(_AGREEMENT)
        assert agreement_opened is not None
        retired = []
        for version in versions[:-1]:
            opened = self._open(f"signing-{version}")
            assert opened is not None
            retired.append((version, opened.public_raw))
        return NodeKeys(
            signing=signing,
            agreement=_agreement_pair(agreement_opened),
            signing_version=current,
            retired=tuple(retired),
        )

    def rotate_signing_key(self) -> NodeKeys:
        """Make a new current signing key; the old one stays published as retired."""
        versions = self._versions() or [1]
        self._signing(f"signing-{versions[-1]}")
        self._signing(f"signing-{versions[-1] + 1}")
        return self.load_or_create()

    def named_signing_key(self, name: str) -> SigningKeyPair:
        """A separate signing key for one purpose (e.g. the log's checkpoint key)."""
        if not name.isidentifier():
            raise ValueError(f"key name {name!r} must be an identifier")
        return self._signing(f"named-{name}")


class _FolderShelf:
    """Sealed blobs as ``<name>.json`` files, created exclusively with mode 0600."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def __repr__(self) -> str:
        return str(self.folder)

    def read(self, name: str) -> bytes | None:
        path = self.folder / f"{name}.json"
        return path.read_bytes() if path.exists() else None

    def create(self, name: str, data: bytes) -> bool:
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            # O_EXCL: two processes racing to create a key must not overwrite each other's.
            fd = os.open(self.folder / f"{name}.json", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return False
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        return True

    def names(self) -> list[str]:
        if not self.folder.is_dir():
            return []
        return [path.stem for path in self.folder.glob("*.json")]


class FileKeyStore(SealedKeyStore):
    """Sealed keys in a node's ``keys/`` folder, created on first use.

    Keys written by earlier versions as passphrase-encrypted PKCS#8 PEM files
    (``signing.pem``, ``agreement.pem``, ``<name>.pem``) are resealed on first load and
    the PEM files removed.
    """

    def __init__(
        self,
        folder: Path,
        passphrase: bytes,
        *,
        memory_kib: int = OWASP_MEMORY_KIB,
        iterations: int = OWASP_ITERATIONS,
    ) -> None:
        super().__init__(
            _FolderShelf(folder), passphrase, memory_kib=memory_kib, iterations=iterations
        )
        self._folder = folder

    def _import_pem(self, pem_name: str, name: str, kind: KeyKind) -> None:
        path = self._folder / pem_name
        if not path.exists() or self._shelf.read(name) is not None:
            return
        try:
            key: SigningKeyPair | AgreementKeyPair = (
                SigningKeyPair.from_encrypted_pem(path.read_bytes(), self._passphrase)
                if kind == "ed25519"
                else AgreementKeyPair.from_encrypted_pem(path.read_bytes(), self._passphrase)
            )
        except CryptoError as exc:
            raise KeyStoreCorrupted(f"cannot import the earlier key file {path}") from exc
        self._put(name, kind, key)
        path.unlink()

    def load_or_create(self) -> NodeKeys:
        """Load (importing earlier PEM files once) or create the node's keys."""
        self._import_pem("signing.pem", "signing-1", "ed25519")
        self._import_pem("agreement.pem", _AGREEMENT, "x25519")
        return super().load_or_create()

    def named_signing_key(self, name: str) -> SigningKeyPair:
        """A separate signing key for one purpose (e.g. the log's checkpoint key)."""
        if name.isidentifier():
            self._import_pem(f"{name}.pem", f"named-{name}", "ed25519")
        return super().named_signing_key(name)


class _TableShelf:
    """Sealed blobs as rows of ``identity_keys`` in the node's database."""

    def __init__(self, database: Database) -> None:
        self._database = database

    def __repr__(self) -> str:
        return "identity_keys"

    def read(self, name: str) -> bytes | None:
        with UnitOfWork(self._database.sessions) as uow:
            row = uow.session.get(IdentityKeyRow, name)
            return None if row is None else row.sealed.encode()

    def create(self, name: str, data: bytes) -> bool:
        try:
            with UnitOfWork(self._database.sessions) as uow:
                uow.session.add(
                    IdentityKeyRow(name=name, sealed=data.decode(), created_at=datetime.now(UTC))
                )
                uow.commit()
        except StorageError as exc:
            if isinstance(exc.__cause__, IntegrityError):
                return False
            raise
        return True

    def names(self) -> list[str]:
        with UnitOfWork(self._database.sessions) as uow:
            return list(uow.session.scalars(select(IdentityKeyRow.name)))


class SqlKeyStore(SealedKeyStore):
    """Sealed keys in the node's own database (table ``identity_keys``)."""

    def __init__(
        self,
        database: Database,
        passphrase: bytes,
        *,
        memory_kib: int = OWASP_MEMORY_KIB,
        iterations: int = OWASP_ITERATIONS,
    ) -> None:
        super().__init__(
            _TableShelf(database), passphrase, memory_kib=memory_kib, iterations=iterations
        )
