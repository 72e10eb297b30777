"""Steps 2 and 3 at hospital A: file with both regulators, then encrypt and upload.

Hospital A holds the plaintext record. It sends the data center only ciphertext (AES-256-GCM
under a fresh data key whose associated data binds the transfer, the consent and the
recipient) and the data key HPKE-sealed to the key broker (RFC 9180).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from sqlalchemy import select

from corridor.clock import Clock
from corridor.compliance import FilingRequest, HttpComplianceClient, counter_pseudonym
from corridor.compliance.schemas import standing_filing_request
from corridor.consent import VerifiedConsent
from corridor.crypto import (
    aead_seal,
    b64url_decode,
    b64url_encode,
    canonical_json,
    commitment,
    new_data_key,
    sha256_hex,
)
from corridor.crypto.keys import x25519_public_from_raw
from corridor.enclave import DepositKeyContext, attested_deposit_target, seal_deposit
from corridor.identity import DidResolver
from corridor.ledger.recorder import EvidenceRecorder
from corridor.records import RecordsContext, extract_consented, patient_bundle, patient_for_did
from corridor.storage.database import Database
from corridor.storage.unit_of_work import UnitOfWork
from corridor.transfers.assessment import (
    SenderProfile,
    YearToDate,
    derive_facts,
    patient_birth_date,
)
from corridor.transfers.client import HttpCenterClient
from corridor.transfers.errors import InvalidTransferRequest, TransferDenied
from corridor.transfers.models import TransferState, require_state
from corridor.transfers.rows import (
    add_evidence,
    load_row,
    move,
    new_row,
    payload,
    state_of,
    status_of,
    stored_consent,
    update_payload,
)
from corridor.transfers.schemas import DepositRequest, TransferRequest, TransferStatus
from corridor.transfers.tables import TransferRow
from corridor.vault import HttpVaultClient


@dataclass(frozen=True)
class SenderContext:
    """Collaborators of hospital A's side of the corridor."""

    database: Database
    records: RecordsContext
    recorder: EvidenceRecorder
    resolver: DidResolver
    clock: Clock
    did: str
    profile: SenderProfile
    regulators: Sequence[HttpComplianceClient]
    center: HttpCenterClient
    vault: HttpVaultClient
    center_did: str
    destinations: dict[str, str]
    """Jurisdiction of each recipient institution, by DID."""
    contract_ref: str
    timezone: str
    deposit_keys: DepositKeyContext
    """Where hospital A learns (and appraises) the enclave's deposit key (docs/enclave.md)."""


def record_aad(*, transfer: str, consent_digest: str, recipient: str) -> bytes:
    """Associated data of the uploaded record: binds transfer, consent and recipient."""
    return canonical_json(
        {"transfer": transfer, "consent": consent_digest, "recipient": recipient, "kind": "record"}
    )


def accept_as_sender(
    *, context: SenderContext, request: TransferRequest, consent: VerifiedConsent
) -> TransferStatus:
    """Step 1 arriving at hospital A: check the patient is ours and linked to that key."""
    if not request.patient_ref:
        raise InvalidTransferRequest("the sending hospital needs the patient's local reference")
    linked = patient_for_did(context=context.records, did=consent.terms.patient_did)
    if linked != request.patient_ref:
        raise InvalidTransferRequest("the signing key is not linked to that patient here")
    if consent.terms.recipient_did not in context.destinations:
        raise InvalidTransferRequest(f"{consent.terms.recipient_did} is not a known recipient")
    now = context.clock.now()
    with UnitOfWork(context.database.sessions) as uow:
        existing = uow.session.get(TransferRow, request.transfer)
        if existing is not None:
            return status_of(existing)
        row = new_row(
            transfer=request.transfer,
            role="sender",
            state=TransferState.REQUESTED,
            consent=consent,
            subject=_subject(request.salt, consent.terms.patient_did),
            sender_did=context.did,
            recipient_did=consent.terms.recipient_did,
            patient_ref=request.patient_ref,
            salt_b64=request.salt,
            at=now,
        )
        uow.session.add(row)
        uow.commit()
        return status_of(row)


def _subject(salt_b64: str, patient_did: str) -> str:
    return commitment(b64url_decode(salt_b64), patient_did)


def _year_to_date(context: SenderContext, row: TransferRow) -> YearToDate:
    """Distinct patients exported since 1 January in the sender's time zone, this one included.

    RULES.md §4.1: counters include this transfer; exempt transfers count too.
    """
    zone = ZoneInfo(context.timezone)
    start = datetime(context.clock.now().astimezone(zone).year, 1, 1, tzinfo=zone)
    with UnitOfWork(context.database.sessions) as uow:
        refs = set(
            uow.session.scalars(
                select(TransferRow.patient_ref).where(
                    TransferRow.role == "sender",
                    TransferRow.created_at >= start,
                    TransferRow.state.not_in(["denied", "requested"]),
                )
            )
        )
    refs.add(row.patient_ref)
    return YearToDate(general=len(refs), sensitive=len(refs))


def file_transfer(*, context: SenderContext, transfer: str) -> TransferStatus:
    """Step 2: file with every regulator; both must permit or the flow stops with reasons."""
    with UnitOfWork(context.database.sessions) as uow:
        row = load_row(uow.session, transfer, "sender")
        if state_of(row) in {TransferState.FILED, TransferState.UPLOADED}:
            return status_of(row)
        require_state(state_of(row), TransferState.REQUESTED)
        consent = stored_consent(row)
        bundle = patient_bundle(context=context.records, patient_id=row.patient_ref)
        facts = derive_facts(
            consent=consent,
            profile=context.profile,
            destination=context.destinations[row.recipient_did],
            ytd=_year_to_date(context, row),
            birth_date=patient_birth_date(bundle),
            at=context.clock.now(),
        )
        privacy_record = {
            "transfer": transfer,
            "consent": consent.digest,
            "subject": row.subject,
            "facts": facts.model_dump(mode="json"),
            "contract_ref": context.contract_ref,
        }
        request = FilingRequest(
            transfer=transfer,
            exporter=context.did,
            importer=row.recipient_did,
            facts=facts,
            privacy_record_digest="sha256:" + sha256_hex(canonical_json(privacy_record)),
            contract_ref=context.contract_ref,
            # What regulators count and watch with: the handler's pseudonym for the patient,
            # the consent's digest and expiry, the profile, the contract filed or named.
            person=counter_pseudonym(context.recorder.key, row.patient_ref),
            consent_digest=consent.digest,
            consent_expires_at=consent.terms.expires_at,
            purpose=consent.terms.purpose,
            categories=sorted(consent.terms.scope.resource_types),
            mechanism_filing=standing_filing_request(
                exporter=context.did,
                mechanism=context.profile.mechanism,
                reference=context.contract_ref,
                filed=context.profile.contract_filed,
                importers=sorted(context.destinations),
                purpose=consent.terms.purpose,
                categories=sorted(consent.terms.scope.resource_types),
            ),
        )
        responses = [regulator.file(request) for regulator in context.regulators]
        decisions = [response.signed_decision for response in responses]
        denials = [
            {"regulator": d["body"]["regulator"], **d["body"]["decision"]}
            for d in decisions
            if d["body"]["decision"]["decision"] == "DENY"
        ]
        update_payload(
            row, decisions=decisions, facts=facts.model_dump(mode="json"), denials=denials
        )
        now = context.clock.now()
        move(row, TransferState.DENIED if denials else TransferState.FILED, now)
        uow.commit()
        if denials:
            raise TransferDenied(
                "a regulator denied the transfer",
                detail={
                    "denials": [
                        {k: d[k] for k in ("regulator", "pack", "mechanism", "rule_ids", "reasons")}
                        for d in denials
                    ]
                },
            )
        return status_of(
            row,
            decisions=[d["body"]["decision"]["decision"] for d in decisions],
            regulator_evidence=[
                {"type": kind, "index": index}
                for response in responses
                for kind, index in zip(
                    ("filing.registered", "compliance.decided"),
                    response.evidence_indexes,
                    strict=False,
                )
            ],
        )


def upload_transfer(*, context: SenderContext, transfer: str) -> TransferStatus:
    """Step 3: extract exactly the consented scope, encrypt it, upload it, deposit its key.

    The ciphertext and sealed key are committed here before the first remote call, so a
    retry after a crash re-sends the same bytes: the vault is content-addressed and the
    deposit is idempotent, and nothing is half-written at the data center.
    """
    with UnitOfWork(context.database.sessions) as uow:
        row = load_row(uow.session, transfer, "sender")
        if state_of(row) == TransferState.UPLOADED:
            return status_of(row)
        require_state(state_of(row), TransferState.FILED)
        consent = stored_consent(row)
        stored_upload = payload(row).get("upload")
        if stored_upload is None:
            ciphertext, prepared = _prepare_upload(context=context, row=row, consent=consent)
            row.document = b64url_encode(ciphertext)
            update_payload(row, upload=asdict(prepared))
            uow.commit()
        else:
            prepared = PreparedUpload(**stored_upload)
            ciphertext = b64url_decode(row.document or "")
        stored = context.vault.put(ciphertext, transfer=transfer, kind="record")
        context.center.deposit(
            DepositRequest(
                transfer=transfer,
                object_id=stored.object_id,
                sealed_capability=prepared.sealed_capability,
                sealed_deposit=prepared.sealed_deposit,
                aad=prepared.aad,
                consent=consent.signed.to_json(),
                decisions=payload(row)["decisions"],
                subject=row.subject,
                record_digest=prepared.record_digest,
            )
        )
        recorded = context.recorder.record(
            "record.uploaded",
            transfer=transfer,
            subject=row.subject,
            digests={
                "record": prepared.record_digest,
                "consent": consent.digest,
                "extraction": prepared.extraction_digest,
            },
            details={"object": stored.object_id, "resources": prepared.resources},
        )
        add_evidence(row, [recorded])
        move(row, TransferState.UPLOADED, context.clock.now())
        uow.commit()
        return status_of(row, object_id=stored.object_id, resources=prepared.resources)


@dataclass(frozen=True)
class PreparedUpload:
    """What step 3 committed before its first remote call, so a retry re-sends the same."""

    sealed_capability: str
    sealed_deposit: str
    aad: str
    record_digest: str
    extraction_digest: str
    resources: int


def _prepare_upload(
    *, context: SenderContext, row: TransferRow, consent: VerifiedConsent
) -> tuple[bytes, PreparedUpload]:
    bundle = patient_bundle(context=context.records, patient_id=row.patient_ref)
    extraction = extract_consented(bundle, consent.terms.scope)
    plaintext = canonical_json(extraction.bundle)
    data_key = new_data_key()
    aad = record_aad(transfer=row.id, consent_digest=consent.digest, recipient=row.recipient_did)
    ciphertext = aead_seal(data_key, plaintext, aad)
    broker = context.resolver.resolve(context.center_did).agreement
    recipient = context.resolver.resolve(row.recipient_did).agreement
    if broker is None or recipient is None:
        raise InvalidTransferRequest("the data center or recipient publishes no agreement key")
    # Only an enclave whose measurement both regulators approved can unwrap the data key;
    # the key broker holds just the capability that releases it (docs/enclave.md).
    target = attested_deposit_target(context=context.deposit_keys)
    sealed = seal_deposit(
        data_key=data_key,
        capability=new_data_key(),
        transfer=row.id,
        deposit_key=x25519_public_from_raw(target.deposit_key),
        broker_key=broker,
        recipient_key=recipient.public_bytes(Encoding.Raw, PublicFormat.Raw),
    )
    manifest = [
        {"type": item.resource_type, "id": item.id, "reason": item.reason}
        for item in extraction.included
    ]
    return ciphertext, PreparedUpload(
        sealed_capability=b64url_encode(sealed.sealed_capability),
        sealed_deposit=b64url_encode(sealed.sealed_deposit),
        aad=b64url_encode(aad),
        record_digest="sha256:" + sha256_hex(ciphertext),
        extraction_digest="sha256:" + sha256_hex(canonical_json(manifest)),
        resources=len(manifest),
    )
