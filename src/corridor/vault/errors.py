"""Errors raised by the vault (encrypted object store)."""

from __future__ import annotations

from corridor.errors import CorridorError, InvalidInput, NotFound, Unavailable, VerificationFailed


class VaultError(CorridorError):
    """Root of the vault family."""


class ObjectNotFound(VaultError, NotFound):
    """No object with that id is stored here."""

    code = "object-not-found"


class ObjectCorrupted(VaultError, VerificationFailed):
    """Stored bytes no longer hash to their object id: the store was damaged or tampered with."""

    code = "object-corrupted"


class InvalidObjectId(VaultError, InvalidInput):
    """An object id is not 64 lower-case hex characters (a SHA-256 digest)."""

    code = "invalid-object-id"


class ObjectTooLarge(VaultError, InvalidInput):
    """The object is over the vault's size limit."""

    code = "object-too-large"


class InvalidObjectMetadata(VaultError, InvalidInput):
    """The transfer id or object kind given with an object is malformed."""

    code = "invalid-object-metadata"


class VaultUnavailable(VaultError, Unavailable):
    """The vault (a remote node or the storage under it) could not be reached or failed."""

    code = "vault-unavailable"
