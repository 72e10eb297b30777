"""What a regulator's console reads: the filings queue, flows over time, counters.

Read-only views over this regulator's own registry, for its officers' pages
(``corridor.web.regulator``). Counts are of filings decided here; the year-to-date
counters are the ones the decisions used (CBDF arts. 5(4), 7, 8, RULES.md §1.4).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from corridor.compliance.counters import counter_year
from corridor.compliance.pack import Threshold
from corridor.compliance.service import ComplianceContext, _aware, _effective_state
from corridor.compliance.tables import CounterEntryRow, FilingRow
from corridor.storage.unit_of_work import UnitOfWork

_MAX_FILINGS = 1000


@dataclass(frozen=True)
class FilingSummary:
    """One filing as the queue lists it."""

    transfer: str
    exporter: str
    importer: str
    role: str
    state: str
    state_reason: str
    decision: str
    mechanism: str
    category: str
    created_at: datetime


def flow_category(facts: dict[str, Any]) -> str:
    """The broadest data category of a flow: health, other sensitive, minors, general."""
    if facts.get("anonymised") or not facts.get("has_pi", True):
        return "anonymised"
    if facts.get("minors_under_14"):
        return "minors"
    if facts.get("has_health"):
        return "health"
    if facts.get("has_sensitive_pi"):
        return "sensitive"
    return "general"


def list_filings(
    *, context: ComplianceContext, state: str | None = None, limit: int = 200
) -> list[FilingSummary]:
    """Filings decided here, newest first, optionally only those now in ``state``."""
    now = context.clock.now()
    query = select(FilingRow).order_by(FilingRow.created_at.desc(), FilingRow.id)
    if state is not None:
        # A stored state only ever becomes "expired" on reading (consent or contract ended),
        # so the database can narrow the rows before each one's state is worked out.
        stored = {"expired": ("submitted", "accepted", "expired")}.get(state, (state,))
        query = query.where(FilingRow.state.in_(stored))
    found: list[FilingSummary] = []
    with UnitOfWork(context.database.sessions) as uow:
        for row in uow.session.scalars(query.limit(limit if state is None else _MAX_FILINGS)):
            current, reason = _effective_state(uow.session, row, now)
            if state is not None and current != state:
                continue
            decided = json.loads(row.decision_json).get("body", {}).get("decision", {})
            found.append(
                FilingSummary(
                    transfer=row.transfer,
                    exporter=row.exporter,
                    importer=row.importer,
                    role=row.role,
                    state=current,
                    state_reason=reason,
                    decision=str(decided.get("decision", "")),
                    mechanism=str(decided.get("mechanism", "")),
                    category=flow_category(json.loads(row.facts_json)),
                    created_at=_aware(row.created_at),
                )
            )
            if len(found) >= limit:
                break
    return found


@dataclass(frozen=True)
class DayFlows:
    """Filings decided on one local day, by outcome."""

    day: date
    permitted: int
    denied: int
    in_review: int


def daily_flows(*, context: ComplianceContext, days: int = 14) -> list[DayFlows]:
    """Filings per local day for the last ``days`` days, oldest first (zero days included)."""
    zone = ZoneInfo(context.pack.timezone)
    today = context.clock.now().astimezone(zone).date()
    first = today - timedelta(days=days - 1)
    since = datetime(first.year, first.month, first.day, tzinfo=zone)
    tally: dict[date, Counter[str]] = {first + timedelta(days=n): Counter() for n in range(days)}
    query = select(FilingRow.created_at, FilingRow.state).where(FilingRow.created_at >= since)
    with UnitOfWork(context.database.sessions) as uow:
        for created, state in uow.session.execute(query).all():
            day = _aware(created).astimezone(zone).date()
            if day in tally:
                tally[day][state] += 1
    return [
        DayFlows(
            day, counts["accepted"] + counts["expired"], counts["rejected"], counts["submitted"]
        )
        for day, counts in sorted(tally.items())
    ]


def flows_by_category(*, context: ComplianceContext) -> dict[str, int]:
    """How many filings carried each category of data (all time)."""
    with UnitOfWork(context.database.sessions) as uow:
        facts = uow.session.scalars(select(FilingRow.facts_json).limit(100_000)).all()
    return dict(Counter(flow_category(json.loads(item)) for item in facts))


@dataclass(frozen=True)
class CounterStanding:
    """One exporting handler's individuals this year against the pack's thresholds."""

    handler: str
    year: int
    general: int
    sensitive: int
    thresholds: tuple[Threshold, ...]


def counter_standings(*, context: ComplianceContext) -> list[CounterStanding]:
    """This year's counters of every handler that exported under this pack."""
    year = counter_year(context.clock.now(), context.pack.timezone)
    general = (
        select(CounterEntryRow.handler, func.count(func.distinct(CounterEntryRow.person)))
        .where(CounterEntryRow.year == year)
        .group_by(CounterEntryRow.handler)
    )
    sensitive = general.where(CounterEntryRow.sensitive.is_(True))
    with UnitOfWork(context.database.sessions) as uow:
        totals = {str(h): int(c) for h, c in uow.session.execute(general).all()}
        sensitives = {str(h): int(c) for h, c in uow.session.execute(sensitive).all()}
    return [
        CounterStanding(
            handler=handler,
            year=year,
            general=int(count),
            sensitive=int(sensitives.get(handler, 0)),
            thresholds=tuple(context.pack.thresholds),
        )
        for handler, count in sorted(totals.items())
    ]
