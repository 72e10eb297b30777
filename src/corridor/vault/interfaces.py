"""The vault's port: a content-addressed store of opaque (already encrypted) bytes."""

from __future__ import annotations

from typing import Protocol


class ObjectStore(Protocol):
    """Bytes in, SHA-256 hex out; reads are checked against the id."""

    def put(self, data: bytes) -> str:
        """Store ``data`` (idempotent) and return its object id."""
        ...

    def get(self, object_id: str) -> bytes:
        """Return the bytes stored under ``object_id``, checked against it."""
        ...

    def exists(self, object_id: str) -> bool:
        """Whether an object with that id is stored."""
        ...
