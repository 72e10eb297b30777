"""Standing filings: standard contracts (national, GBA), security assessments, certificates.

A standard contract is filed with the provincial CAC within 10 working days of taking
effect (SCM art. 7; the GBA contract likewise with the Guangdong CAC or Hong Kong's
Digital Policy Office); a security assessment is declared and decided by the CAC and is
valid three years (CBDF art. 9); a certificate is valid three years (Certification
Measures). Each is filed once per exporter and reference and then moves through
``submitted`` → ``accepted`` | ``rejected``, and ``expired`` when its validity ends or a
material change invalidates it (SCM art. 8, SA Measures art. 14).

The registry is what the regulator knows first hand, so when it decides on a transfer it
takes the filing facts (``sc_filed``, ``working_days_since_*``, ``*_valid``,
``material_change_since_filing``) from here rather than from the exporter's claim.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from corridor.clock import Clock
from corridor.compliance.calendar import WorkdayCalendar, working_days_between
from corridor.compliance.errors import (
    CalendarNotCovered,
    FilingStateConflict,
    MechanismFilingNotFound,
)
from corridor.compliance.schemas import MechanismFilingRequest, MechanismFilingView
from corridor.compliance.tables import MechanismFilingRow
from corridor.storage.database import Database
from corridor.storage.unit_of_work import UnitOfWork

_VALIDITY_DAYS = {
    "cn_security_assessment": 3 * 365,  # CBDF art. 9: three years from the result
    "cn_certification": 3 * 365,  # Certification Measures: certificate valid three years
}
_DECIDED_BY_REGULATOR = frozenset(_VALIDITY_DAYS)
_LIVE = frozenset({"submitted", "accepted"})


@dataclass(frozen=True)
class TransferProfile:
    """What one transfer is: who receives it, for what purpose, which data categories."""

    importer: str
    purpose: str
    categories: tuple[str, ...]


def state_on(row: MechanismFilingRow, today: date) -> str:
    """The filing's state on ``today``: a live filing past its validity has expired."""
    if row.state in _LIVE and row.expires_on is not None and today > row.expires_on:
        return "expired"
    return row.state


def _view(
    row: MechanismFilingRow, today: date, calendar: WorkdayCalendar, deadline: int
) -> MechanismFilingView:
    return MechanismFilingView(
        id=row.id,
        exporter=row.exporter,
        kind=row.kind,
        reference=row.reference,
        effective_on=row.effective_on,
        expires_on=row.expires_on,
        state=state_on(row, today),
        state_reason=row.state_reason,
        profile=json.loads(row.profile_json),
        pipia_digest=row.pipia_digest,
        submitted_at=row.submitted_at,
        filed_in_time=_filed_in_time(row, calendar, deadline),
    )


def _filed_in_time(
    row: MechanismFilingRow, calendar: WorkdayCalendar, deadline: int
) -> bool | None:
    """Whether it was filed within the deadline; None when the calendar cannot tell."""
    if deadline == 0:
        return None
    try:
        late = working_days_between(calendar, row.effective_on, row.submitted_at.date())
    except CalendarNotCovered:
        return None
    return late <= deadline


@dataclass(frozen=True)
class FilingRegistry:
    """Collaborators of the standing-filings registry (one per regulator)."""

    database: Database
    clock: Clock
    calendar: WorkdayCalendar
    deadline_working_days: int


def _profile_json(request: MechanismFilingRequest) -> str:
    profile = request.profile
    return json.dumps(
        {
            "importers": sorted(set(profile.importers)),
            "purposes": sorted(set(profile.purposes)),
            "categories": sorted(set(profile.categories)),
        },
        sort_keys=True,
    )


def submit_in_session(
    session: Session, *, registry: FilingRegistry, request: MechanismFilingRequest
) -> MechanismFilingRow:
    """Create or re-file a standing filing inside the caller's transaction.

    Idempotent: the same exporter, kind and reference with the same profile answers the
    stored filing. A changed profile, or a filing that was rejected or has expired, is a
    re-filing (SCM art. 8: supplement or re-sign, then re-file) and is submitted afresh.
    """
    now = registry.clock.now()
    profile = _profile_json(request)
    row = session.scalars(
        select(MechanismFilingRow).where(
            MechanismFilingRow.exporter == request.exporter,
            MechanismFilingRow.kind == request.kind,
            MechanismFilingRow.reference == request.reference,
        )
    ).one_or_none()
    if row is not None:
        current = state_on(row, now.date())
        if row.profile_json == profile and current in _LIVE:
            return row
        row.profile_json = profile
        row.state = "submitted"
        row.state_reason = "re-filed" if current in _LIVE else f"re-filed after {current}"
        row.submitted_at = now
        row.updated_at = now
        row.pipia_digest = request.pipia_digest or row.pipia_digest
        if request.effective_on is not None:
            row.effective_on = request.effective_on
        row.expires_on = request.expires_on
        return row
    row = MechanismFilingRow(
        id=str(uuid.uuid4()),
        exporter=request.exporter,
        kind=request.kind,
        reference=request.reference,
        effective_on=request.effective_on or now.date(),
        expires_on=request.expires_on,
        state="submitted",
        state_reason="",
        profile_json=profile,
        pipia_digest=request.pipia_digest,
        submitted_at=now,
        updated_at=now,
    )
    session.add(row)
    return row


def reference_or_submit(
    session: Session, *, registry: FilingRegistry, request: MechanismFilingRequest
) -> MechanismFilingRow:
    """A standing filing named along with a transfer: the one on file, else filed now.

    Unlike :func:`submit_in_session` this never re-files: a transfer outside the filed
    profile is a material change the exporter must re-file for explicitly (SCM art. 8),
    not something a transfer filing can quietly widen.
    """
    row = _find(session, request.exporter, request.kind, request.reference)
    return (
        row if row is not None else submit_in_session(session, registry=registry, request=request)
    )


def submit_mechanism_filing(
    *, registry: FilingRegistry, request: MechanismFilingRequest
) -> MechanismFilingView:
    """File a standing mechanism (idempotent; see :func:`submit_in_session`)."""
    with UnitOfWork(registry.database.sessions) as uow:
        row = submit_in_session(uow.session, registry=registry, request=request)
        uow.commit()
        return _view(
            row, registry.clock.now().date(), registry.calendar, registry.deadline_working_days
        )


def _load(session: Session, filing_id: str) -> MechanismFilingRow:
    row = session.get(MechanismFilingRow, filing_id)
    if row is None:
        raise MechanismFilingNotFound(f"no standing filing {filing_id}")
    return row


def decide_mechanism_filing(
    *, registry: FilingRegistry, filing_id: str, accept: bool, reason: str
) -> MechanismFilingView:
    """The regulator accepts or rejects a submitted filing (its officers, through the API).

    Accepting a security assessment or certificate starts its three-year validity unless
    the filing names an end date already.
    """
    now = registry.clock.now()
    with UnitOfWork(registry.database.sessions) as uow:
        row = _load(uow.session, filing_id)
        target = "accepted" if accept else "rejected"
        current = state_on(row, now.date())
        if current == target:
            return _view(row, now.date(), registry.calendar, registry.deadline_working_days)
        if current != "submitted":
            raise FilingStateConflict(f"a {current} filing cannot be {target}")
        row.state = target
        row.state_reason = reason
        row.updated_at = now
        if accept and row.kind in _DECIDED_BY_REGULATOR and row.expires_on is None:
            row.expires_on = now.date() + timedelta(days=_VALIDITY_DAYS[row.kind])
        uow.commit()
        return _view(row, now.date(), registry.calendar, registry.deadline_working_days)


def invalidate_mechanism_filing(
    *, registry: FilingRegistry, filing_id: str, reason: str
) -> MechanismFilingView:
    """A material change (purpose, recipient, categories, storage...) ends the filing.

    SCM art. 8 and SA Measures art. 14: transfers stop until the exporter re-assesses and
    files again, which :func:`submit_mechanism_filing` accepts as a re-filing.
    """
    now = registry.clock.now()
    with UnitOfWork(registry.database.sessions) as uow:
        row = _load(uow.session, filing_id)
        current = state_on(row, now.date())
        if current not in _LIVE:
            raise FilingStateConflict(f"a {current} filing cannot be invalidated")
        row.state = "expired"
        row.state_reason = f"material change: {reason}"
        row.updated_at = now
        uow.commit()
        return _view(row, now.date(), registry.calendar, registry.deadline_working_days)


def list_mechanism_filings(
    *, registry: FilingRegistry, exporter: str | None = None
) -> list[MechanismFilingView]:
    """Every standing filing (of one exporter), oldest first."""
    query = select(MechanismFilingRow).order_by(MechanismFilingRow.submitted_at)
    if exporter is not None:
        query = query.where(MechanismFilingRow.exporter == exporter)
    today = registry.clock.now().date()
    with UnitOfWork(registry.database.sessions) as uow:
        return [
            _view(row, today, registry.calendar, registry.deadline_working_days)
            for row in uow.session.scalars(query)
        ]


def require_mechanism_filing(*, registry: FilingRegistry, filing_id: str) -> MechanismFilingView:
    """One standing filing or :class:`MechanismFilingNotFound`."""
    with UnitOfWork(registry.database.sessions) as uow:
        row = _load(uow.session, filing_id)
        return _view(
            row, registry.clock.now().date(), registry.calendar, registry.deadline_working_days
        )


def _find(
    session: Session, exporter: str, kind: str, reference: str | None
) -> MechanismFilingRow | None:
    query = select(MechanismFilingRow).where(
        MechanismFilingRow.exporter == exporter, MechanismFilingRow.kind == kind
    )
    if reference:
        query = query.where(MechanismFilingRow.reference == reference)
    return session.scalars(query.order_by(MechanismFilingRow.submitted_at.desc())).first()


def _covers(row: MechanismFilingRow, profile: TransferProfile) -> bool:
    filed = json.loads(row.profile_json)
    return (
        profile.importer in filed["importers"]
        and (not profile.purpose or profile.purpose in filed["purposes"])
        and set(profile.categories) <= set(filed["categories"])
    )


def registry_facts(
    session: Session,
    *,
    registry: FilingRegistry,
    exporter: str,
    mechanism: str,
    reference: str,
    profile: TransferProfile,
    declared: dict[str, Any],
) -> tuple[dict[str, Any], str | None]:
    """The filing facts as this registry knows them, and the standing filing relied on.

    ``declared`` are the exporter's facts; what the registry can answer replaces them:
    a contract is *filed* only if it was filed here and is live; *effective* only if live
    and in effect; the working days since it took effect are counted on the pack's
    calendar (unknown days count as past the deadline); assessments and certificates are
    *valid* only if accepted here and unexpired; and a transfer outside the filed profile
    is a *material change*.
    """
    today = registry.clock.now().date()
    facts: dict[str, Any] = {}
    relied_on: str | None = None
    for kind, valid in (
        ("cn_security_assessment", "security_assessment_valid"),
        ("cn_certification", "certification_valid"),
    ):
        row = _find(session, exporter, kind, reference if mechanism == kind else None)
        facts[valid] = row is not None and state_on(row, today) == "accepted"
        if row is not None and mechanism == kind:
            relied_on = row.id
    for kind, filed, days in (
        ("cn_sc", "sc_filed", "working_days_since_sc_effective"),
        ("gba_sc", "gba_sc_filed", "working_days_since_gba_sc_effective"),
    ):
        row = _find(session, exporter, kind, reference) if mechanism == kind else None
        facts[filed] = row is not None and state_on(row, today) in _LIVE
        if row is None:
            facts[days] = int(declared.get(days, 0))
            continue
        relied_on = row.id
        try:
            facts[days] = working_days_between(registry.calendar, row.effective_on, today)
        except CalendarNotCovered:
            facts[days] = registry.deadline_working_days + 1
    row = _find(session, exporter, mechanism, reference) if relied_on else None
    if row is not None:
        current = state_on(row, today)
        facts["mechanism_effective"] = current in _LIVE and row.effective_on <= today
        facts["material_change_since_filing"] = (
            bool(declared.get("material_change_since_filing"))
            or (current == "expired" and row.state_reason.startswith("material change"))
            or not _covers(row, profile)
        )
    return facts, relied_on
