"""The five-step corridor with every party's real app, wired in one process."""

from __future__ import annotations

import dataclasses
import json
from datetime import timedelta
from pathlib import Path

import pytest
from corridor_harness import (  # type: ignore[import-not-found]
    URLS,
    Corridor,
    build_corridor,
    clinical_displays,
    patient_identifiers,
)

from corridor.consent import ConsentScope, SignedConsent, sign_revocation, verify_signed_consent
from corridor.crypto import b64url_encode, canonical_json
from corridor.enclave import PinnedReferenceValues
from corridor.errors import Conflict, InvalidInput, PolicyDenied, VerificationFailed
from corridor.ledger import TrustPolicy, verify_receipt
from corridor.records.destinations import RESEARCH
from corridor.storage.unit_of_work import UnitOfWork
from corridor.transfers import RevocationRequest
from corridor.transfers import center as center_service
from corridor.transfers.rows import update_payload
from corridor.transfers.tables import TransferRow

FIVE_STEPS = [
    "consent.granted",
    "filing.registered",
    "compliance.decided",
    "filing.registered",
    "compliance.decided",
    "record.uploaded",
    "attestation.appraised",
    "key.released",
    "record.processed",
    "record.delivered",
]


def _scan(folder: Path, needles: list[str]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path in folder.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            hits = [n for n in needles if n.encode() in data]
            if hits:
                found[str(path)] = hits
    return found


def test_moves_a_record_from_hospital_a_to_hospital_b_with_evidence_for_every_step(
    corridor: Corridor, patient_bundle: bytes
):
    transfer = corridor.run(patient_bundle)
    view = corridor.hospital_b.open_record(transfer, viewer="dr-chan")
    entries = corridor.entry_types(transfer)
    assert entries == [*FIVE_STEPS, "record.accessed"]
    bundle = view["bundle"]
    assert bundle["type"] == "document"  # an IPS summary: Composition first (docs/records.md)
    assert bundle["entry"][0]["resource"]["resourceType"] == "Composition"
    types = {e["resource"]["resourceType"] for e in bundle["entry"]}
    assert types <= {
        "Composition",
        "Device",
        "Patient",
        "Condition",
        "Observation",
        "Immunization",
        "DocumentReference",
        "Practitioner",
        "Organization",
        "Location",
        "PractitionerRole",
    }
    assert "Encounter" not in types
    assert "Claim" not in types
    trust = TrustPolicy.from_json(
        corridor.http.get(f"{URLS['datacenter']}/api/ledger/trust").json()
    )
    for index, _entry in corridor.ledger.entries_for_transfer(transfer):
        verify_receipt(corridor.ledger.receipt(index), trust)


def test_no_entry_on_the_chain_names_the_patient(corridor: Corridor, patient_bundle: bytes):
    transfer = corridor.run(patient_bundle)
    wallet_did = verify_signed_consent(
        SignedConsent.from_json(corridor.consent())
    ).terms.patient_did
    needles = [*patient_identifiers(patient_bundle), wallet_did]
    for _index, entry in corridor.ledger.entries_for_transfer(transfer):
        text = entry.leaf.decode()
        assert not [n for n in needles if n in text]


def test_the_data_center_never_holds_plaintext_or_identifiers(
    sqlite_corridor: Corridor, patient_bundle: bytes
):
    sqlite_corridor.run(patient_bundle)
    needles = [*patient_identifiers(patient_bundle), *clinical_displays(patient_bundle)]
    assert len(needles) > 10
    assert _scan(sqlite_corridor.tmp_path / "datacenter", needles) == {}


def test_hospital_b_receives_the_record_without_the_identifiers_treatment_does_not_need(
    sqlite_corridor: Corridor, patient_bundle: bytes
):
    transfer = sqlite_corridor.run(patient_bundle)
    bundle = sqlite_corridor.hospital_b.open_record(transfer, viewer="dr-chan")["bundle"]
    text = json.dumps(bundle)
    assert "Sanford861" in text  # the clinician needs the patient's name
    for removed in ("999-33-5538", "S99993907", "X37176659X", "555-657-5098", "117 Orn Bypass"):
        assert removed not in text


def test_a_consent_naming_records_delivers_only_those_records(
    sqlite_corridor: Corridor, patient_bundle: bytes
):
    conditions = [
        e["resource"]["id"]
        for e in json.loads(patient_bundle)["entry"]
        if e["resource"]["resourceType"] == "Condition"
    ]
    assert len(conditions) > 2
    named = frozenset(f"Condition/{ident}" for ident in conditions[:2])
    scope = ConsentScope(resource_types=frozenset({"Condition"}), record_ids=named)
    transfer = sqlite_corridor.run(patient_bundle, scope=scope)
    bundle = sqlite_corridor.hospital_b.open_record(transfer, viewer="dr-chan")["bundle"]
    kinds = [e["resource"]["resourceType"] for e in bundle["entry"]]
    assert kinds.count("Condition") == 2
    assert not {"Observation", "Immunization"} & set(kinds)


def test_a_deny_stops_the_flow_before_anything_is_uploaded(
    asgi_router, tmp_path, database_urls, close_apps, patient_bundle
):
    corridor = build_corridor(
        asgi_router, tmp_path, database_urls, close_apps, export={"mechanism": "none"}
    )
    transfer = corridor.request(patient_bundle)
    with pytest.raises(PolicyDenied) as denied:
        corridor.hospital_a.file(transfer)
    problem = denied.value.problem  # type: ignore[attr-defined]
    assert problem["code"] == "transfer-denied"
    assert "CN-R18-SC-MISSING" in json.dumps(problem)
    with pytest.raises(Conflict):
        corridor.hospital_a.upload(transfer)
    listing = corridor.http.get(f"{URLS['datacenter']}/api/vault/objects").json()
    assert listing == []
    assert "record.uploaded" not in corridor.entry_types(transfer)


def test_revoking_before_processing_makes_the_key_broker_refuse_on_the_record(
    corridor: Corridor, patient_bundle: bytes
):
    transfer = corridor.request(patient_bundle)
    corridor.hospital_a.file(transfer)
    corridor.hospital_a.upload(transfer)
    consent = verify_signed_consent(SignedConsent.from_json(corridor.consent()))
    stored = corridor.portal.status(transfer)
    assert stored.consent_digest
    _revoke(corridor, transfer)
    with pytest.raises(PolicyDenied) as refused:
        corridor.center.process(transfer)
    assert "revoked" in json.dumps(refused.value.problem)  # type: ignore[attr-defined]
    types = corridor.entry_types(transfer)
    assert types[-2:] == ["attestation.appraised", "key.refused"]
    assert "key.released" not in types
    assert consent.digest  # the refusal names the consent by digest only


def _revoke(corridor: Corridor, transfer: str) -> None:
    """The patient signs a revocation of his consent with his wallet and sends it."""
    consent = verify_signed_consent(SignedConsent.from_json(_portal_consent(corridor, transfer)))
    revocation = sign_revocation(
        consent, corridor.wallet, revoked_at=corridor.clock.now(), reason="changed my mind"
    )
    corridor.portal.revoke(transfer, RevocationRequest(revocation=revocation.to_json()))


def _portal_consent(corridor: Corridor, transfer: str) -> dict:
    context = corridor.apps["portal"].state.portal
    with UnitOfWork(context.database.sessions) as uow:
        row = uow.session.get(TransferRow, transfer)
        return json.loads(row.consent_json)


def test_revoking_after_delivery_removes_hospital_bs_access(
    corridor: Corridor, patient_bundle: bytes
):
    transfer = corridor.run(patient_bundle)
    corridor.hospital_b.open_record(transfer, viewer="dr-chan")
    _revoke(corridor, transfer)
    with pytest.raises(PolicyDenied) as refused:
        corridor.hospital_b.open_record(transfer, viewer="dr-chan")
    assert refused.value.problem["code"] == "access-refused"  # type: ignore[attr-defined]
    assert corridor.hospital_b.status(transfer).state == "revoked"


def test_nothing_is_shown_after_the_consent_expires(corridor: Corridor, patient_bundle: bytes):
    transfer = corridor.run(patient_bundle, expires_at=corridor.clock.now() + timedelta(days=2))
    corridor.clock.advance(timedelta(days=3))
    with pytest.raises(PolicyDenied, match="may not be shown"):
        corridor.hospital_b.open_record(transfer, viewer="dr-chan")


def test_a_consent_with_a_bad_signature_is_refused_and_nothing_is_written(
    corridor: Corridor, patient_bundle: bytes
):
    patient_id = corridor.enrol(patient_bundle)
    consent = corridor.consent()
    consent["resource"]["provision"]["purpose"][0]["code"] = "HRESCH"
    size_before = len(corridor.http.get(f"{URLS['datacenter']}/api/ledger/checkpoint").text)
    response = corridor.http.post(
        f"{URLS['portal']}/api/transfers", json={"consent": consent, "patient_ref": patient_id}
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert len(corridor.http.get(f"{URLS['datacenter']}/api/ledger/checkpoint").text) == size_before


def test_a_consent_for_an_unknown_recipient_is_refused(corridor: Corridor, patient_bundle: bytes):
    patient_id = corridor.enrol(patient_bundle)
    response = corridor.http.post(
        f"{URLS['portal']}/api/transfers",
        json={
            "consent": corridor.consent(recipient_did="did:web:elsewhere.test"),
            "patient_ref": patient_id,
        },
    )
    assert response.status_code == 400
    assert "not a hospital this portal knows" in response.json()["detail"]


def test_a_tampered_ciphertext_is_refused_and_no_output_is_produced(
    sqlite_corridor: Corridor, patient_bundle: bytes
):
    corridor = sqlite_corridor
    transfer = corridor.request(patient_bundle)
    corridor.hospital_a.file(transfer)
    corridor.hospital_a.upload(transfer)
    vault = corridor.tmp_path / "datacenter" / "vault"
    stored = next(p for p in vault.rglob("*") if p.is_file())
    data = bytearray(stored.read_bytes())
    data[40] ^= 0x01
    stored.chmod(0o644)
    stored.write_bytes(bytes(data))
    with pytest.raises(VerificationFailed):
        corridor.center.process(transfer)
    assert "record.processed" not in corridor.entry_types(transfer)
    assert corridor.center.status(transfer).state != "processed"


def test_associated_data_bound_to_another_transfer_fails_authentication_in_the_enclave(
    corridor: Corridor, patient_bundle: bytes
):
    transfer = corridor.request(patient_bundle)
    corridor.hospital_a.file(transfer)
    corridor.hospital_a.upload(transfer)
    context = corridor.apps["datacenter"].state.center
    with UnitOfWork(context.database.sessions) as uow:
        row = uow.session.get(TransferRow, transfer)
        update_payload(row, aad=b64url_encode(canonical_json({"kind": "record", "other": 1})))
        uow.commit()
    with pytest.raises(InvalidInput, match="cannot open the record"):
        corridor.center.process(transfer)
    assert "record.processed" not in corridor.entry_types(transfer)


def test_unverifiable_enclave_evidence_is_refused_with_evidence_of_the_refusal(
    corridor: Corridor, patient_bundle: bytes
):
    transfer = corridor.request(patient_bundle)
    corridor.hospital_a.file(transfer)
    corridor.hospital_a.upload(transfer)
    app = corridor.apps["datacenter"]
    center = app.state.center
    broker = dataclasses.replace(
        center.broker, reference_values=PinnedReferenceValues(frozenset({"00" * 48}))
    )
    app.state.center = dataclasses.replace(center, broker=broker)
    with pytest.raises(PolicyDenied) as refused:
        corridor.center.process(transfer)
    assert "wrong-measurement" in json.dumps(refused.value.problem)  # type: ignore[attr-defined]
    assert corridor.entry_types(transfer)[-1] == "key.refused"


def test_hospital_b_refuses_a_delivery_de_identified_under_another_profile(
    sqlite_corridor: Corridor, patient_bundle: bytes, monkeypatch
):
    corridor = sqlite_corridor
    transfer = corridor.request(patient_bundle)
    corridor.hospital_a.file(transfer)
    corridor.hospital_a.upload(transfer)
    # A data center that picks the research profile for a treatment transfer.
    monkeypatch.setattr(center_service, "_destination_profile", lambda *_: RESEARCH)
    corridor.center.process(transfer)
    with pytest.raises(VerificationFailed, match="route need 'treatment'"):
        corridor.hospital_b.receive(transfer)
    assert "record.delivered" not in corridor.entry_types(transfer)


def test_hospital_b_refuses_an_enclave_its_regulators_did_not_all_approve(
    sqlite_corridor: Corridor, patient_bundle: bytes
):
    corridor = sqlite_corridor
    transfer = corridor.request(patient_bundle)
    corridor.hospital_a.file(transfer)
    corridor.hospital_a.upload(transfer)
    corridor.center.process(transfer)
    app = corridor.apps["hospital-b"]
    hospital = app.state.hospital
    # A regulator that never approved the enclave's measurement joins hospital B's list.
    approvals = dataclasses.replace(
        hospital.recipient.approvals,
        regulators=hospital.recipient.approvals.regulators | {"did:web:regulator-c.test"},
    )
    recipient = dataclasses.replace(hospital.recipient, approvals=approvals)
    app.state.hospital = dataclasses.replace(hospital, recipient=recipient)
    with pytest.raises(VerificationFailed, match="measurement is not approved"):
        corridor.hospital_b.receive(transfer)
    assert "record.delivered" not in corridor.entry_types(transfer)


def test_every_step_is_idempotent(corridor: Corridor, patient_bundle: bytes):
    transfer = corridor.run(patient_bundle)
    count = len(corridor.entry_types(transfer))
    corridor.hospital_a.file(transfer)
    corridor.hospital_a.upload(transfer)
    corridor.center.process(transfer)
    corridor.hospital_b.receive(transfer)
    assert len(corridor.entry_types(transfer)) == count
