"""Vault use cases: put, get and list ciphertext objects of transfers."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC

from sqlalchemy import select

from corridor.clock import Clock, SystemClock
from corridor.storage import Database, UnitOfWork
from corridor.vault.errors import InvalidObjectMetadata, ObjectNotFound, ObjectTooLarge
from corridor.vault.interfaces import ObjectStore
from corridor.vault.models import (
    MAX_OBJECT_BYTES,
    OBJECT_KINDS,
    ObjectMetadata,
    StoredObject,
    check_object_id,
)
from corridor.vault.tables import VaultObjectRow

_TRANSFER = re.compile(r"^[A-Za-z0-9-]{8,64}$")  # same shape as ledger evidence's transfer


@dataclass(frozen=True)
class VaultContext:
    """The vault's collaborators; built by the data center's composition root."""

    database: Database
    store: ObjectStore
    clock: Clock = field(default_factory=SystemClock)
    max_object_bytes: int = MAX_OBJECT_BYTES


def _metadata(row: VaultObjectRow) -> ObjectMetadata:
    created = row.created_at
    if created.tzinfo is None:  # SQLite returns naive datetimes; all stored times are UTC
        created = created.replace(tzinfo=UTC)
    return ObjectMetadata(
        object_id=row.object_id,
        transfer=row.transfer,
        kind=row.kind,
        size=row.size,
        created_at=created,
    )


def put_object(*, context: VaultContext, data: bytes, transfer: str, kind: str) -> StoredObject:
    """Store ciphertext for ``transfer``; the same bytes for the same transfer are stored once.

    The bytes are written (durably) before the row is committed, so a row never names
    an object that is not there; a crash in between leaves only an unreferenced file.
    """
    if not _TRANSFER.fullmatch(transfer):
        raise InvalidObjectMetadata("transfer must be 8-64 letters, digits or dashes")
    if kind not in OBJECT_KINDS:
        raise InvalidObjectMetadata(f"kind must be one of {sorted(OBJECT_KINDS)}")
    if len(data) > context.max_object_bytes:
        raise ObjectTooLarge(
            f"object is {len(data)} bytes; the limit is {context.max_object_bytes}"
        )
    object_id = context.store.put(data)
    with UnitOfWork(context.database.sessions) as uow:
        if uow.session.get(VaultObjectRow, (object_id, transfer, kind)) is None:
            uow.session.add(
                VaultObjectRow(
                    object_id=object_id,
                    transfer=transfer,
                    kind=kind,
                    size=len(data),
                    created_at=context.clock.now(),
                )
            )
            uow.commit()
    return StoredObject(object_id=object_id, size=len(data))


def get_object_metadata(*, context: VaultContext, object_id: str) -> list[ObjectMetadata]:
    """Every record of ``object_id`` (one per transfer and kind); empty if unknown."""
    check_object_id(object_id)
    with UnitOfWork(context.database.sessions) as uow:
        rows = uow.session.scalars(
            select(VaultObjectRow).where(VaultObjectRow.object_id == object_id)
        ).all()
        return [_metadata(row) for row in rows]


def get_object(*, context: VaultContext, object_id: str) -> bytes:
    """The bytes of a recorded object, integrity-checked; raises :class:`ObjectNotFound`."""
    if not get_object_metadata(context=context, object_id=object_id):
        raise ObjectNotFound(f"no object {object_id}")
    return context.store.get(object_id)


def list_objects(
    *, context: VaultContext, transfer: str | None = None, limit: int = 100
) -> list[ObjectMetadata]:
    """Recorded objects, newest first, optionally of one transfer."""
    query = select(VaultObjectRow).order_by(
        VaultObjectRow.created_at.desc(), VaultObjectRow.object_id
    )
    if transfer is not None:
        query = query.where(VaultObjectRow.transfer == transfer)
    with UnitOfWork(context.database.sessions) as uow:
        rows = uow.session.scalars(query.limit(max(1, min(limit, 1000)))).all()
        return [_metadata(row) for row in rows]
