"""The witness a regulator runs: cosign the log's checkpoints, refuse rollbacks and forks.

The checks are the pure ones of :mod:`corridor.ledger.witness`; this module adds what a
witness must keep (tlog-witness §add-checkpoint): per log origin, its pinned verifier key
and the last checkpoint it cosigned, checked and replaced atomically, persisted before the
cosignature is returned. A refusal that proves the log misbehaved (a second root for a
size already cosigned, or a proof that does not lead to the new root) is recorded as an
alert with the offending signed checkpoint, so that the regulator can show it.

Which log to follow: an origin and key pinned from settings, or, when none is set, the key
the log publishes at ``/api/ledger/trust``, pinned the first time the log asks for a
cosignature (trust on first use; docs/ledger.md says when that is acceptable).
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from corridor.clock import Clock
from corridor.errors import CorridorError
from corridor.ledger.errors import (
    ConsistencyProofFailed,
    ForkedCheckpoint,
    InconsistentCheckpoint,
    LedgerError,
    UnknownLogOrigin,
    WitnessUnavailable,
)
from corridor.ledger.merkle import EMPTY_ROOT
from corridor.ledger.note import CosignatureV1Signer, parse_verifier_key
from corridor.ledger.tables import WitnessAlertRow, WitnessedLogRow
from corridor.ledger.witness import (
    CosignedState,
    check_add_checkpoint,
    checkpoint_origin,
    format_cosignature_lines,
    parse_add_checkpoint,
)
from corridor.storage.database import Database
from corridor.storage.unit_of_work import UnitOfWork

LogDiscovery = Callable[[], tuple[str, str]]
"""Fetches ``(origin, vkey)`` from the log this witness was configured to follow."""

_LOCKS: dict[str, threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()
# Refusals that are evidence against the log, by the class that raised them.
_ALERT_KINDS: tuple[tuple[type[LedgerError], str], ...] = (
    (ForkedCheckpoint, "fork"),
    (ConsistencyProofFailed, "inconsistent"),
)


@dataclass(frozen=True)
class WitnessContext:
    """Collaborators of a regulator's witness, built by its composition root."""

    database: Database
    signer: CosignatureV1Signer
    clock: Clock
    pinned_logs: Mapping[str, str] = field(default_factory=dict)
    discover_log: LogDiscovery | None = None

    @property
    def name(self) -> str:
        """The witness's key name, as it appears on cosignature lines."""
        return self.signer.name

    @property
    def verifier_key(self) -> str:
        """The witness's C2SP verifier key (type 0x04 cosignature/v1)."""
        return self.signer.verifier_key


@dataclass(frozen=True)
class WitnessedLog:
    """A log this witness follows and the last checkpoint it cosigned."""

    origin: str
    vkey: str
    size: int
    root_hash: bytes
    note: str
    updated_at: datetime


@dataclass(frozen=True)
class WitnessAlert:
    """A refusal that is evidence of log misbehaviour."""

    id: int
    origin: str
    kind: str
    reason: str
    note: str
    observed_at: datetime


def witness_name_for(public_url: str) -> str:
    """A witness key name from the node's URL (C2SP key names are host-like, no '+')."""
    host = public_url.split("://", 1)[-1].rstrip("/")
    return f"{host}/witness".replace("+", "-").replace(" ", "-")


def pins_from_vkeys(vkeys: Iterable[str]) -> dict[str, str]:
    """Pin logs from configuration: a log's key name is its origin (tlog-checkpoint)."""
    return {parse_verifier_key(vkey).name: vkey.strip() for vkey in vkeys}


def origin_key(origin: str) -> str:
    """The lower-case hex SHA-256 of an origin, as tlog-witness monitoring paths use it."""
    return hashlib.sha256(origin.encode("utf-8")).hexdigest()


def _lock(database: Database) -> threading.Lock:
    key = database.engine.url.render_as_string(hide_password=True)
    with _LOCKS_GUARD:
        return _LOCKS.setdefault(key, threading.Lock())


def _find_log(session: Session, origin: str) -> WitnessedLogRow | None:
    return session.execute(
        select(WitnessedLogRow).where(WitnessedLogRow.origin == origin)
    ).scalar_one_or_none()


def _pin_source(context: WitnessContext, origin: str) -> str | None:
    if origin in context.pinned_logs:
        return context.pinned_logs[origin]
    if context.discover_log is None:
        return None
    try:
        published_origin, vkey = context.discover_log()
    except CorridorError as exc:
        raise WitnessUnavailable(f"cannot fetch the key of log {origin!r}: {exc.message}") from exc
    return vkey if published_origin == origin else None


def _pinned_vkey(context: WitnessContext, origin: str) -> str | None:
    """The key pinned for ``origin``, pinning it now from settings or discovery if needed.

    A key from settings always wins over one pinned earlier on first use: configuring the
    key is how an operator corrects a first-use pin.
    """
    configured = context.pinned_logs.get(origin)
    with UnitOfWork(context.database.sessions) as uow:
        row = _find_log(uow.session, origin)
        if row is not None and configured is not None and row.vkey != configured.strip():
            row.vkey = configured.strip()
            uow.commit()
            return row.vkey
        if row is not None:
            return row.vkey
    vkey = _pin_source(context, origin)
    if vkey is None:
        return None
    parse_verifier_key(vkey)  # refuse to pin something that is not a verifier key
    now = context.clock.now()
    with UnitOfWork(context.database.sessions) as uow:
        try:
            uow.session.execute(
                insert(WitnessedLogRow).values(
                    origin=origin,
                    vkey=vkey,
                    size=0,
                    root_hash=EMPTY_ROOT,
                    note="",
                    pinned_at=now,
                    updated_at=now,
                )
            )
            uow.commit()
        except (IntegrityError, CorridorError):
            pass  # pinned concurrently by another request: read what won below
    with UnitOfWork(context.database.sessions) as uow:
        row = _find_log(uow.session, origin)
        return None if row is None else row.vkey


def add_checkpoint(*, context: WitnessContext, body: bytes) -> str:
    """Handle one tlog-witness add-checkpoint call; return the cosignature line(s).

    Raises the refusal's error (see :mod:`corridor.ledger.witness`); refusals that prove
    misbehaviour are recorded as alerts first.
    """
    request = parse_add_checkpoint(body)
    origin = checkpoint_origin(request.checkpoint_note)
    vkey = _pinned_vkey(context, origin)
    if vkey is None:
        raise UnknownLogOrigin(f"this witness does not follow the log {origin!r}")
    verifier = parse_verifier_key(vkey)
    try:
        with _lock(context.database), UnitOfWork(context.database.sessions) as uow:
            session = uow.session
            # Updating the row first makes this the only transaction deciding for this
            # origin until it commits (the atomic check-and-persist tlog-witness demands).
            session.execute(
                update(WitnessedLogRow)
                .where(WitnessedLogRow.origin == origin)
                .values(size=WitnessedLogRow.size)
            )
            row = _find_log(session, origin)
            assert row is not None  # pinned above; rows are never deleted
            cosigned = CosignedState(origin, row.size, row.root_hash) if row.note else None
            verified = check_add_checkpoint(request, log_verifiers=[verifier], cosigned=cosigned)
            body_text = verified.note.text
            now = context.clock.now()
            signature = context.signer.cosign(body_text, timestamp=int(now.timestamp()))
            lines = format_cosignature_lines([signature])
            session.execute(
                update(WitnessedLogRow)
                .where(WitnessedLogRow.origin == origin)
                .values(
                    size=verified.checkpoint.size,
                    root_hash=verified.checkpoint.root_hash,
                    note=request.checkpoint_note + lines,
                    updated_at=now,
                )
            )
            uow.commit()
    except (InconsistentCheckpoint, ConsistencyProofFailed) as exc:
        _record_alert(context, origin, exc, request.checkpoint_note)
        raise
    return lines


def _record_alert(context: WitnessContext, origin: str, error: LedgerError, note: str) -> None:
    kind = next((name for cls, name in _ALERT_KINDS if isinstance(error, cls)), None)
    if kind is None:
        return  # a stale old size is a retry hint, not evidence of misbehaviour
    with UnitOfWork(context.database.sessions) as uow:
        uow.session.add(
            WitnessAlertRow(
                origin=origin,
                kind=kind,
                reason=error.message,
                note=note,
                observed_at=context.clock.now(),
            )
        )
        uow.commit()


def witnessed_logs(*, context: WitnessContext) -> list[WitnessedLog]:
    """Every log this witness follows, with the last checkpoint cosigned."""
    with UnitOfWork(context.database.sessions) as uow:
        rows = uow.session.execute(select(WitnessedLogRow).order_by(WitnessedLogRow.origin))
        return [
            WitnessedLog(r.origin, r.vkey, r.size, r.root_hash, r.note, r.updated_at)
            for r in rows.scalars()
        ]


def cosigned_checkpoint(*, context: WitnessContext, origin_hash: str) -> str | None:
    """The last checkpoint cosigned for the log whose origin hashes to ``origin_hash``."""
    for log in witnessed_logs(context=context):
        if origin_key(log.origin) == origin_hash and log.note:
            return log.note
    return None


def witness_alerts(*, context: WitnessContext, origin: str | None = None) -> list[WitnessAlert]:
    """Alerts raised by refusals, oldest first (optionally for one log)."""
    query = select(WitnessAlertRow).order_by(WitnessAlertRow.id)
    if origin is not None:
        query = query.where(WitnessAlertRow.origin == origin)
    with UnitOfWork(context.database.sessions) as uow:
        return [
            WitnessAlert(r.id, r.origin, r.kind, r.reason, r.note, r.observed_at)
            for r in uow.session.execute(query).scalars()
        ]
