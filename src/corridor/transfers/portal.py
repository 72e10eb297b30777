"""Step 1 at the patient portal: take the signed consent, put it on the chain, notify both ends.

The portal acts for the patient: it writes ``consent.granted`` and ``consent.revoked``
with the digest of the patient's signed document and a salted commitment to his DID, never
the DID itself (BLUEPRINT §5). The salt goes only to the two hospitals of the transfer.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from corridor.clock import Clock
from corridor.consent import (
    SignedConsent,
    SignedRevocation,
    evaluate_consent,
    verify_revocation,
    verify_signed_consent,
)
from corridor.crypto.canonical import b64url_encode
from corridor.crypto.hashing import commitment, new_salt
from corridor.identity import CallerNotAllowed
from corridor.ledger.recorder import EvidenceRecorder
from corridor.storage.database import Database
from corridor.storage.unit_of_work import UnitOfWork
from corridor.transfers.client import HttpHospitalClient
from corridor.transfers.errors import InvalidTransferRequest
from corridor.transfers.models import TransferState
from corridor.transfers.rows import (
    add_evidence,
    load_row,
    move,
    new_row,
    status_of,
    stored_consent,
    update_payload,
)
from corridor.transfers.schemas import (
    PatientRequest,
    RevocationRequest,
    TransferRequest,
    TransferStatus,
)
from corridor.types import Did


@dataclass(frozen=True)
class PortalContext:
    """Collaborators of the portal's transfer service."""

    database: Database
    recorder: EvidenceRecorder
    clock: Clock
    hospitals: Mapping[Did, HttpHospitalClient]
    """Hospital clients by DID."""


def _hospital(context: PortalContext, did: str) -> HttpHospitalClient:
    try:
        return context.hospitals[Did(did)]
    except KeyError:
        raise InvalidTransferRequest(f"{did} is not a hospital this portal knows") from None


def _require_own(patient: str | None, consent_patient: str) -> None:
    # A patient sending for himself may only send his own consent; the desk (an operator,
    # ``patient`` None) forwards whatever the patient signed, which names him anyway.
    if patient is not None and patient != consent_patient:
        raise CallerNotAllowed("a patient may only send his own consent and revocation")


def request_transfer(
    *, context: PortalContext, request: PatientRequest, patient: str | None = None
) -> TransferStatus:
    """Verify the patient's consent, record ``consent.granted``, hand it to both hospitals.

    ``patient`` is the verified signer of the request when the patient sent it himself.
    """
    consent = verify_signed_consent(SignedConsent.from_json(request.consent))
    terms = consent.terms
    _require_own(patient, terms.patient_did)
    now = context.clock.now()
    decision = evaluate_consent(consent, at=now, recipient_did=terms.recipient_did, revoked=False)
    if not decision.allowed:
        raise InvalidTransferRequest(
            "the consent does not allow a transfer now", detail={"reasons": list(decision.reasons)}
        )
    sender = _hospital(context, terms.custodian_did)
    recipient = _hospital(context, terms.recipient_did)
    transfer = str(uuid.uuid4())
    salt = new_salt()
    subject = commitment(salt, terms.patient_did)
    recorded = context.recorder.record(
        "consent.granted",
        transfer=transfer,
        subject=subject,
        digests={"consent": consent.digest},
        details={
            "purpose": terms.purpose,
            "recipient": terms.recipient_did,
            "custodian": terms.custodian_did,
            "cross_border_separate_consent": terms.cross_border_separate_consent,
            "sensitive_separate_consent": terms.sensitive_separate_consent,
        },
    )
    row = new_row(
        transfer=transfer,
        role="portal",
        state=TransferState.REQUESTED,
        consent=consent,
        subject=subject,
        sender_did=terms.custodian_did,
        recipient_did=terms.recipient_did,
        patient_ref=request.patient_ref,
        salt_b64=b64url_encode(salt),
        at=now,
    )
    add_evidence(row, [recorded])
    with UnitOfWork(context.database.sessions) as uow:
        uow.session.add(row)
        uow.commit()
    forwarded = TransferRequest(
        transfer=transfer,
        consent=request.consent,
        salt=row.salt_b64,
        patient_ref=request.patient_ref,
    )
    recipient.submit(forwarded.model_copy(update={"patient_ref": ""}))
    sender.submit(forwarded)
    return status_of(row, salt=row.salt_b64)


def revoke_transfer(
    *,
    context: PortalContext,
    transfer: str,
    request: RevocationRequest,
    patient: str | None = None,
) -> TransferStatus:
    """Verify the patient's revocation and put ``consent.revoked`` on the chain at once.

    The chain is where the key broker and hospital B look before every release and every
    view, so the withdrawal takes effect as soon as this returns (PIPL art. 15).
    """
    with UnitOfWork(context.database.sessions) as uow:
        row = load_row(uow.session, transfer, "portal")
        consent = stored_consent(row)
        _require_own(patient, consent.terms.patient_did)
        revocation = verify_revocation(SignedRevocation.from_json(request.revocation), consent)
        if row.state == TransferState.REVOKED.value:
            return status_of(row)
        recorded = context.recorder.record(
            "consent.revoked",
            transfer=transfer,
            subject=row.subject,
            digests={"consent": consent.digest, "revocation": revocation.digest},
        )
        move(row, TransferState.REVOKED, context.clock.now())
        update_payload(row, revocation=revocation.signed.to_json())
        add_evidence(row, [recorded])
        uow.commit()
        return status_of(row)


def portal_status(*, context: PortalContext, transfer: str) -> TransferStatus:
    """The portal's view of ``transfer``."""
    with UnitOfWork(context.database.sessions) as uow:
        return status_of(load_row(uow.session, transfer, "portal"))
