"""A regulator's chain monitor: tail the log, verify everything, raise alerts.

Each run (:func:`tail_chain`) does what a Certificate Transparency monitor does
(RFC 9162 §8.3), against the log the data center hosts:

1. fetch the latest checkpoint and verify the log's signature under the key pinned on
   first use (C2SP tlog-checkpoint);
2. verify it extends the last one verified (RFC 9162 §2.1.4.2 consistency proof); a
   smaller tree, another root for the same size or a bad proof is an alert;
3. fetch every new entry, fold its leaf hash into the compact range kept from the last
   run, and require the resulting root to equal the checkpoint's, so every entry read is
   the one the log committed to, without a proof per entry;
4. verify each entry's signature under its actor's DID key, keep it, and apply the
   monitoring rules: a transfer without an accepted filing, a key release without a
   matching affirming attestation or after revocation or expiry, an access by a party
   the consent does not name or after revocation or expiry.

State advances only when the whole run verified, so a failed run is retried from the
same point; alerts are deduplicated, so a retry never doubles them.
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from corridor.clock import Clock, from_rfc3339
from corridor.compliance.alerts import Alert, AlertKind, Severity, raise_alert
from corridor.compliance.tables import ChainEntryRow, FilingRow, MechanismFilingRow, MonitorStateRow
from corridor.errors import CorridorError
from corridor.ledger.errors import LedgerError
from corridor.ledger.evidence import SignedEntry, parse_signed_entry, verify_signed_entry
from corridor.ledger.merkle import (
    EMPTY_ROOT,
    frontier,
    leaf_hash,
    nodes_completed_by,
    root_hash,
    verify_consistency,
)
from corridor.ledger.note import open_checkpoint, parse_verifier_key
from corridor.storage.database import Database
from corridor.storage.unit_of_work import UnitOfWork

_GUARDED = frozenset({"record.uploaded", "record.delivered", "record.accessed"})
_ACCESSES = frozenset({"record.delivered", "record.accessed"})


class ChainSource(Protocol):
    """The log's read API (``HttpLedgerClient`` is one)."""

    def log_identity(self) -> tuple[str, str]:
        """``(origin, verifier key)`` as the log publishes them."""
        ...

    def checkpoint(self) -> str:
        """The latest signed checkpoint note."""
        ...

    def entry(self, index: int) -> bytes:
        """The exact leaf bytes at ``index``."""
        ...

    def consistency_proof(self, old: int, new: int) -> list[bytes]:
        """Consistency proof from size ``old`` to ``new``."""
        ...


KeyLookup = Callable[[str], Ed25519PublicKey]
"""The Ed25519 key a DID URL names (an entry's ``kid``)."""


@dataclass(frozen=True)
class MonitorContext:
    """Collaborators of one regulator's monitor."""

    database: Database
    clock: Clock
    source: ChainSource
    key_for: KeyLookup
    regulator: str
    """This regulator's DID."""
    jurisdiction: str
    pinned_vkey: str = ""
    """The log's verifier key from settings; empty: pin what the log publishes (TOFU)."""


@dataclass(frozen=True)
class TailReport:
    """What one run verified and raised."""

    origin: str
    previous_size: int
    size: int
    verified_entries: int
    alerts: tuple[Alert, ...] = field(default_factory=tuple)

    def to_json(self) -> dict[str, Any]:
        """Wire form."""
        return {
            "origin": self.origin,
            "previous_size": self.previous_size,
            "size": self.size,
            "verified_entries": self.verified_entries,
            "alerts": [alert.to_json() for alert in self.alerts],
        }


class _FrontierReader:
    """Serves the compact range's node hashes to the Merkle functions."""

    def __init__(self, hashes: dict[tuple[int, int], bytes]) -> None:
        self.hashes = hashes

    def node_hashes(self, keys: Any) -> dict[tuple[int, int], bytes]:
        return {key: self.hashes[key] for key in keys}


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _state(session: Session, context: MonitorContext) -> MonitorStateRow:
    row = session.scalars(select(MonitorStateRow)).first()
    if row is not None:
        return row
    origin, published = context.source.log_identity()
    row = MonitorStateRow(
        origin=origin,
        vkey=context.pinned_vkey or published,
        size=0,
        root_hash=EMPTY_ROOT,
        frontier_json="[]",
        checkpoint_note="",
        updated_at=context.clock.now(),
    )
    session.add(row)
    return row


class _Run:
    """One monitoring run: verification first, then the rules, alerts as it goes."""

    def __init__(self, context: MonitorContext, origin: str) -> None:
        self.context = context
        self.origin = origin
        self.alerts: list[Alert] = []

    def alert(
        self,
        kind: AlertKind,
        summary: str,
        *,
        severity: Severity = "high",
        transfer: str | None = None,
        index: int | None = None,
        details: dict[str, Any] | None = None,
        key: str | None = None,
    ) -> None:
        self.alerts.append(
            raise_alert(
                database=self.context.database,
                clock=self.context.clock,
                kind=kind,
                summary=summary,
                severity=severity,
                transfer=transfer,
                entry_index=index,
                origin=self.origin,
                details=details,
                dedupe_key=None if key is None else f"{kind}|{self.origin}|{key}",
            )
        )


def tail_chain(*, context: MonitorContext) -> TailReport:
    """Verify the log from where the last run stopped up to its latest checkpoint."""
    with UnitOfWork(context.database.sessions) as uow:
        state = _state(uow.session, context)
        uow.commit()
        origin, vkey, size, root = state.origin, state.vkey, state.size, state.root_hash
        known = {
            (int(level), int(index)): base64.b64decode(value)
            for level, index, value in json.loads(state.frontier_json)
        }
    run = _Run(context, origin)
    note = context.source.checkpoint()
    try:
        checkpoint = open_checkpoint(note, [parse_verifier_key(vkey)], origin=origin).checkpoint
    except LedgerError as exc:
        run.alert(
            "checkpoint-inconsistent",
            f"the log's checkpoint does not verify under the pinned key: {exc.message}",
            severity="critical",
            details={"checkpoint": note[:1000]},
            key=note,
        )
        return TailReport(origin, size, size, 0, tuple(run.alerts))
    consistent = _consistent(
        context,
        run,
        size=size,
        root=root,
        new_size=checkpoint.size,
        new_root=checkpoint.root_hash,
        note=note,
    )
    if not consistent:
        return TailReport(origin, size, size, 0, tuple(run.alerts))
    leaves = [context.source.entry(index) for index in range(size, checkpoint.size)]
    created = nodes_completed_by(size, [leaf_hash(leaf) for leaf in leaves], known)
    nodes = {**known, **created}
    reader = _FrontierReader(nodes)
    if root_hash(reader, checkpoint.size) != checkpoint.root_hash:
        run.alert(
            "checkpoint-inconsistent",
            f"entries {size}..{checkpoint.size - 1} served by the log do not hash to the root "
            "of its checkpoint",
            severity="critical",
            details={"from": size, "to": checkpoint.size},
            key=f"entries|{note}",
        )
        return TailReport(origin, size, size, 0, tuple(run.alerts))
    entries = _verify_entries(context, run, size, leaves)
    with UnitOfWork(context.database.sessions) as uow:
        for index, entry in entries:
            uow.session.merge(_row(origin, index, entry))
        state = _state(uow.session, context)
        state.size = checkpoint.size
        state.root_hash = checkpoint.root_hash
        state.frontier_json = json.dumps(
            [
                [level, index, _b64(nodes[level, index])]
                for level, index in frontier(checkpoint.size)
            ]
        )
        state.checkpoint_note = note
        state.updated_at = context.clock.now()
        uow.commit()
    with UnitOfWork(context.database.sessions) as uow:
        for index, entry in entries:
            _apply_rules(uow.session, context, run, index, entry)
    return TailReport(origin, size, checkpoint.size, len(entries), tuple(run.alerts))


def _consistent(
    context: MonitorContext,
    run: _Run,
    *,
    size: int,
    root: bytes,
    new_size: int,
    new_root: bytes,
    note: str,
) -> bool:
    """True when the new checkpoint extends the last verified one (else an alert)."""
    if new_size < size:
        run.alert(
            "checkpoint-inconsistent",
            f"the log went back from size {size} to {new_size}",
            severity="critical",
            details={"checkpoint": note[:1000]},
            key=note,
        )
        return False
    if new_size == size:
        if new_root != root:
            run.alert(
                "checkpoint-fork",
                f"two different roots for size {size}: the log shows a forked view",
                severity="critical",
                details={"checkpoint": note[:1000], "verified_root": _b64(root)},
                key=note,
            )
            return False
        return True
    try:
        proof = context.source.consistency_proof(size, new_size) if size else []
        verify_consistency(
            old_size=size, new_size=new_size, old_root=root, new_root=new_root, proof=proof
        )
    except LedgerError as exc:
        run.alert(
            "checkpoint-inconsistent",
            f"checkpoint {new_size} is not consistent with verified size {size}: {exc.message}",
            severity="critical",
            details={"checkpoint": note[:1000], "verified_root": _b64(root)},
            key=note,
        )
        return False
    return True


def _verify_entries(
    context: MonitorContext, run: _Run, first: int, leaves: list[bytes]
) -> list[tuple[int, SignedEntry]]:
    verified = []
    for offset, leaf in enumerate(leaves):
        index = first + offset
        try:
            entry = parse_signed_entry(leaf)
            verify_signed_entry(entry, context.key_for(entry.kid))
        except CorridorError as exc:
            run.alert(
                "entry-invalid",
                f"entry {index} does not verify: {exc.message}",
                index=index,
                details={"leaf_sha256": leaf_hash(leaf).hex()},
            )
            continue
        verified.append((index, entry))
    return verified


def _row(origin: str, index: int, entry: SignedEntry) -> ChainEntryRow:
    statement = entry.statement
    return ChainEntryRow(
        position=index,
        origin=origin,
        entry_type=statement.type,
        transfer=statement.transfer,
        actor=statement.actor,
        jurisdiction=statement.jurisdiction,
        time=statement.time,
        digests_json=json.dumps(dict(statement.digests), sort_keys=True),
        details_json=json.dumps(dict(statement.details), sort_keys=True),
    )


def _earlier(session: Session, transfer: str, entry_type: str, before: int) -> list[ChainEntryRow]:
    return list(
        session.scalars(
            select(ChainEntryRow)
            .where(
                ChainEntryRow.transfer == transfer,
                ChainEntryRow.entry_type == entry_type,
                ChainEntryRow.position < before,
            )
            .order_by(ChainEntryRow.position)
        )
    )


def _accepted(session: Session, filing: FilingRow | None) -> bool:
    if filing is None or filing.state != "accepted":
        return False
    if filing.mechanism_filing_id is None:
        return True
    standing = session.get(MechanismFilingRow, filing.mechanism_filing_id)
    return standing is None or standing.state not in {"rejected", "expired"}


def _expired(filing: FilingRow | None, at: datetime) -> bool:
    if filing is None or filing.consent_expires_at is None:
        return False
    expires = filing.consent_expires_at
    if expires.tzinfo is None:  # SQLite returns naive UTC
        expires = expires.replace(tzinfo=at.tzinfo)
    return at >= expires


def _apply_rules(
    session: Session, context: MonitorContext, run: _Run, index: int, entry: SignedEntry
) -> None:
    statement = entry.statement
    transfer, kind = statement.transfer, statement.type
    filing = session.scalars(select(FilingRow).where(FilingRow.transfer == transfer)).first()
    ours = statement.jurisdiction == context.jurisdiction
    where = {"entry_type": kind, "actor": statement.actor, "time": statement.time}
    guarded = (kind in _GUARDED and ours) or (kind == "key.released" and filing is not None)
    if guarded and not _accepted(session, filing):
        state = "no filing" if filing is None else f"filing {filing.state}"
        run.alert(
            "transfer-without-filing",
            f"{kind} for transfer {transfer} without an accepted filing here ({state})",
            transfer=transfer,
            index=index,
            details=where,
        )
    at = from_rfc3339(statement.time)
    revoked = _earlier(session, transfer, "consent.revoked", index)
    if kind == "key.released":
        _check_release(
            session, run, index=index, entry=entry, revoked=revoked, filing=filing, at=at
        )
    if kind in _ACCESSES and (ours or filing is not None):
        _check_access(session, run, index=index, entry=entry, revoked=revoked, filing=filing, at=at)


def _check_release(
    session: Session,
    run: _Run,
    *,
    index: int,
    entry: SignedEntry,
    revoked: list[ChainEntryRow],
    filing: FilingRow | None,
    at: datetime,
) -> None:
    statement = entry.statement
    transfer = statement.transfer
    evidence = statement.digests.get("evidence")
    appraisals = [
        row
        for row in _earlier(session, transfer, "attestation.appraised", index)
        if row.actor == statement.actor
        and json.loads(row.details_json).get("outcome") == "affirming"
        and json.loads(row.digests_json).get("evidence") == evidence
    ]
    where = {"actor": statement.actor, "time": statement.time}
    if not appraisals:
        run.alert(
            "key-release-without-attestation",
            f"key released for transfer {transfer} without an affirming appraisal of the "
            "same evidence before it",
            severity="critical",
            transfer=transfer,
            index=index,
            details=where,
        )
    _check_consent_live(
        run,
        kinds=("key-release-after-revocation", "key-release-after-expiry"),
        what=f"key released for transfer {transfer}",
        index=index,
        transfer=transfer,
        revoked=revoked,
        expired=_expired(filing, at),
        where=where,
    )


def _check_access(
    session: Session,
    run: _Run,
    *,
    index: int,
    entry: SignedEntry,
    revoked: list[ChainEntryRow],
    filing: FilingRow | None,
    at: datetime,
) -> None:
    statement = entry.statement
    transfer = statement.transfer
    granted = _earlier(session, transfer, "consent.granted", index)
    recipients = {str(json.loads(row.details_json).get("recipient", "")) for row in granted}
    if filing is not None:
        recipients.add(filing.importer)
    recipients.discard("")
    where = {"actor": statement.actor, "time": statement.time, "entry_type": statement.type}
    if statement.actor not in recipients:
        run.alert(
            "access-outside-consent",
            f"{statement.actor} recorded {statement.type} for transfer {transfer}, "
            + (
                "but the consent names another recipient"
                if recipients
                else "which no consent names"
            ),
            severity="critical",
            transfer=transfer,
            index=index,
            details={**where, "recipients": sorted(recipients)},
        )
    _check_consent_live(
        run,
        kinds=("access-after-revocation", "access-after-expiry"),
        what=f"{statement.type} for transfer {transfer}",
        index=index,
        transfer=transfer,
        revoked=revoked,
        expired=_expired(filing, at),
        where=where,
    )


def _check_consent_live(
    run: _Run,
    *,
    kinds: tuple[AlertKind, AlertKind],
    what: str,
    index: int,
    transfer: str,
    revoked: list[ChainEntryRow],
    expired: bool,
    where: dict[str, Any],
) -> None:
    """Alert when a release or an access follows the consent's revocation or expiry."""
    if revoked:
        run.alert(
            kinds[0],
            f"{what} after the consent was revoked (entry {revoked[0].position})",
            severity="critical",
            transfer=transfer,
            index=index,
            details={**where, "revoked_at_entry": revoked[0].position},
        )
    if expired:
        run.alert(
            kinds[1],
            f"{what} after the consent expired",
            severity="critical",
            transfer=transfer,
            index=index,
            details=where,
        )


def monitor_status(*, database: Database) -> dict[str, Any]:
    """How far the monitor has verified the log."""
    with UnitOfWork(database.sessions) as uow:
        row = uow.session.scalars(select(MonitorStateRow)).first()
        if row is None:
            return {"origin": None, "size": 0, "root_hash": _b64(EMPTY_ROOT), "updated_at": None}
        return {
            "origin": row.origin,
            "vkey": row.vkey,
            "size": row.size,
            "root_hash": _b64(row.root_hash),
            "updated_at": row.updated_at.isoformat(),
        }


class MonitorLoop:
    """Runs :func:`tail_chain` every ``interval_seconds`` on a daemon thread until stopped."""

    def __init__(
        self,
        context: MonitorContext,
        interval_seconds: float,
        on_error: Callable[[Exception], None] | None = None,
    ) -> None:
        self._context = context
        self._interval = interval_seconds
        self._stop = threading.Event()
        self._on_error = on_error
        self._thread = threading.Thread(target=self._loop, name="chain-monitor", daemon=True)

    def start(self) -> None:
        """Start polling."""
        self._thread.start()

    def stop(self) -> None:
        """Stop polling and wait for the current run to finish."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=self._interval + 30)

    def _loop(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                tail_chain(context=self._context)
            except (CorridorError, OSError) as exc:  # the log is down: try again next time
                if self._on_error is not None:
                    self._on_error(exc)
