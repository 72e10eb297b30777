"""Reading a party's transfers for people: lists, counts, one patient's transfers.

What pages and consoles show. Each summary is this party's own view of a transfer (its
row): the portal's, hospital A's, the data center's or hospital B's.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import defer

from corridor.crypto.canonical import b64url_decode
from corridor.crypto.hashing import commitment
from corridor.storage.database import Database
from corridor.storage.unit_of_work import UnitOfWork
from corridor.transfers.models import Role
from corridor.transfers.schemas import EvidenceRef
from corridor.transfers.tables import TransferRow

_MAX_PAGE = 500


@dataclass(frozen=True)
class TransferSummary:
    """One transfer as this party sees it."""

    transfer: str
    role: str
    state: str
    consent: dict[str, Any]
    """The patient's signed consent ``{"resource", "jws"}`` (already verified on arrival)."""
    consent_digest: str
    sender_did: str
    recipient_did: str
    patient_ref: str
    evidence: tuple[EvidenceRef, ...]
    details: dict[str, Any]
    """This party's own record of the steps it took (decisions, object ids, refusals)."""
    created_at: datetime
    updated_at: datetime


def _summary(row: TransferRow) -> TransferSummary:
    details = json.loads(row.payload_json or "{}")
    # What a person may see of this party's payload: never keys or ciphertext.
    shown = {
        key: details[key]
        for key in ("decisions", "denials", "facts", "refusals", "manifest", "object_id")
        if key in details
    }
    if "upload" in details:
        shown["resources"] = details["upload"].get("resources")
    return TransferSummary(
        transfer=row.id,
        role=row.role,
        state=row.state,
        consent=json.loads(row.consent_json),
        consent_digest=row.consent_digest,
        sender_did=row.sender_did,
        recipient_did=row.recipient_did,
        patient_ref=row.patient_ref,
        evidence=tuple(
            EvidenceRef.model_validate(ref) for ref in json.loads(row.evidence_json or "[]")
        ),
        details=shown,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def list_transfers(
    *, database: Database, role: Role, limit: int = 100, offset: int = 0
) -> list[TransferSummary]:
    """This party's transfers in ``role``, most recently changed first."""
    query = (
        select(TransferRow)
        # The delivered record (B) or the ciphertext (A) is large and never listed.
        .options(defer(TransferRow.document))
        .where(TransferRow.role == role)
        .order_by(TransferRow.updated_at.desc(), TransferRow.id)
        .limit(max(1, min(limit, _MAX_PAGE)))
        .offset(max(0, offset))
    )
    with UnitOfWork(database.sessions) as uow:
        return [_summary(row) for row in uow.session.scalars(query)]


def count_transfers(*, database: Database, role: Role) -> dict[str, int]:
    """How many of this party's transfers in ``role`` are in each state."""
    query = (
        select(TransferRow.state, func.count())
        .where(TransferRow.role == role)
        .group_by(TransferRow.state)
    )
    with UnitOfWork(database.sessions) as uow:
        return {state: int(count) for state, count in uow.session.execute(query).all()}


def get_transfer(*, database: Database, transfer: str, role: Role) -> TransferSummary | None:
    """This party's view of ``transfer`` in ``role``, if it has one."""
    with UnitOfWork(database.sessions) as uow:
        row = uow.session.get(TransferRow, transfer)
        return _summary(row) if row is not None and row.role == role else None


def transfers_of_patient(
    *, database: Database, did: str, limit: int = 200, offset: int = 0
) -> list[TransferSummary]:
    """The portal's transfers whose consent the patient ``did`` signed, newest first.

    Rows hold a salted commitment to the patient's DID, not the DID: each row's salt
    recomputes it (one HMAC a row), so no index of patients by DID exists anywhere.
    """
    query = (
        select(TransferRow.id, TransferRow.salt_b64, TransferRow.subject)
        .where(TransferRow.role == "portal")
        .order_by(TransferRow.created_at.desc(), TransferRow.id)
    )
    with UnitOfWork(database.sessions) as uow:
        ids = [
            transfer
            for transfer, salt, subject in uow.session.execute(query).all()
            if salt and commitment(b64url_decode(salt), did) == subject
        ][max(0, offset) : max(0, offset) + limit]
        rows = {
            row.id: row
            for row in uow.session.scalars(
                select(TransferRow)
                .options(defer(TransferRow.document))
                .where(TransferRow.id.in_(ids))
            )
        }
        return [_summary(rows[transfer]) for transfer in ids]
