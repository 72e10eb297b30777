"""Alerts: the one table where a regulator's monitor, counters and witness report trouble.

:func:`raise_alert` is the single entry point. It is idempotent by a dedupe key (the same
problem seen on every poll is one alert, not thousands), commits before it returns, and
takes its collaborators explicitly so any domain can be handed it. The ledger's witness
sits below this package in the layer contract, so the regulator's composition root hands
it an :class:`AlertRaiser` (a callable bound to the database and clock) rather than the
witness importing this module.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, get_args

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from corridor.clock import Clock, to_rfc3339
from corridor.compliance.errors import AlertNotFound
from corridor.compliance.tables import AlertRow
from corridor.crypto.hashing import sha256_hex
from corridor.storage.database import Database
from corridor.storage.errors import StorageError
from corridor.storage.unit_of_work import UnitOfWork

AlertKind = Literal[
    "transfer-without-filing",
    "key-release-without-attestation",
    "key-release-after-revocation",
    "key-release-after-expiry",
    "access-outside-consent",
    "access-after-revocation",
    "access-after-expiry",
    "counter-threshold",
    "counter-mismatch",
    "checkpoint-inconsistent",
    "checkpoint-fork",
    "entry-invalid",
]
"""Every kind of alert; the witness raises ``checkpoint-fork`` and ``checkpoint-inconsistent``."""
ALERT_KINDS: frozenset[str] = frozenset(get_args(AlertKind))
Severity = Literal["critical", "high", "warning"]
_SUMMARY_LIMIT = 2000
_KEY_LIMIT = 255  # the column's width


@dataclass(frozen=True)
class Alert:
    """One alert as the API shows it."""

    id: int
    kind: str
    severity: str
    summary: str
    transfer: str | None
    entry_index: int | None
    origin: str | None
    details: Mapping[str, Any]
    raised_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: str

    def to_json(self) -> dict[str, Any]:
        """Wire form."""
        return {
            "id": self.id,
            "kind": self.kind,
            "severity": self.severity,
            "summary": self.summary,
            "transfer": self.transfer,
            "entry_index": self.entry_index,
            "origin": self.origin,
            "details": dict(self.details),
            "raised_at": to_rfc3339(self.raised_at),
            "acknowledged_at": None
            if self.acknowledged_at is None
            else to_rfc3339(self.acknowledged_at),
            "acknowledged_by": self.acknowledged_by,
        }


def _alert(row: AlertRow) -> Alert:
    return Alert(
        id=row.id,
        kind=row.kind,
        severity=row.severity,
        summary=row.summary,
        transfer=row.transfer,
        entry_index=row.entry_index,
        origin=row.origin,
        details=json.loads(row.details_json),
        raised_at=row.raised_at,
        acknowledged_at=row.acknowledged_at,
        acknowledged_by=row.acknowledged_by,
    )


def raise_alert(
    *,
    database: Database,
    clock: Clock,
    kind: AlertKind,
    summary: str,
    severity: Severity = "high",
    transfer: str | None = None,
    entry_index: int | None = None,
    origin: str | None = None,
    details: Mapping[str, Any] | None = None,
    dedupe_key: str | None = None,
) -> Alert:
    """Record an alert (once per ``dedupe_key``) and return it; durable when this returns.

    The default key is ``kind`` plus the transfer and entry index, so one misbehaviour
    seen again on the next poll does not raise a second alert.
    """
    if kind not in ALERT_KINDS:
        raise ValueError(f"unknown alert kind {kind!r}")
    key = dedupe_key or f"{kind}|{origin or ''}|{transfer or ''}|{entry_index}"
    if len(key) > _KEY_LIMIT:
        key = f"{kind}|sha256:{sha256_hex(key.encode('utf-8'))}"
    with UnitOfWork(database.sessions) as uow:
        existing = uow.session.scalars(select(AlertRow).where(AlertRow.dedupe_key == key)).first()
        if existing is not None:
            return _alert(existing)
        row = AlertRow(
            kind=kind,
            severity=severity,
            summary=summary[:_SUMMARY_LIMIT],
            transfer=transfer,
            entry_index=entry_index,
            origin=origin,
            details_json=json.dumps(dict(details or {}), sort_keys=True, default=str),
            dedupe_key=key,
            raised_at=clock.now(),
            acknowledged_by="",
        )
        uow.session.add(row)
        try:
            uow.commit()
        except StorageError as exc:
            # A concurrent poll raised the same alert first: answer with that one.
            if not isinstance(exc.__cause__, IntegrityError):
                raise
        else:
            return _alert(row)
    with UnitOfWork(database.sessions) as uow:
        return _alert(uow.session.scalars(select(AlertRow).where(AlertRow.dedupe_key == key)).one())


@dataclass(frozen=True)
class AlertRaiser:
    """:func:`raise_alert` bound to one node's database and clock, for injection."""

    database: Database
    clock: Clock

    def __call__(
        self,
        kind: AlertKind,
        summary: str,
        *,
        severity: Severity = "high",
        transfer: str | None = None,
        entry_index: int | None = None,
        origin: str | None = None,
        details: Mapping[str, Any] | None = None,
        dedupe_key: str | None = None,
    ) -> Alert:
        """Raise an alert on the bound database."""
        return raise_alert(
            database=self.database,
            clock=self.clock,
            kind=kind,
            summary=summary,
            severity=severity,
            transfer=transfer,
            entry_index=entry_index,
            origin=origin,
            details=details,
            dedupe_key=dedupe_key,
        )


def list_alerts(
    *,
    database: Database,
    kind: str | None = None,
    transfer: str | None = None,
    open_only: bool = False,
    limit: int = 500,
) -> list[Alert]:
    """Alerts, newest first, optionally of one kind, for one transfer, or unacknowledged."""
    query = select(AlertRow).order_by(AlertRow.id.desc()).limit(limit)
    if kind is not None:
        query = query.where(AlertRow.kind == kind)
    if transfer is not None:
        query = query.where(AlertRow.transfer == transfer)
    if open_only:
        query = query.where(AlertRow.acknowledged_at.is_(None))
    with UnitOfWork(database.sessions) as uow:
        return [_alert(row) for row in uow.session.scalars(query)]


def require_alert(*, database: Database, alert_id: int) -> Alert:
    """One alert or :class:`AlertNotFound`."""
    with UnitOfWork(database.sessions) as uow:
        row = uow.session.get(AlertRow, alert_id)
        if row is None:
            raise AlertNotFound(f"no alert {alert_id}")
        return _alert(row)


def acknowledge_alert(*, database: Database, clock: Clock, alert_id: int, by: str) -> Alert:
    """Mark an alert as seen by ``by`` (an officer's name or DID); idempotent."""
    with UnitOfWork(database.sessions) as uow:
        row = uow.session.get(AlertRow, alert_id)
        if row is None:
            raise AlertNotFound(f"no alert {alert_id}")
        if row.acknowledged_at is None:
            row.acknowledged_at = clock.now()
            row.acknowledged_by = by[:255]
            uow.commit()
        return _alert(row)
