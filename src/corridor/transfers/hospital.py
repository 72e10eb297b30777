"""A hospital node plays sender for transfers it holds the record of, recipient for the rest."""

from __future__ import annotations

from dataclasses import dataclass

from corridor.consent import SignedConsent, verify_signed_consent
from corridor.storage.unit_of_work import UnitOfWork
from corridor.transfers.errors import InvalidTransferRequest, TransferNotFound
from corridor.transfers.recipient import RecipientContext, accept_as_recipient, recipient_status
from corridor.transfers.rows import find_row, status_of
from corridor.transfers.schemas import TransferRequest, TransferStatus
from corridor.transfers.sender import SenderContext, accept_as_sender


@dataclass(frozen=True)
class HospitalContext:
    """Both halves of a hospital's part in the corridor."""

    did: str
    sender: SenderContext
    recipient: RecipientContext


def accept_request(*, context: HospitalContext, request: TransferRequest) -> TransferStatus:
    """Step 1 arriving at a hospital: as custodian (A) or as recipient (B)."""
    consent = verify_signed_consent(SignedConsent.from_json(request.consent))
    if consent.terms.custodian_did == context.did:
        return accept_as_sender(context=context.sender, request=request, consent=consent)
    if consent.terms.recipient_did == context.did:
        return accept_as_recipient(context=context.recipient, request=request, consent=consent)
    raise InvalidTransferRequest("this hospital is neither the custodian nor the recipient")


def hospital_status(*, context: HospitalContext, transfer: str) -> TransferStatus:
    """This hospital's view of ``transfer`` in whichever role it plays."""
    with UnitOfWork(context.sender.database.sessions) as uow:
        row = find_row(uow.session, transfer)
        if row is None or row.role not in {"sender", "recipient"}:
            raise TransferNotFound(f"no transfer {transfer} here")
        if row.role == "recipient":
            return recipient_status(context=context.recipient, transfer=transfer)
        return status_of(row)
