"""Loading and saving a party's transfer rows (shared by every role's service)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from corridor.consent import SignedConsent, VerifiedConsent, verify_signed_consent
from corridor.ledger.recorder import RecordedEvidence
from corridor.transfers.errors import TransferNotFound
from corridor.transfers.models import Role, TransferState, advance
from corridor.transfers.schemas import EvidenceRef, TransferStatus
from corridor.transfers.tables import TransferRow


def new_row(  # every column a role knows when it first sees a transfer
    *,
    transfer: str,
    role: Role,
    state: TransferState,
    consent: VerifiedConsent,
    subject: str,
    sender_did: str,
    recipient_did: str,
    at: datetime,
    patient_ref: str = "",
    salt_b64: str = "",
) -> TransferRow:
    """A role's first record of a transfer, carrying the consent it was verified against."""
    return TransferRow(
        id=transfer,
        role=role,
        state=state.value,
        consent_json=json.dumps(consent.signed.to_json()),
        consent_digest=consent.digest,
        subject=subject,
        sender_did=sender_did,
        recipient_did=recipient_did,
        patient_ref=patient_ref,
        salt_b64=salt_b64,
        created_at=at,
        updated_at=at,
    )


def stored_consent(row: TransferRow) -> VerifiedConsent:
    """The consent the row was accepted under, its signature verified again."""
    return verify_signed_consent(SignedConsent.from_json(json.loads(row.consent_json)))


def load_row(session: Session, transfer: str, role: Role) -> TransferRow:
    """The row for ``transfer`` at this party, or :class:`TransferNotFound`."""
    row = session.get(TransferRow, transfer)
    if row is None or row.role != role:
        raise TransferNotFound(f"no transfer {transfer} here")
    return row


def find_row(session: Session, transfer: str) -> TransferRow | None:
    """The row for ``transfer`` whatever the role, if any."""
    return session.get(TransferRow, transfer)


def state_of(row: TransferRow) -> TransferState:
    """The row's state as the enum."""
    return TransferState(row.state)


def move(row: TransferRow, target: TransferState, at: datetime) -> None:
    """Advance the row along the corridor's edges."""
    role: Role = row.role  # type: ignore[assignment]  # the column only ever holds a Role
    row.state = advance(role, state_of(row), target).value
    row.updated_at = at


def payload(row: TransferRow) -> dict[str, Any]:
    """The role-specific payload as a dict."""
    value = json.loads(row.payload_json or "{}")
    assert isinstance(value, dict)
    return value


def update_payload(row: TransferRow, **values: Any) -> None:
    """Merge ``values`` into the payload."""
    current = payload(row)
    current.update(values)
    row.payload_json = json.dumps(current, sort_keys=True)


def add_evidence(row: TransferRow, recorded: list[RecordedEvidence]) -> None:
    """Remember the log indexes of evidence this party wrote."""
    refs = json.loads(row.evidence_json or "[]")
    refs.extend({"type": item.entry.statement.type, "index": item.index} for item in recorded)
    row.evidence_json = json.dumps(refs)


def status_of(row: TransferRow, **details: Any) -> TransferStatus:
    """The public status of a row."""
    refs = [EvidenceRef.model_validate(ref) for ref in json.loads(row.evidence_json or "[]")]
    return TransferStatus(
        transfer=row.id,
        role=row.role,
        state=row.state,
        consent_digest=row.consent_digest,
        subject=row.subject,
        evidence=refs,
        details=details,
    )
