"""Year-to-date counters: distinct individuals each handler exported this calendar year.

CBDF arts. 5(4), 7(2) and 8 set their thresholds in *distinct natural persons since
1 January*, kept in two counters (RULES.md §1.4): everyone whose personal information
left, and everyone whose sensitive personal information left. The exporting regulator
keeps them, one row per counted transfer, so that every count can be reconciled with the
``filing.registered`` entries it signed on the chain. Exempt transfers count too
(RULES.md §4.6(6)); a denied transfer exports nobody and is not counted.

Individuals are counted by the exporting handler's pseudonym for them: the SHA-256 of the
handler's Ed25519 signature over a fixed label and its local record id. Ed25519 signing is
deterministic (RFC 8032 §5.1.6), so the pseudonym is stable per handler and person, and
nobody without the handler's key can compute it or link it to a patient; the regulator
learns a count, never a name.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import distinct, func, select
from sqlalchemy.orm import Session

from corridor.compliance.pack import Threshold
from corridor.compliance.tables import ChainEntryRow, CounterEntryRow
from corridor.crypto.hashing import sha256_hex
from corridor.crypto.keys import SigningKeyPair
from corridor.storage.database import Database
from corridor.storage.unit_of_work import UnitOfWork

_PSEUDONYM_LABEL = b"corridor/counter-person/v1|"


def counter_pseudonym(key: SigningKeyPair, local_ref: str) -> str:
    """The handler's stable, unlinkable pseudonym for the individual it files as ``local_ref``."""
    return "sha256:" + sha256_hex(key.sign(_PSEUDONYM_LABEL + local_ref.encode("utf-8")))


def counter_year(at: datetime, timezone: str) -> int:
    """The calendar year ``at`` falls in where the pack's law applies (reset 1 January)."""
    return at.astimezone(ZoneInfo(timezone)).year


@dataclass(frozen=True)
class YearCount:
    """One handler's counters for one year."""

    handler: str
    year: int
    general: int
    sensitive: int


def _distinct(session: Session, handler: str, year: int, *, sensitive_only: bool) -> int:
    query = select(func.count(distinct(CounterEntryRow.person))).where(
        CounterEntryRow.handler == handler, CounterEntryRow.year == year
    )
    if sensitive_only:
        query = query.where(CounterEntryRow.sensitive.is_(True))
    return int(session.scalar(query) or 0)


def _known(session: Session, handler: str, year: int, person: str, *, sensitive_only: bool) -> bool:
    query = select(CounterEntryRow.id).where(
        CounterEntryRow.handler == handler,
        CounterEntryRow.year == year,
        CounterEntryRow.person == person,
    )
    if sensitive_only:
        query = query.where(CounterEntryRow.sensitive.is_(True))
    return session.scalars(query.limit(1)).first() is not None


def current_count(session: Session, *, handler: str, year: int) -> YearCount:
    """The counters as they stand."""
    return YearCount(
        handler,
        year,
        _distinct(session, handler, year, sensitive_only=False),
        _distinct(session, handler, year, sensitive_only=True),
    )


def count_with(
    session: Session, *, handler: str, year: int, person: str, sensitive: bool
) -> YearCount:
    """The counters as they would stand with ``person`` exported (this transfer included)."""
    now = current_count(session, handler=handler, year=year)
    general = now.general + (
        0 if _known(session, handler, year, person, sensitive_only=False) else 1
    )
    sensitive_count = now.sensitive
    if sensitive and not _known(session, handler, year, person, sensitive_only=True):
        sensitive_count += 1
    return YearCount(handler, year, general, sensitive_count)


def record_export(
    session: Session,
    *,
    handler: str,
    year: int,
    person: str,
    sensitive: bool,
    transfer: str,
    at: datetime,
) -> None:
    """Count ``person`` for ``transfer`` (once per transfer; the caller commits)."""
    exists = session.scalars(
        select(CounterEntryRow.id).where(CounterEntryRow.transfer == transfer)
    ).first()
    if exists is None:
        session.add(
            CounterEntryRow(
                handler=handler,
                year=year,
                person=person,
                sensitive=sensitive,
                transfer=transfer,
                counted_at=at,
            )
        )


def crossed(
    thresholds: Sequence[Threshold], before: YearCount, after: YearCount
) -> list[Threshold]:
    """Thresholds the counters reach with this transfer and had not reached without it."""
    hits = []
    for threshold in thresholds:
        old = before.general if threshold.counter == "general" else before.sensitive
        new = after.general if threshold.counter == "general" else after.sensitive
        if old < threshold.at <= new:
            hits.append(threshold)
    return hits


@dataclass(frozen=True)
class CounterReconciliation:
    """A handler-year's counters next to what this regulator's chain entries say."""

    handler: str
    year: int
    general: int
    sensitive: int
    chain_general: int | None
    chain_sensitive: int | None
    counted_not_on_chain: tuple[str, ...]
    on_chain_not_counted: tuple[str, ...]

    @property
    def is_reconciled(self) -> bool:
        """Every counted transfer is on the chain and vice versa, and the totals agree."""
        return (
            not self.counted_not_on_chain
            and not self.on_chain_not_counted
            and self.chain_general in {None, self.general}
            and self.chain_sensitive in {None, self.sensitive}
        )

    def to_json(self) -> dict[str, object]:
        """Wire form."""
        return {
            "handler": self.handler,
            "year": self.year,
            "general": self.general,
            "sensitive": self.sensitive,
            "chain_general": self.chain_general,
            "chain_sensitive": self.chain_sensitive,
            "counted_not_on_chain": list(self.counted_not_on_chain),
            "on_chain_not_counted": list(self.on_chain_not_counted),
            "reconciled": self.is_reconciled,
        }


def reconcile_counters(*, database: Database, regulator: str) -> list[CounterReconciliation]:
    """Compare each handler-year's counters with the chain entries ``regulator`` signed.

    The ``filing.registered`` entries the monitor verified carry the counts after each
    counted filing.

    Only entries the monitor has already verified are compared, so a transfer filed after
    the last poll shows as counted but not (yet) on the chain.
    """
    with UnitOfWork(database.sessions) as uow:
        session = uow.session
        counted: dict[tuple[str, int], set[str]] = {}
        for row in session.scalars(select(CounterEntryRow)):
            counted.setdefault((row.handler, row.year), set()).add(row.transfer)
        on_chain: dict[tuple[str, int], set[str]] = {}
        totals: dict[tuple[str, int], tuple[int, int]] = {}
        entries = session.scalars(
            select(ChainEntryRow)
            .where(
                ChainEntryRow.entry_type == "filing.registered", ChainEntryRow.actor == regulator
            )
            .order_by(ChainEntryRow.position)
        )
        for entry in entries:
            details = json.loads(entry.details_json)
            if not details.get("counted"):
                continue
            key = (str(details.get("exporter", "")), int(details.get("counter_year", 0)))
            on_chain.setdefault(key, set()).add(entry.transfer)
            totals[key] = (int(details["ytd_general"]), int(details["ytd_sensitive"]))
        results = []
        for handler, year in sorted(set(counted) | set(on_chain)):
            count = current_count(session, handler=handler, year=year)
            mine, chained = (
                counted.get((handler, year), set()),
                on_chain.get((handler, year), set()),
            )
            chain_total = totals.get((handler, year))
            # The chain's last total can only be compared once every count is on the chain.
            comparable = chain_total is not None and not (mine - chained)
            results.append(
                CounterReconciliation(
                    handler=handler,
                    year=year,
                    general=count.general,
                    sensitive=count.sensitive,
                    chain_general=chain_total[0] if comparable and chain_total else None,
                    chain_sensitive=chain_total[1] if comparable and chain_total else None,
                    counted_not_on_chain=tuple(sorted(mine - chained)),
                    on_chain_not_counted=tuple(sorted(chained - mine)),
                )
            )
        return results
