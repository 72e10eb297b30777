"""Compliance across the real parties: both packs decide on the record, a DENY stops the
flow before upload, and both regulators' monitors catch misbehaviour on the chain."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from typing import Any

import pytest
from corridor_harness import (  # type: ignore[import-not-found]
    GBA_EXPORT,
    URLS,
    Corridor,
    build_corridor,
)

from corridor.compliance import HttpComplianceClient, load_packs
from corridor.consent import SignedConsent, sign_revocation, verify_signed_consent
from corridor.errors import Conflict, PolicyDenied
from corridor.ledger.tables import LeafRow
from corridor.storage.unit_of_work import UnitOfWork
from corridor.transfers import RevocationRequest
from corridor.transfers.tables import TransferRow

pytestmark = [pytest.mark.integration, pytest.mark.slow]
_EVIDENCE = "sha256:" + "e" * 64


def _regulator(corridor: Corridor, name: str) -> HttpComplianceClient:
    return HttpComplianceClient(corridor.http, URLS[name])


def _monitor_past(corridor: Corridor, name: str, index: int) -> list[dict[str, Any]]:
    """Run a regulator's monitor until it has verified entry ``index`` (checkpoints become
    final once both witnesses cosign, off the request path); return its alerts."""
    deadline = time.monotonic() + 60
    while True:
        report = _regulator(corridor, name).run_monitor()
        if report["size"] > index:
            return _regulator(corridor, name).alerts()
        assert time.monotonic() < deadline, f"{name} never verified entry {index}: {report}"
        time.sleep(0.2)


def _last_index(corridor: Corridor, transfer: str) -> int:
    return max(index for index, _ in corridor.ledger.entries_for_transfer(transfer))


def test_both_packs_decide_with_their_digests_and_both_monitors_stay_quiet(
    corridor: Corridor, patient_bundle: bytes
):
    transfer = corridor.run(patient_bundle)
    corridor.hospital_b.open_record(transfer, viewer="dr-chan")
    packs = load_packs()
    decided = [
        entry.statement
        for _, entry in corridor.ledger.entries_for_transfer(transfer)
        if entry.statement.type == "compliance.decided"
    ]
    assert sorted((s.details["pack"], s.details["role"]) for s in decided) == [
        ("CN", "export"),
        ("HK", "import"),
    ]
    for statement in decided:
        assert statement.digests["pack"] == packs.get(str(statement.details["pack"])).digest
        assert statement.details["decision"] == "PERMIT_WITH_OBLIGATIONS"
    last = _last_index(corridor, transfer)
    assert _monitor_past(corridor, "regulator-a", last) == []
    assert _monitor_past(corridor, "regulator-b", last) == []
    filing = _regulator(corridor, "regulator-a").filing(transfer)
    assert (filing.state, filing.role) == ("accepted", "export")
    [counter] = _regulator(corridor, "regulator-a").counters()
    assert counter["reconciled"] is True
    assert (counter["general"], counter["sensitive"]) == (1, 1)
    page = corridor.http.get(f"{URLS['regulator-a']}/api/compliance/filings/{transfer}/pipia.html")
    assert page.status_code == 200
    assert transfer in page.text
    pdf = corridor.http.get(f"{URLS['regulator-a']}/api/compliance/filings/{transfer}/pipia.pdf")
    assert pdf.content.startswith(b"%PDF-")


_SCENARIO_EXPORTS = {
    # Scenario id in scenarios.json -> hospital A's export arrangements that reproduce it.
    "CN-22": {**GBA_EXPORT, "in_mainland_gba": False},  # a Beijing hospital on the GBA SC
    "CN-29": {**GBA_EXPORT, "pipia_done": False},  # no prior PIPIA
}


@pytest.mark.parametrize("scenario_id", sorted(_SCENARIO_EXPORTS))
def test_a_scenario_deny_stops_the_flow_before_upload(
    asgi_router, tmp_path, close_apps, patient_bundle: bytes, *, asset, scenario_id: str
):
    corridor = build_corridor(
        asgi_router,
        tmp_path,
        lambda name: f"sqlite:///{tmp_path / name / 'corridor.db'}",
        close_apps,
        export=_SCENARIO_EXPORTS[scenario_id],
    )
    scenarios = json.loads(asset("compliance/scenarios.json").read_text())["scenarios"]
    expected = next(s for s in scenarios if s["id"] == scenario_id)["expected"]
    transfer = corridor.request(patient_bundle)
    with pytest.raises(PolicyDenied) as denied:
        corridor.hospital_a.file(transfer)
    [denial] = denied.value.problem["errors"]["denials"]  # type: ignore[attr-defined]
    assert (denial["pack"], denial["mechanism"]) == ("CN", expected["mechanism"])
    assert set(expected["rule_ids_include"]) <= set(denial["rule_ids"])
    with pytest.raises(Conflict):
        corridor.hospital_a.upload(transfer)
    assert corridor.http.get(f"{URLS['datacenter']}/api/vault/objects").json() == []
    assert "record.uploaded" not in corridor.entry_types(transfer)
    assert _regulator(corridor, "regulator-a").filing(transfer).state == "rejected"


def _revoke(corridor: Corridor, transfer: str) -> None:
    context = corridor.apps["portal"].state.portal
    with UnitOfWork(context.database.sessions) as uow:
        stored = json.loads(uow.session.get(TransferRow, transfer).consent_json)
    consent = verify_signed_consent(SignedConsent.from_json(stored))
    revocation = sign_revocation(
        consent, corridor.wallet, revoked_at=corridor.clock.now(), reason="changed my mind"
    )
    corridor.portal.revoke(transfer, RevocationRequest(revocation=revocation.to_json()))


def test_the_monitors_catch_every_kind_of_misbehaviour_on_the_chain(
    sqlite_corridor: Corridor, patient_bundle: bytes
):
    corridor = sqlite_corridor
    hospital_a = corridor.apps["hospital-a"].state.hospital.sender.recorder
    hospital_b = corridor.apps["hospital-b"].state.hospital.recipient.recorder
    center = corridor.apps["datacenter"].state.center.recorder
    # A hospital uploads a record it never filed.
    hospital_a.record("record.uploaded", transfer="unfiled-transfer-0001")
    # A key broker releases a key with no appraisal of the enclave before it.
    lawful = corridor.run(patient_bundle, expires_at=corridor.clock.now() + timedelta(days=2))
    center.record("key.released", transfer=lawful, digests={"evidence": _EVIDENCE})
    # The sending hospital reads the record it only had the right to send.
    hospital_a.record("record.accessed", transfer=lawful)
    # A key released after the patient revoked.
    revoked = corridor.request(patient_bundle)
    corridor.hospital_a.file(revoked)
    corridor.hospital_a.upload(revoked)
    _revoke(corridor, revoked)
    center.record(
        "attestation.appraised",
        transfer=revoked,
        digests={"evidence": _EVIDENCE},
        details={"outcome": "affirming"},
    )
    center.record("key.released", transfer=revoked, digests={"evidence": _EVIDENCE})
    # The recipient keeps reading after the consent expired.
    corridor.clock.advance(timedelta(days=3))
    last = hospital_b.record("record.accessed", transfer=lawful).index
    kinds_a = {(a["kind"], a["transfer"]) for a in _monitor_past(corridor, "regulator-a", last)}
    kinds_b = {(a["kind"], a["transfer"]) for a in _monitor_past(corridor, "regulator-b", last)}
    assert ("transfer-without-filing", "unfiled-transfer-0001") in kinds_a
    assert ("key-release-without-attestation", lawful) in kinds_a & kinds_b
    assert ("access-outside-consent", lawful) in kinds_a & kinds_b
    assert ("key-release-after-revocation", revoked) in kinds_a & kinds_b
    assert ("access-after-expiry", lawful) in kinds_b
    # The log serves an entry other than the one its (final) checkpoint committed to.
    corridor.clock.advance(timedelta(minutes=1))  # a new entry, not the same one again
    tampered = hospital_b.record("record.accessed", transfer=lawful).index
    deadline = time.monotonic() + 60
    while int(corridor.ledger.checkpoint().split("\n")[1]) <= tampered:
        assert time.monotonic() < deadline, "the entry never reached a final checkpoint"
        time.sleep(0.2)
    ledger = corridor.apps["datacenter"].state.ledger
    with UnitOfWork(ledger.database.sessions) as uow:
        row = uow.session.get(LeafRow, tampered)
        row.leaf = row.leaf.replace(b"record.accessed", b"record.delivered")
        uow.commit()
    report = _regulator(corridor, "regulator-a").run_monitor()
    assert [a["kind"] for a in report["alerts"]] == ["checkpoint-inconsistent"], report
    assert report["size"] == report["previous_size"]  # nothing past the bad entry is trusted
