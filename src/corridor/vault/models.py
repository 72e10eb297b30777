"""What the vault says about the objects it keeps (pure types)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from corridor.vault.errors import InvalidObjectId

ObjectKind = Literal["record", "output"]
"""``record``: hospital A's encrypted bundle; ``output``: the enclave's result for hospital B."""

OBJECT_KINDS: frozenset[str] = frozenset({"record", "output"})
MAX_OBJECT_BYTES = 32 * 1024 * 1024
_OBJECT_ID = re.compile(r"^[0-9a-f]{64}$")


def check_object_id(object_id: str) -> str:
    """Return ``object_id`` if it is a lower-case hex SHA-256 digest, else raise."""
    if not _OBJECT_ID.fullmatch(object_id):
        raise InvalidObjectId("object id must be 64 lower-case hex characters (SHA-256)")
    return object_id


@dataclass(frozen=True)
class StoredObject:
    """The answer to a put: the content address and the size in bytes."""

    object_id: str
    size: int


@dataclass(frozen=True)
class ObjectMetadata:
    """One stored object as the vault's table records it."""

    object_id: str
    transfer: str
    kind: str
    size: int
    created_at: datetime
