"""Step 5 at hospital B: verify what the enclave produced, decrypt it, show it, record views.

Hospital B trusts nothing it is handed: the attestation must chain to the pinned root and
name an approved measurement, the manifest must be signed by the attested key and match
the output's digest, and the output must open under B's own key with associated data that
names this transfer, this consent and B. Every view re-checks the consent on the chain.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from cryptography import x509

from corridor.clock import Clock
from corridor.consent import VerifiedConsent, evaluate_consent
from corridor.crypto import (
    AgreementKeyPair,
    aead_open,
    b64url_decode,
    canonical_json,
    commitment,
    hpke_open,
    sha256_hex,
)
from corridor.enclave import (
    EvidenceRejected,
    ManifestInvalid,
    MeasurementApprovals,
    verify_attestation,
    verify_manifest,
)
from corridor.enclave.program import OUTPUT_INFO, output_aad
from corridor.errors import CorridorError
from corridor.ledger import HttpLedgerClient
from corridor.ledger.recorder import EvidenceRecorder
from corridor.records import UnknownProfile, load_profile, parse_bundle, select_profile
from corridor.storage.database import Database
from corridor.storage.unit_of_work import UnitOfWork
from corridor.transfers.client import HttpCenterClient
from corridor.transfers.errors import AccessRefused, DeliveryUnverified, InvalidTransferRequest
from corridor.transfers.models import TransferState, require_state
from corridor.transfers.revocations import revocation_index
from corridor.transfers.rows import (
    add_evidence,
    load_row,
    move,
    new_row,
    state_of,
    status_of,
    stored_consent,
    update_payload,
)
from corridor.transfers.schemas import DeliveryPackage, TransferRequest, TransferStatus
from corridor.transfers.tables import TransferRow
from corridor.vault import HttpVaultClient

_MAX_EVIDENCE_AGE = timedelta(days=1)


@dataclass(frozen=True)
class RecipientContext:
    """Collaborators of hospital B's side of the corridor."""

    database: Database
    recorder: EvidenceRecorder
    clock: Clock
    did: str
    agreement: AgreementKeyPair
    center: HttpCenterClient
    vault: HttpVaultClient
    ledger: HttpLedgerClient
    trust_folder: Path
    approvals: MeasurementApprovals
    """The enclave measurements this hospital's regulators approved (docs/enclave.md)."""
    jurisdiction: str
    """Where this hospital is: the destination of the route the profile is chosen for."""
    origins: dict[str, str]
    """Jurisdiction of each hospital that may send here, by DID."""


def accept_as_recipient(
    *, context: RecipientContext, request: TransferRequest, consent: VerifiedConsent
) -> TransferStatus:
    """Step 1 arriving at hospital B: remember the transfer it should expect."""
    now = context.clock.now()
    with UnitOfWork(context.database.sessions) as uow:
        existing = uow.session.get(TransferRow, request.transfer)
        if existing is not None:
            return status_of(existing)
        row = new_row(
            transfer=request.transfer,
            role="recipient",
            state=TransferState.REQUESTED,
            consent=consent,
            subject=commitment(b64url_decode(request.salt), consent.terms.patient_did),
            sender_did=consent.terms.custodian_did,
            recipient_did=context.did,
            salt_b64=request.salt,
            at=now,
        )
        uow.session.add(row)
        uow.commit()
        return status_of(row)


def _pinned_root(context: RecipientContext, package: DeliveryPackage) -> x509.Certificate:
    """The simulated hardware root, pinned the first time the data center presents it.

    A real deployment pins the vendor's root (AWS Nitro, Intel, AMD) in configuration; a
    simulated root exists only per installation, so it is trusted on first use and any
    later change of root is refused.
    """
    path = context.trust_folder / "attestation-root.pem"
    presented = package.attestation_root.encode()
    if not path.exists():
        context.trust_folder.mkdir(parents=True, exist_ok=True)
        path.write_bytes(presented)
    elif path.read_bytes() != presented:
        raise DeliveryUnverified("the data center presented a different attestation root")
    return x509.load_pem_x509_certificate(path.read_bytes())


def _check_profile(
    context: RecipientContext, row: TransferRow, purpose: str, profile: str, profile_digest: str
) -> None:
    """The enclave must have applied the profile the policy names for this purpose and route.

    Hospital B recomputes the choice the data center made (``records.PROFILE_POLICY``) from
    the consent's purpose and the route, and the digest of that profile's configuration as
    shipped here: a delivery de-identified under anything else is refused.
    """
    try:
        expected = select_profile(
            purpose=purpose,
            origin=context.origins.get(row.sender_did, ""),
            destination=context.jurisdiction,
        )
    except UnknownProfile as exc:
        raise DeliveryUnverified(f"no de-identification profile applies: {exc.message}") from exc
    if profile != expected or profile_digest != load_profile(expected).digest:
        raise DeliveryUnverified(
            f"the enclave applied profile {profile!r} ({profile_digest}); this purpose and "
            f"route need {expected!r} ({load_profile(expected).digest})"
        )


def _verify_package(
    context: RecipientContext, row: TransferRow, package: DeliveryPackage, purpose: str
) -> tuple[bytes, dict[str, Any]]:
    """Verify attestation and manifest; return the decrypted output and the manifest."""
    root = _pinned_root(context, package)
    evidence = b64url_decode(package.evidence)
    try:
        attestation = verify_attestation(
            evidence,
            at=context.clock.now(),
            max_age=_MAX_EVIDENCE_AGE,
            trusted_roots=[root],
            evidence_format="simulated" if package.evidence_format == "simulated" else "nitro",
        )
        manifest = verify_manifest(
            package.manifest,
            b64url_decode(package.manifest_signature),
            attestation,
            transfer=row.id,
        )
    except (EvidenceRejected, ManifestInvalid) as exc:
        raise DeliveryUnverified(f"delivery does not verify: {exc.message}") from exc
    approved = context.approvals.approved(
        evidence_format=package.evidence_format, at=context.clock.now()
    )
    if attestation.pcr0 not in approved:
        raise DeliveryUnverified(
            "the enclave's measurement is not approved by "
            + ", ".join(sorted(context.approvals.regulators))
        )
    if manifest.consent_digest != row.consent_digest or manifest.recipient != context.did:
        raise DeliveryUnverified("the manifest names another consent or recipient")
    _check_profile(context, row, purpose, manifest.profile, manifest.profile_digest)
    output = context.vault.get(package.output_object_id)
    if "sha256:" + sha256_hex(output) != manifest.output_digest:
        raise DeliveryUnverified("the output in the vault does not match the manifest digest")
    expected_aad = output_aad(
        transfer=row.id, consent_digest=row.consent_digest, recipient=context.did
    )
    if b64url_decode(package.output_aad) != expected_aad:
        raise DeliveryUnverified("the output's associated data does not name this transfer")
    key = hpke_open(
        context.agreement.private,
        b64url_decode(package.sealed_output_key),
        OUTPUT_INFO + row.id.encode(),
    )
    return aead_open(key, output, expected_aad), package.manifest


def _consent_check(
    context: RecipientContext, row: TransferRow, consent: VerifiedConsent
) -> tuple[list[str], bool]:
    """Reasons the consent does not stand now (empty when it does), and whether it was revoked."""
    revoked_at = revocation_index(
        context.ledger, transfer=row.id, consent_digest=row.consent_digest
    )
    decision = evaluate_consent(
        consent, at=context.clock.now(), recipient_did=context.did, revoked=revoked_at is not None
    )
    return list(decision.reasons), revoked_at is not None


def receive_transfer(*, context: RecipientContext, transfer: str) -> TransferStatus:
    """Step 5: fetch the package, verify everything, decrypt, store, record delivery."""
    with UnitOfWork(context.database.sessions) as uow:
        row = load_row(uow.session, transfer, "recipient")
        if state_of(row) == TransferState.DELIVERED:
            return status_of(row)
        require_state(state_of(row), TransferState.REQUESTED)
        consent = stored_consent(row)
        reasons, _revoked = _consent_check(context, row, consent)
        if reasons:
            raise AccessRefused("the record may not be received", detail={"reasons": reasons})
        package = context.center.package(transfer)
        try:
            plaintext, manifest = _verify_package(
                context, row, package, purpose=consent.terms.purpose
            )
            bundle = parse_bundle(plaintext)
        except DeliveryUnverified:
            raise
        except CorridorError as exc:
            raise DeliveryUnverified(f"delivery does not verify: {exc.message}") from exc
        recorded = context.recorder.record(
            "record.delivered",
            transfer=transfer,
            subject=row.subject,
            digests={
                "output": manifest["output_digest"],
                "manifest": "sha256:" + sha256_hex(canonical_json(manifest)),
                "consent": row.consent_digest,
            },
            details={"resources": len(bundle.get("entry", []))},
        )
        row.document = json.dumps(bundle)
        update_payload(row, manifest=manifest)
        add_evidence(row, [recorded])
        move(row, TransferState.DELIVERED, context.clock.now())
        uow.commit()
        return status_of(row, resources=len(bundle.get("entry", [])))


def open_record(*, context: RecipientContext, transfer: str, viewer: str) -> dict[str, Any]:
    """Show the delivered record to a clinician if the consent still stands; record the view.

    After revocation or expiry nothing is shown, and the delivered copy is erased.
    """
    if not viewer or len(viewer) > 128:  # noqa: PLR2004
        raise InvalidTransferRequest("viewer must name the clinician (1-128 characters)")
    with UnitOfWork(context.database.sessions) as uow:
        row = load_row(uow.session, transfer, "recipient")
        require_state(state_of(row), TransferState.DELIVERED, TransferState.REVOKED)
        reasons, revoked = _consent_check(context, row, stored_consent(row))
        if reasons:
            row.document = None
            if revoked and state_of(row) != TransferState.REVOKED:
                move(row, TransferState.REVOKED, context.clock.now())
            uow.commit()
            raise AccessRefused("the record may not be shown", detail={"reasons": reasons})
        recorded = context.recorder.record(
            "record.accessed",
            transfer=transfer,
            subject=row.subject,
            digests={
                "viewer": commitment(b64url_decode(row.salt_b64), viewer),
                "consent": row.consent_digest,
            },
        )
        add_evidence(row, [recorded])
        uow.commit()
        return {
            "transfer": transfer,
            "bundle": json.loads(row.document or "{}"),
            "evidence_index": recorded.index,
        }


def recipient_status(*, context: RecipientContext, transfer: str) -> TransferStatus:
    """Hospital B's view of ``transfer``."""
    with UnitOfWork(context.database.sessions) as uow:
        return status_of(load_row(uow.session, transfer, "recipient"))
