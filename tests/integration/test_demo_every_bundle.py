"""``corridor demo --patient`` for every shared FHIR bundle (its own file: a worker of its own)."""

from __future__ import annotations

import base64
import json
import os
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from demo_runs import (  # type: ignore[import-not-found]
    SHARED_FHIR,
    files_containing,
    identifiers,
    patient_bundles,
    run_demo,
)

# Planted in a clinical note of every bundle: a resident ID with a valid GB 11643-1999
# check character and mainland and Hong Kong phone numbers (docs/records.md).
_PLANTED = ("11010519491231002X", "+86 139 1234 5678", "+852 9123 4567")
_CONSENTED = {
    "AllergyIntolerance",
    "Condition",
    "DiagnosticReport",
    "DocumentReference",
    "Immunization",
    "MedicationRequest",
    "MedicationStatement",
    "Observation",
    "Procedure",
}


def _plant_note(bundle: Path, folder: Path) -> Path:
    """A copy of ``bundle`` with a clinical note naming the patient's identifiers."""
    data = json.loads(bundle.read_text())
    entry = next(e for e in data["entry"] if e["resource"]["resourceType"] == "Patient")
    patient = entry["resource"]
    text = (
        f"患者身份证号 {_PLANTED[0]}，手机 {_PLANTED[1]}，香港电话 {_PLANTED[2]}。"  # noqa: RUF001
        f" Phone {' / '.join(t['value'] for t in patient.get('telecom', []) if 'value' in t)}."
    )
    note: dict[str, Any] = {
        "fullUrl": "urn:uuid:9d6a1c1e-0000-4000-8000-00000000c0de",
        "resource": {
            "resourceType": "DocumentReference",
            "id": "9d6a1c1e-0000-4000-8000-00000000c0de",
            "status": "current",
            "subject": {"reference": entry.get("fullUrl") or f"Patient/{patient['id']}"},
            "date": "2020-01-02T03:04:05Z",
            "content": [
                {
                    "attachment": {
                        "contentType": "text/plain; charset=utf-8",
                        "data": base64.b64encode(text.encode()).decode(),
                    }
                }
            ],
        },
    }
    if data.get("type") in {"transaction", "batch"}:
        note["request"] = {"method": "POST", "url": "DocumentReference"}
    data["entry"].append(note)
    folder.mkdir(parents=True, exist_ok=True)
    planted = folder / bundle.name
    planted.write_text(json.dumps(data))
    return planted


def _removed_by_treatment(bundle: Path) -> list[str]:
    """What the treatment profile removes: SSN, passport, licence, phones, address lines."""
    patient = next(
        e["resource"]
        for e in json.loads(bundle.read_text())["entry"]
        if e["resource"]["resourceType"] == "Patient"
    )
    kinds = {"SS", "SB", "PPN", "DL"}  # HL7 v2 table 0203
    values = [
        i["value"]
        for i in patient.get("identifier", [])
        if {c.get("code") for c in i.get("type", {}).get("coding", [])} & kinds
    ]
    values += [t["value"] for t in patient.get("telecom", []) if len(t.get("value", "")) > 4]
    values += [line for a in patient.get("address", []) for line in a.get("line", [])]
    return [*values, *_PLANTED]


def _check_hospital_b(folder: Path, bundle: Path) -> None:
    removed = _removed_by_treatment(bundle)
    escaped = [json.dumps(v)[1:-1] for v in removed]  # as JSON stores non-ASCII text
    assert files_containing(folder, sorted({*removed, *escaped})) == {}
    with sqlite3.connect(folder / "corridor.db") as db:
        rows = db.execute("SELECT document FROM transfers WHERE role = 'recipient'").fetchall()
    document = json.loads(rows[0][0])
    assert document["type"] == "document"
    entries = {e["fullUrl"]: e["resource"] for e in document["entry"]}
    composition = document["entry"][0]["resource"]
    listed = {ref["reference"] for s in composition["section"] for ref in s.get("entry", [])}
    consented = {url for url, r in entries.items() if r["resourceType"] in _CONSENTED}
    assert consented, "nothing consented reached hospital B"
    assert consented <= listed  # every consented resource is in a summary section
    notes = next(s for s in composition["section"] if s["code"]["coding"][0]["code"] == "34109-9")
    assert len(notes["entry"]) >= 1  # the planted note
    source = next(
        e["resource"]
        for e in json.loads(bundle.read_text())["entry"]
        if e["resource"]["resourceType"] == "Patient"
    )
    patient = next(r for r in entries.values() if r["resourceType"] == "Patient")
    assert patient.get("birthDate") == source.get("birthDate")
    assert [n.get("family") for n in patient.get("name", [])] == [
        n.get("family") for n in source.get("name", [])
    ]


@pytest.mark.integration
@pytest.mark.slow
@pytest.mark.parametrize("bundle", patient_bundles(), ids=lambda p: p.stem[:24])
def test_demo_moves_every_shared_patient_bundle(bundle: Path, tmp_path: Path):
    planted = _plant_note(bundle, tmp_path / "input")
    result = run_demo(tmp_path, "--patient", str(planted))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert files_containing(tmp_path / "datacenter", identifiers(bundle)) == {}
    # Hospital B: an IPS summary listing the consented content, without what treatment
    # removes, but with the patient's name and birth date.
    _check_hospital_b(tmp_path / "hospital-b", bundle)


def test_the_shared_patient_bundles_are_present_in_ci():
    if os.environ.get("CI"):
        assert len(patient_bundles()) >= 15, f"shared FHIR bundles missing under {SHARED_FHIR}"
