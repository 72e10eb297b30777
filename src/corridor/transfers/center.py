"""Steps 3 and 4 at the trusted joint data center: take the deposit, attest, release, process.

The data center never sees plaintext: it stores ciphertext in the vault and a data key
sealed to its key broker. Release follows the RATS background-check model (RFC 9334
§5.2): challenge the freshly launched enclave, appraise its evidence against approved
reference values, then check the consent and both regulators' decisions. Only when all
hold is the key re-sealed to the key the hardware vouched for. Every appraisal, release
and refusal is evidence on the chain.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import serialization

from corridor.clock import Clock
from corridor.compliance import DecisionInvalid, SignedDecision, verify_signed_decision
from corridor.consent import SignedConsent, VerifiedConsent, evaluate_consent, verify_signed_consent
from corridor.crypto import b64url_decode, b64url_encode, canonical_json, jws_kid, sha256_hex
from corridor.enclave import (
    AttestationRefused,
    BrokerContext,
    EnclaveBackend,
    appraise_evidence,
    issue_challenge,
    release_capability,
    verify_manifest,
)
from corridor.errors import CorridorError
from corridor.identity import CallerNotAllowed, DidResolver
from corridor.ledger import LocalLedger
from corridor.ledger.recorder import EvidenceRecorder
from corridor.records import select_profile
from corridor.storage.database import Database
from corridor.storage.unit_of_work import UnitOfWork
from corridor.transfers.errors import InvalidTransferRequest, ReleaseRefused
from corridor.transfers.models import TransferState, require_state
from corridor.transfers.revocations import revocation_index
from corridor.transfers.rows import (
    add_evidence,
    find_row,
    load_row,
    move,
    new_row,
    payload,
    state_of,
    status_of,
    stored_consent,
    update_payload,
)
from corridor.transfers.schemas import DeliveryPackage, DepositRequest, TransferStatus
from corridor.transfers.tables import TransferRow
from corridor.vault import VaultContext, get_object, put_object


@dataclass(frozen=True)
class CenterContext:
    """Collaborators of the data center's side of the corridor."""

    database: Database
    vault: VaultContext
    broker: BrokerContext
    backend: EnclaveBackend
    ledger: LocalLedger
    recorder: EvidenceRecorder
    resolver: DidResolver
    clock: Clock
    required_regulators: Collection[str]
    """DIDs of the regulators whose permit every release needs (both sides by default)."""
    attestation_root_pem: str


def _verified_decisions(
    context: CenterContext, transfer: str, decisions: list[dict[str, Any]]
) -> list[str]:
    """Check each regulator's signed decision; return the reasons release must be refused."""
    reasons: list[str] = []
    permitted: set[str] = set()
    for raw in decisions:
        try:
            signed = SignedDecision.from_json(raw)
            regulator = str(signed.body.get("regulator", ""))
            if regulator not in context.required_regulators:
                reasons.append(
                    f"decision from {regulator or 'nobody'} is not from a required regulator"
                )
                continue
            # Pick the key by the JWS kid: a regulator that rotated its key since it
            # decided still publishes the old one for verification (docs/identity.md).
            key = context.resolver.resolve_key(jws_kid(signed.jws))
            verified = verify_signed_decision(signed, regulator_key=key, transfer=transfer)
        except (DecisionInvalid, CorridorError) as exc:
            reasons.append(f"decision rejected: {exc.message}")
            continue
        if not verified.decision.is_permit:
            reasons.append(f"{regulator} decided {verified.decision.decision}")
        else:
            permitted.add(regulator)
    missing = sorted(set(context.required_regulators) - permitted)
    if missing:
        reasons.append(f"no permit from {', '.join(missing)}")
    return reasons


def accept_deposit(
    *, context: CenterContext, request: DepositRequest, depositor: str
) -> TransferStatus:
    """Step 3 at the data center: register the ciphertext and the sealed key.

    Only the consent's custodian (``depositor``, the verified signer of the request) may
    deposit. Idempotent: the same deposit again answers the stored status; a different
    one for the same transfer is refused.
    """
    consent = verify_signed_consent(SignedConsent.from_json(request.consent))
    if depositor != consent.terms.custodian_did:
        raise CallerNotAllowed("only the consent's custodian may deposit this record")
    stored = get_object(context=context.vault, object_id=request.object_id)
    if "sha256:" + sha256_hex(stored) != request.record_digest:
        raise InvalidTransferRequest("the vault object does not match the record digest")
    now = context.clock.now()
    with UnitOfWork(context.database.sessions) as uow:
        existing = find_row(uow.session, request.transfer)
        if existing is not None:
            if existing.role != "center" or payload(existing).get("object_id") != request.object_id:
                raise InvalidTransferRequest("a different deposit exists for this transfer")
            return status_of(existing)
        row = new_row(
            transfer=request.transfer,
            role="center",
            state=TransferState.UPLOADED,
            consent=consent,
            subject=request.subject,
            sender_did=consent.terms.custodian_did,
            recipient_did=consent.terms.recipient_did,
            at=now,
        )
        update_payload(
            row,
            object_id=request.object_id,
            sealed_capability=request.sealed_capability,
            sealed_deposit=request.sealed_deposit,
            aad=request.aad,
            decisions=request.decisions,
            record_digest=request.record_digest,
        )
        uow.session.add(row)
        uow.commit()
        return status_of(row)


def _release_refusals(
    context: CenterContext, row: TransferRow, consent: VerifiedConsent
) -> list[str]:
    """Every reason the release policy says no (consent, revocation, decisions)."""
    revoked_at = revocation_index(context.ledger, transfer=row.id, consent_digest=consent.digest)
    decision = evaluate_consent(
        consent,
        at=context.clock.now(),
        recipient_did=row.recipient_did,
        revoked=revoked_at is not None,
        needs_sensitive_consent=True,
    )
    reasons = list(decision.reasons)
    reasons.extend(_verified_decisions(context, row.id, payload(row)["decisions"]))
    return reasons


def process_transfer(*, context: CenterContext, transfer: str) -> TransferStatus:
    """Step 4: attest a fresh enclave, release the key only if every check holds, process."""
    with UnitOfWork(context.database.sessions) as uow:
        row = load_row(uow.session, transfer, "center")
        if state_of(row) == TransferState.PROCESSED:
            return status_of(row)
        require_state(state_of(row), TransferState.UPLOADED, TransferState.REFUSED)
        data = payload(row)
        consent = stored_consent(row)
        with context.backend.launch() as session:
            challenge = issue_challenge(context=context.broker, transfer=transfer)
            evidence = session.evidence(challenge.nonce)
            try:
                appraisal = appraise_evidence(
                    context=context.broker, transfer=transfer, evidence=evidence
                )
            except AttestationRefused as exc:
                _refuse(
                    context, uow, row, reasons=[f"attestation: {exc.reason}"], evidence=evidence
                )
                raise
            appraised = context.recorder.statement(
                "attestation.appraised",
                transfer=transfer,
                subject=row.subject,
                digests={
                    "evidence": appraisal.evidence_digest,
                    "measurement": f"sha384:{appraisal.pcr0}",
                },
                details={"format": appraisal.result.format, "outcome": "affirming"},
            )
            refusals = _release_refusals(context, row, consent)
            if refusals:
                _refuse(context, uow, row, reasons=refusals, evidence=evidence, prior=[appraised])
                raise ReleaseRefused("the key broker refused release", detail={"reasons": refusals})
            # After the release policy: a missing decision is refused (with evidence) above.
            profile = _destination_profile(consent, data["decisions"])
            # The capability, not the data key: only the enclave can unwrap the deposit.
            sealed_for_enclave = release_capability(
                context=context.broker,
                appraisal=appraisal,
                sealed_capability=b64url_decode(data["sealed_capability"]),
                transfer=transfer,
            )
            released = context.recorder.statement(
                "key.released",
                transfer=transfer,
                subject=row.subject,
                digests={"evidence": appraisal.evidence_digest, "consent": row.consent_digest},
                details={"appraisal": appraisal.appraisal_id},
            )
            # Release is on the chain before the enclave ever holds the key.
            add_evidence(row, context.recorder.record_many([appraised, released]))
            uow.commit()
            recipient_key = context.resolver.resolve(row.recipient_did).agreement
            if recipient_key is None:
                raise InvalidTransferRequest("the recipient publishes no key-agreement key")
            result = session.run(
                {
                    "transfer": transfer,
                    "ciphertext": b64url_encode(
                        get_object(context=context.vault, object_id=data["object_id"])
                    ),
                    "aad": data["aad"],
                    "sealed_deposit": data["sealed_deposit"],
                    "sealed_capability": b64url_encode(sealed_for_enclave),
                    "scope": consent.terms.scope.to_json(),
                    "recipient_did": row.recipient_did,
                    "recipient_agreement_key": b64url_encode(
                        recipient_key.public_bytes(
                            serialization.Encoding.Raw, serialization.PublicFormat.Raw
                        )
                    ),
                    "consent_digest": row.consent_digest,
                    "profile": profile,
                }
            )
        manifest = result["manifest"]
        signature = b64url_decode(result["manifest_signature"])
        verify_manifest(manifest, signature, appraisal, transfer=transfer)
        output = b64url_decode(result["output"])
        stored = put_object(context=context.vault, data=output, transfer=transfer, kind="output")
        processed = context.recorder.record(
            "record.processed",
            transfer=transfer,
            subject=row.subject,
            digests={
                "input": manifest["input_digest"],
                "output": manifest["output_digest"],
                "manifest": "sha256:" + sha256_hex(canonical_json(manifest)),
                "measurement": manifest["measurement"],
            },
            details={"profile": manifest["profile"], "masked_fields": manifest["masked_fields"]},
        )
        update_payload(
            row,
            output_object_id=stored.object_id,
            output_aad=result["output_aad"],
            sealed_output_key=result["sealed_output_key"],
            manifest=manifest,
            manifest_signature=result["manifest_signature"],
            evidence=b64url_encode(evidence),
        )
        add_evidence(row, [processed])
        move(row, TransferState.PROCESSED, context.clock.now())
        uow.commit()
        return status_of(row, manifest=manifest)


def _destination_profile(consent: VerifiedConsent, decisions: list[dict[str, Any]]) -> str:
    """The de-identification profile for the consent's purpose and this route.

    ``corridor.records.PROFILE_POLICY`` decides; the route is read from the regulators'
    decisions (the exporting pack's jurisdiction, then the importing one's), whose
    signatures the release checks. No profile for the purpose and route: no processing.
    """
    route = {
        str(d.get("body", {}).get("decision", {}).get("role")): str(d["body"].get("jurisdiction"))
        for d in decisions
        if isinstance(d, dict) and isinstance(d.get("body"), dict)
    }
    return select_profile(
        purpose=consent.terms.purpose,
        origin=route.get("export", ""),
        destination=route.get("import", ""),
    )


def _refuse(
    context: CenterContext,
    uow: UnitOfWork,
    row: TransferRow,
    *,
    reasons: list[str],
    evidence: bytes,
    prior: list[Any] | None = None,
) -> None:
    refused = context.recorder.statement(
        "key.refused",
        transfer=row.id,
        subject=row.subject,
        digests={"evidence": "sha256:" + sha256_hex(evidence), "consent": row.consent_digest},
        details={"reasons": "; ".join(reasons)[:512]},
    )
    add_evidence(row, context.recorder.record_many([*(prior or []), refused]))
    if state_of(row) != TransferState.REFUSED:
        move(row, TransferState.REFUSED, context.clock.now())
    update_payload(row, refusals=reasons)
    uow.commit()


def delivery_package(*, context: CenterContext, transfer: str, requester: str) -> DeliveryPackage:
    """Step 5 input: what hospital B needs to verify and decrypt the output.

    Only the consent's recipient (``requester``, the verified signer) may fetch it.
    """
    with UnitOfWork(context.database.sessions) as uow:
        row = load_row(uow.session, transfer, "center")
        if requester != row.recipient_did:
            raise CallerNotAllowed("only the consent's recipient may fetch the delivery")
        require_state(state_of(row), TransferState.PROCESSED)
        data = payload(row)
        return DeliveryPackage(
            transfer=transfer,
            output_object_id=data["output_object_id"],
            output_aad=data["output_aad"],
            sealed_output_key=data["sealed_output_key"],
            manifest=data["manifest"],
            manifest_signature=data["manifest_signature"],
            evidence=data["evidence"],
            evidence_format=context.backend.evidence_format,
            attestation_root=context.attestation_root_pem,
        )


def center_status(*, context: CenterContext, transfer: str) -> TransferStatus:
    """The data center's view of ``transfer``."""
    with UnitOfWork(context.database.sessions) as uow:
        return status_of(load_row(uow.session, transfer, "center"))


class CenterReleaseGate:
    """The key broker's HTTP protocol (``corridor.enclave.kbs``) asking the corridor flow.

    Same release policy as :func:`process_transfer` (consent valid and not revoked, every
    required regulator's permit), the deposit hospital A made, and evidence entries that
    name the transfer's salted subject and consent digest.
    """

    def __init__(self, context: CenterContext) -> None:
        self._context = context

    def release_refusals(self, transfer: str) -> list[str]:
        """Every reason the release policy says no for ``transfer``."""
        with UnitOfWork(self._context.database.sessions) as uow:
            row = find_row(uow.session, transfer)
            if row is None or row.role != "center":
                return ["no deposit for this transfer"]
            return _release_refusals(self._context, row, stored_consent(row))

    def deposit_of(self, transfer: str) -> tuple[bytes, bytes]:
        """The sealed capability and the sealed deposit of ``transfer``."""
        with UnitOfWork(self._context.database.sessions) as uow:
            data = payload(load_row(uow.session, transfer, "center"))
            return b64url_decode(data["sealed_capability"]), b64url_decode(data["sealed_deposit"])

    def record(
        self,
        entry_type: str,
        *,
        transfer: str,
        digests: Mapping[str, str],
        details: Mapping[str, str | int | bool | None],
    ) -> None:
        """Sign and append one entry about ``transfer``; the row keeps its reference."""
        with UnitOfWork(self._context.database.sessions) as uow:
            row = find_row(uow.session, transfer)
            if row is None or row.role != "center":
                # A refusal about a transfer the center never took is still evidence.
                self._context.recorder.record(
                    entry_type, transfer=transfer, digests=digests, details=details
                )
                return
            recorded = self._context.recorder.record(
                entry_type,
                transfer=transfer,
                subject=row.subject,
                digests={**digests, "consent": row.consent_digest},
                details=details,
            )
            add_evidence(row, [recorded])
            uow.commit()
