"""Errors raised by the storage package."""

from __future__ import annotations

from corridor.errors import Unavailable


class StorageError(Unavailable):
    """The database refused or failed an operation that should have worked."""

    code = "storage-error"
