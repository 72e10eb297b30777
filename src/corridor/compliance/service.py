"""The regulator's use cases for one transfer: decide on its filing, review it, report it.

A transfer's filing is its privacy record. The regulator completes the exporter's facts
with what it knows first hand (its filings registry, its year-to-date counters), decides
with its pack in the role its jurisdiction plays (origin: ``export``, destination:
``import``), counts the individuals of a permitted export, signs the decision and puts
``filing.registered`` and ``compliance.decided`` on the chain before answering.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from corridor.clock import Clock, to_rfc3339
from corridor.compliance.alerts import raise_alert
from corridor.compliance.calendar import calendar_named
from corridor.compliance.counters import (
    YearCount,
    count_with,
    counter_year,
    crossed,
    current_count,
    record_export,
)
from corridor.compliance.engine import evaluate
from corridor.compliance.errors import FilingNotFound, FilingStateConflict, NotCompetent
from corridor.compliance.facts import Facts
from corridor.compliance.filings import (
    FilingRegistry,
    TransferProfile,
    reference_or_submit,
    registry_facts,
    state_on,
)
from corridor.compliance.models import Decision, Role
from corridor.compliance.pack import PackSet, PolicyPack, Threshold, load_packs
from corridor.compliance.pipia import PipiaReport, build_pipia
from corridor.compliance.schemas import FilingRequest, FilingResponse
from corridor.compliance.tables import FilingRow, MechanismFilingRow
from corridor.compliance.verdicts import SignedDecision, sign_decision
from corridor.crypto.canonical import b64url_decode, b64url_encode, canonical_json
from corridor.crypto.hashing import sha256_hex
from corridor.crypto.keys import SigningKeyPair
from corridor.ledger.evidence import parse_signed_entry
from corridor.ledger.recorder import EvidenceRecorder
from corridor.storage.database import Database
from corridor.storage.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class ComplianceContext:
    """Collaborators of the regulator's compliance service."""

    database: Database
    recorder: EvidenceRecorder
    key: SigningKeyPair
    did: str
    kid: str
    jurisdiction: str
    clock: Clock
    packs: PackSet = field(default_factory=load_packs)

    @property
    def pack(self) -> PolicyPack:
        """This regulator's pack (its jurisdiction's law)."""
        return self.packs.get(self.jurisdiction)

    @property
    def registry(self) -> FilingRegistry:
        """The standing-filings registry, on this pack's working-day calendar."""
        pack = self.pack
        return FilingRegistry(
            database=self.database,
            clock=self.clock,
            calendar=calendar_named(pack.working_days),
            deadline_working_days=pack.filing_deadline_working_days,
        )

    def local_day(self, at: datetime) -> date:
        """The calendar day ``at`` falls on where this regulator's law applies."""
        return at.astimezone(ZoneInfo(self.pack.timezone)).date()


def role_for(pack: PolicyPack, facts: Facts) -> Role:
    """Export when the pack governs the origin, import when it governs the destination."""
    if pack.governs(facts.origin):
        return "export"
    if pack.governs(facts.destination):
        return "import"
    raise NotCompetent(
        f"the {pack.code} regulator is competent for neither {facts.origin} nor {facts.destination}"
    )


def _effective_state(session: Session, row: FilingRow, now: datetime) -> tuple[str, str]:
    """The filing's state now: a live filing expires with its consent or its contract."""
    if row.state not in {"submitted", "accepted"}:
        return row.state, row.state_reason
    if row.consent_expires_at is not None and now >= _aware(row.consent_expires_at):
        return "expired", "the consent has expired"
    if row.mechanism_filing_id is not None:
        standing = session.get(MechanismFilingRow, row.mechanism_filing_id)
        if standing is not None:
            standing_state = state_on(standing, now.date())
            if standing_state in {"expired", "rejected"}:
                return "expired", f"the standing filing it relies on is {standing_state}"
    return row.state, row.state_reason


def _aware(at: datetime) -> datetime:
    # SQLite gives back naive datetimes for timezone-aware columns; they were stored in UTC.
    return at if at.tzinfo is not None else at.replace(tzinfo=ZoneInfo("UTC"))


def _response(session: Session, row: FilingRow, now: datetime) -> FilingResponse:
    state, reason = _effective_state(session, row, now)
    return FilingResponse(
        filing_id=row.id,
        transfer=row.transfer,
        state=state,
        role=row.role,
        signed_decision=json.loads(row.decision_json),
        evidence_indexes=[]
        if row.evidence_first_index is None
        else [row.evidence_first_index, row.evidence_first_index + 1],
        state_reason=reason,
        mechanism_filing_id=row.mechanism_filing_id,
    )


def register_filing(*, context: ComplianceContext, request: FilingRequest) -> FilingResponse:
    """Decide on a filing, store it, and put it on the chain before answering.

    Idempotent per transfer: the decision and the signed evidence are stored first and
    committed; a retry re-sends the same signed leaves, which the log deduplicates, so an
    interrupted call never loses or doubles evidence.
    """
    pack = context.pack
    role = role_for(pack, request.facts)
    crossings: list[Threshold] = []
    with UnitOfWork(context.database.sessions) as uow:
        row = uow.session.scalars(
            select(FilingRow).where(FilingRow.transfer == request.transfer)
        ).one_or_none()
        if row is None:
            row, crossings = _new_filing(context, uow.session, request, role)
            uow.session.add(row)
            uow.commit()
        if row.evidence_first_index is None:
            leaves = [b64url_decode(leaf) for leaf in json.loads(row.evidence_leaves)]
            recorded = context.recorder.record_many([parse_signed_entry(leaf) for leaf in leaves])
            row.evidence_first_index = recorded[0].index
            uow.session.add(row)
            uow.commit()
        response = _response(uow.session, row, context.clock.now())
    for threshold in crossings:
        _alert_threshold(context, request, threshold)
    return response


def _alert_threshold(
    context: ComplianceContext, request: FilingRequest, threshold: Threshold
) -> None:
    year = counter_year(context.clock.now(), context.pack.timezone)
    raise_alert(
        database=context.database,
        clock=context.clock,
        kind="counter-threshold",
        severity="warning",
        summary=(
            f"{request.exporter} reached {threshold.at} {threshold.counter} individuals in "
            f"{year}: exports now need {threshold.route} ({threshold.cite})"
        ),
        transfer=request.transfer,
        details={"handler": request.exporter, "year": year, **threshold.model_dump()},
        dedupe_key=f"counter-threshold|{request.exporter}|{year}|{threshold.counter}|{threshold.at}",
    )


@dataclass
class _Counting:
    """The year-to-date counts for one export, before and with this transfer."""

    year: int
    person: str
    sensitive: bool
    before: YearCount
    after: YearCount


def _count(
    context: ComplianceContext, session: Session, request: FilingRequest
) -> _Counting | None:
    facts = request.facts
    if not facts.has_pi or facts.anonymised:
        return None
    year = counter_year(context.clock.now(), context.pack.timezone)
    # Without the exporter's pseudonym the transfer counts as a new person (conservative).
    person = request.person or f"transfer:{request.transfer}"
    sensitive = facts.has_sensitive_pi or facts.has_health or facts.minors_under_14
    before = current_count(session, handler=request.exporter, year=year)
    after = count_with(
        session, handler=request.exporter, year=year, person=person, sensitive=sensitive
    )
    return _Counting(year, person, sensitive, before, after)


def _decided_facts(
    context: ComplianceContext,
    session: Session,
    request: FilingRequest,
    counting: _Counting | None,
) -> tuple[Facts, str | None]:
    declared = request.facts.model_dump(mode="json")
    standing = request.mechanism_filing
    if standing is not None:
        reference_or_submit(session, registry=context.registry, request=standing)
        session.flush()
    overrides, relied_on = registry_facts(
        session,
        registry=context.registry,
        exporter=request.exporter,
        mechanism=request.facts.mechanism,
        reference=standing.reference if standing is not None else request.contract_ref,
        profile=TransferProfile(request.importer, request.purpose, tuple(request.categories)),
        declared=declared,
    )
    if counting is not None:
        # The exporter may have exported by other channels too: the larger count decides.
        overrides["ytd_general_individuals"] = max(
            request.facts.ytd_general_individuals, counting.after.general
        )
        overrides["ytd_sensitive_individuals"] = max(
            request.facts.ytd_sensitive_individuals, counting.after.sensitive
        )
    return Facts.model_validate({**declared, **overrides}), relied_on


def _new_filing(
    context: ComplianceContext, session: Session, request: FilingRequest, role: Role
) -> tuple[FilingRow, list[Threshold]]:
    now = context.clock.now()
    counting = _count(context, session, request) if role == "export" else None
    facts, relied_on = _decided_facts(context, session, request, counting)
    facts_json = facts.model_dump(mode="json")
    facts_digest = "sha256:" + sha256_hex(canonical_json(facts_json))
    decision = evaluate(context.pack, facts, as_of=context.local_day(now), role=role)
    state = _state_for(decision)
    counted = counting is not None and decision.is_permit
    if counting is not None and counted:
        record_export(
            session,
            handler=request.exporter,
            year=counting.year,
            person=counting.person,
            sensitive=counting.sensitive,
            transfer=request.transfer,
            at=now,
        )
    signed = sign_decision(
        decision=decision,
        transfer=request.transfer,
        regulator=context.did,
        jurisdiction=context.jurisdiction,
        time=to_rfc3339(now),
        facts_digest=facts_digest,
        key=context.key,
        kid=context.kid,
    )
    leaves = _statements(
        context,
        request,
        decision=decision,
        signed=signed,
        state=state,
        facts_digest=facts_digest,
        counting=counting,
        counted=counted,
    )
    row = FilingRow(
        id=str(uuid.uuid4()),
        transfer=request.transfer,
        exporter=request.exporter,
        importer=request.importer,
        role=role,
        state=state,
        facts_json=json.dumps(facts_json, sort_keys=True),
        submitted_facts_json=json.dumps(request.facts.model_dump(mode="json"), sort_keys=True),
        privacy_record_digest=request.privacy_record_digest,
        contract_ref=request.contract_ref,
        mechanism_filing_id=relied_on,
        consent_digest=request.consent_digest or "",
        consent_expires_at=request.consent_expires_at,
        decision_json=json.dumps(signed.to_json()),
        evidence_leaves=json.dumps(leaves),
        evidence_first_index=None,
        state_reason="awaiting review: " + "; ".join(decision.reasons)
        if state == "submitted"
        else "",
        created_at=now,
        updated_at=now,
    )
    crossings = (
        crossed(context.pack.thresholds, counting.before, counting.after) if counting else []
    )
    return row, crossings


def _state_for(decision: Decision) -> str:
    """A deny is rejected; an interpretive permit waits for an officer (RULES.md §4.2)."""
    if not decision.is_permit:
        return "rejected"
    return "submitted" if decision.review_required else "accepted"


def _statements(
    context: ComplianceContext,
    request: FilingRequest,
    *,
    decision: Decision,
    signed: SignedDecision,
    state: str,
    facts_digest: str,
    counting: _Counting | None,
    counted: bool,
) -> list[str]:
    digests = {"privacy_record": request.privacy_record_digest, "facts": facts_digest}
    if request.consent_digest:
        digests["consent"] = request.consent_digest
    details: dict[str, str | int | bool | None] = {
        "role": decision.role,
        "exporter": request.exporter,
        "importer": request.importer,
        "state": state,
        "counted": counted,
    }
    if counting is not None:
        # The counters after this filing, so anyone can reconcile them with the chain.
        totals = counting.after if counted else counting.before
        details.update(
            counter_year=counting.year, ytd_general=totals.general, ytd_sensitive=totals.sensitive
        )
    filing = context.recorder.statement(
        "filing.registered", transfer=request.transfer, digests=digests, details=details
    )
    decided = context.recorder.statement(
        "compliance.decided",
        transfer=request.transfer,
        digests={"decision": signed.digest, "pack": decision.pack_digest},
        details={
            "decision": decision.decision,
            "mechanism": decision.mechanism,
            "pack": decision.pack,
            "pack_version": decision.pack_version,
            "role": decision.role,
            "review_required": decision.review_required,
        },
    )
    return [b64url_encode(filing.leaf), b64url_encode(decided.leaf)]


def review_filing(
    *, context: ComplianceContext, transfer: str, accept: bool, reason: str
) -> FilingResponse:
    """An officer accepts or rejects a filing that awaits review (or re-rejects one).

    Rejection is allowed from ``submitted`` and ``accepted`` (a regulator can withdraw its
    acceptance); acceptance only from ``submitted`` since a denied transfer stays denied.
    """
    now = context.clock.now()
    with UnitOfWork(context.database.sessions) as uow:
        row = _load(uow.session, transfer)
        state, _ = _effective_state(uow.session, row, now)
        target = "accepted" if accept else "rejected"
        if state != target:
            allowed = {"submitted"} if accept else {"submitted", "accepted"}
            if state not in allowed:
                raise FilingStateConflict(f"a {state} filing cannot be {target}")
            row.state = target
            row.state_reason = reason or f"{target} on review"
            row.updated_at = now
            uow.commit()
        return _response(uow.session, row, now)


def _load(session: Session, transfer: str) -> FilingRow:
    row = session.scalars(select(FilingRow).where(FilingRow.transfer == transfer)).one_or_none()
    if row is None:
        raise FilingNotFound(f"no filing for transfer {transfer}")
    return row


def get_filing(*, context: ComplianceContext, transfer: str) -> FilingResponse | None:
    """The filing for ``transfer``, if any."""
    with UnitOfWork(context.database.sessions) as uow:
        row = uow.session.scalars(
            select(FilingRow).where(FilingRow.transfer == transfer)
        ).one_or_none()
        return None if row is None else _response(uow.session, row, context.clock.now())


def require_filing(*, context: ComplianceContext, transfer: str) -> FilingResponse:
    """The filing for ``transfer`` or :class:`FilingNotFound`."""
    filing = get_filing(context=context, transfer=transfer)
    if filing is None:
        raise FilingNotFound(f"no filing for transfer {transfer}")
    return filing


def filing_pipia(*, context: ComplianceContext, transfer: str) -> PipiaReport:
    """The PIPIA of a filed transfer, from the facts the regulator decided on."""
    with UnitOfWork(context.database.sessions) as uow:
        row = _load(uow.session, transfer)
        facts = Facts.model_validate(json.loads(row.facts_json))
        created = _aware(row.created_at)
    return build_pipia(facts=facts, packs=context.packs, transfer=transfer, generated_at=created)


def signed_decision_of(response: FilingResponse) -> SignedDecision:
    """The signed decision carried in a filing response."""
    return SignedDecision.from_json(response.signed_decision)


def filing_states(*, context: ComplianceContext) -> dict[str, Any]:
    """How many filings are in each state now (for the console and the demo)."""
    now = context.clock.now()
    counts: dict[str, int] = {}
    with UnitOfWork(context.database.sessions) as uow:
        for row in uow.session.scalars(select(FilingRow)):
            state, _ = _effective_state(uow.session, row, now)
            counts[state] = counts.get(state, 0) + 1
    return counts
