"""A node's own keys, kept on disk only in encrypted form (PKCS#8, passphrase-derived key)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from corridor.crypto.keys import AgreementKeyPair, SigningKeyPair

_SIGNING_FILE = "signing.pem"
_AGREEMENT_FILE = "agreement.pem"


@dataclass(frozen=True)
class NodeKeys:
    """The signing and key-agreement keys of one node."""

    signing: SigningKeyPair
    agreement: AgreementKeyPair


class FileKeyStore:
    """Encrypted PEM files in a node's ``keys/`` folder, created on first use."""

    def __init__(self, folder: Path, passphrase: bytes) -> None:
        self._folder = folder
        self._passphrase = passphrase

    def __repr__(self) -> str:
        return f"FileKeyStore({self._folder})"

    def _write_new(self, path: Path, pem: bytes) -> None:
        # O_EXCL: two processes racing to create keys must not overwrite each other's.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
            handle.flush()
            os.fsync(handle.fileno())

    def named_signing_key(self, name: str) -> SigningKeyPair:
        """A separate signing key for one purpose (e.g. the log's checkpoint key)."""
        if not name.isidentifier():
            raise ValueError(f"key name {name!r} must be an identifier")
        self._folder.mkdir(parents=True, exist_ok=True)
        path = self._folder / f"{name}.pem"
        if not path.exists():
            self._write_new(path, SigningKeyPair.generate().to_encrypted_pem(self._passphrase))
        return SigningKeyPair.from_encrypted_pem(path.read_bytes(), self._passphrase)

    def load_or_create(self) -> NodeKeys:
        """Load the node's keys, generating and storing them the first time."""
        self._folder.mkdir(parents=True, exist_ok=True)
        signing_path = self._folder / _SIGNING_FILE
        agreement_path = self._folder / _AGREEMENT_FILE
        if not signing_path.exists():
            self._write_new(
                signing_path, SigningKeyPair.generate().to_encrypted_pem(self._passphrase)
            )
        if not agreement_path.exists():
            self._write_new(
                agreement_path, AgreementKeyPair.generate().to_encrypted_pem(self._passphrase)
            )
        return NodeKeys(
            signing=SigningKeyPair.from_encrypted_pem(signing_path.read_bytes(), self._passphrase),
            agreement=AgreementKeyPair.from_encrypted_pem(
                agreement_path.read_bytes(), self._passphrase
            ),
        )
