"""Filesystem object store: one file per object, named by the SHA-256 of its bytes.

Writes go to a temporary file in the same file system, are fsynced, then renamed into
place and the directory fsynced, so a crash leaves either no object or a complete one
(POSIX rename(2) is atomic). Reads re-hash the bytes: a damaged or swapped file is
refused instead of being served.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from corridor.vault.errors import ObjectCorrupted, ObjectNotFound, VaultUnavailable
from corridor.vault.models import check_object_id


def _fsync_directory(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class FilesystemVault:
    """Objects under ``root/objects/<2 hex>/<64 hex>``; temporary files under ``root/tmp``."""

    def __init__(self, root: Path) -> None:
        self._root = root
        self._objects = root / "objects"
        self._tmp = root / "tmp"

    def __repr__(self) -> str:
        return f"FilesystemVault({self._root})"

    def _path(self, object_id: str) -> Path:
        check_object_id(object_id)
        return self._objects / object_id[:2] / object_id

    def put(self, data: bytes) -> str:
        """Store ``data`` atomically; storing the same bytes twice is a no-op."""
        object_id = hashlib.sha256(data).hexdigest()
        target = self._path(object_id)
        if target.exists():
            return object_id
        try:
            self._tmp.mkdir(parents=True, exist_ok=True)
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, temp_name = tempfile.mkstemp(dir=self._tmp, prefix="put-")
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(data)
                    handle.flush()
                    os.fsync(handle.fileno())
                Path(temp_name).replace(target)
            except BaseException:
                Path(temp_name).unlink(missing_ok=True)
                raise
            _fsync_directory(target.parent)
        except OSError as exc:
            raise VaultUnavailable(f"cannot write object {object_id}: {exc.strerror}") from exc
        return object_id

    def get(self, object_id: str) -> bytes:
        """Read an object and check that it still hashes to its id."""
        path = self._path(object_id)
        try:
            data = path.read_bytes()
        except FileNotFoundError as exc:
            raise ObjectNotFound(f"no object {object_id}") from exc
        except OSError as exc:
            raise VaultUnavailable(f"cannot read object {object_id}: {exc.strerror}") from exc
        if hashlib.sha256(data).hexdigest() != object_id:
            raise ObjectCorrupted(f"object {object_id} does not match its digest")
        return data

    def exists(self, object_id: str) -> bool:
        """Whether the object's file is present (its integrity is checked on read)."""
        return self._path(object_id).is_file()
