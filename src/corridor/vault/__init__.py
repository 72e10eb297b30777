"""Encrypted object store of the joint data center: ciphertext only, addressed by SHA-256."""

from corridor.vault.client import HttpVaultClient
from corridor.vault.errors import (
    InvalidObjectId,
    InvalidObjectMetadata,
    ObjectCorrupted,
    ObjectNotFound,
    ObjectTooLarge,
    VaultError,
    VaultUnavailable,
)
from corridor.vault.interfaces import ObjectStore
from corridor.vault.models import (
    MAX_OBJECT_BYTES,
    OBJECT_KINDS,
    ObjectKind,
    ObjectMetadata,
    StoredObject,
)
from corridor.vault.service import (
    VaultContext,
    get_object,
    get_object_metadata,
    list_objects,
    put_object,
)
from corridor.vault.store import FilesystemVault

__all__ = [
    "MAX_OBJECT_BYTES",
    "OBJECT_KINDS",
    "FilesystemVault",
    "HttpVaultClient",
    "InvalidObjectId",
    "InvalidObjectMetadata",
    "ObjectCorrupted",
    "ObjectKind",
    "ObjectMetadata",
    "ObjectNotFound",
    "ObjectStore",
    "ObjectTooLarge",
    "StoredObject",
    "VaultContext",
    "VaultError",
    "VaultUnavailable",
    "get_object",
    "get_object_metadata",
    "list_objects",
    "put_object",
]
