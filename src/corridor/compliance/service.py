"""The regulator's use cases: register a filing and decide on it."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass

from sqlalchemy import select

from corridor.clock import Clock, to_rfc3339
from corridor.compliance.errors import FilingNotFound, NotCompetent
from corridor.compliance.models import Role
from corridor.compliance.rules import evaluate
from corridor.compliance.schemas import FilingRequest, FilingResponse
from corridor.compliance.tables import FilingRow
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


def _role_for(context: ComplianceContext, request: FilingRequest) -> Role:
    if request.facts.origin == context.jurisdiction:
        return "export"
    if request.facts.destination == context.jurisdiction:
        return "import"
    raise NotCompetent(
        f"regulator for {context.jurisdiction} is competent for neither "
        f"{request.facts.origin} nor {request.facts.destination}"
    )


def _response(row: FilingRow) -> FilingResponse:
    return FilingResponse(
        filing_id=row.id,
        transfer=row.transfer,
        state=row.state,
        role=row.role,
        signed_decision=json.loads(row.decision_json),
        evidence_indexes=[]
        if row.evidence_first_index is None
        else [row.evidence_first_index, row.evidence_first_index + 1],
    )


def register_filing(*, context: ComplianceContext, request: FilingRequest) -> FilingResponse:
    """Decide on a filing, store it, and put it on the chain before answering.

    Idempotent per transfer: the decision and the signed evidence are stored first and
    committed; a retry re-sends the same signed leaves, which the log deduplicates, so an
    interrupted call never loses or doubles evidence.
    """
    role = _role_for(context, request)
    with UnitOfWork(context.database.sessions) as uow:
        row = uow.session.scalars(
            select(FilingRow).where(FilingRow.transfer == request.transfer)
        ).one_or_none()
        if row is None:
            row = _new_filing(context=context, request=request, role=role)
            uow.session.add(row)
            uow.commit()
        if row.evidence_first_index is None:
            leaves = [b64url_decode(leaf) for leaf in json.loads(row.evidence_leaves)]
            recorded = context.recorder.record_many([parse_signed_entry(leaf) for leaf in leaves])
            row.evidence_first_index = recorded[0].index
            uow.session.add(row)
            uow.commit()
        return _response(row)


def _new_filing(*, context: ComplianceContext, request: FilingRequest, role: Role) -> FilingRow:
    facts_json = request.facts.model_dump(mode="json")
    facts_digest = "sha256:" + sha256_hex(canonical_json(facts_json))
    decision = evaluate(context.jurisdiction, role, request.facts)
    now = context.clock.now()
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
    filing = context.recorder.statement(
        "filing.registered",
        transfer=request.transfer,
        digests={"privacy_record": request.privacy_record_digest, "facts": facts_digest},
        details={"role": role, "exporter": request.exporter, "importer": request.importer},
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
            "role": role,
        },
    )
    return FilingRow(
        id=str(uuid.uuid4()),
        transfer=request.transfer,
        exporter=request.exporter,
        importer=request.importer,
        role=role,
        state="accepted" if decision.is_permit else "rejected",
        facts_json=json.dumps(facts_json, sort_keys=True),
        privacy_record_digest=request.privacy_record_digest,
        contract_ref=request.contract_ref,
        decision_json=json.dumps(signed.to_json()),
        evidence_leaves=json.dumps([b64url_encode(filing.leaf), b64url_encode(decided.leaf)]),
        evidence_first_index=None,
        created_at=now,
    )


def get_filing(*, context: ComplianceContext, transfer: str) -> FilingResponse | None:
    """The filing for ``transfer``, if any."""
    with UnitOfWork(context.database.sessions) as uow:
        row = uow.session.scalars(
            select(FilingRow).where(FilingRow.transfer == transfer)
        ).one_or_none()
        return None if row is None else _response(row)


def require_filing(*, context: ComplianceContext, transfer: str) -> FilingResponse:
    """The filing for ``transfer`` or :class:`FilingNotFound`."""
    filing = get_filing(context=context, transfer=transfer)
    if filing is None:
        raise FilingNotFound(f"no filing for transfer {transfer}")
    return filing


def signed_decision_of(response: FilingResponse) -> SignedDecision:
    """The signed decision carried in a filing response."""
    return SignedDecision.from_json(response.signed_decision)
