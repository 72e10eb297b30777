"""``corridor demo`` as a user runs it: real processes, real HTTP on loopback, SQLite files."""

from __future__ import annotations

import base64
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

_SHARED_FHIR = Path(__file__).resolve().parents[3] / "shared" / "data" / "fhir"
_NOT_PATIENTS = {
    "hospitalInformation1583281853074.json",
    "practitionerInformation1583281853074.json",
}


def _patient_bundles() -> list[Path]:
    if not _SHARED_FHIR.is_dir():
        return []
    return sorted(path for path in _SHARED_FHIR.rglob("*.json") if path.name not in _NOT_PATIENTS)


def _run_demo(workdir: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "160"}
    return subprocess.run(
        [sys.executable, "-m", "corridor", "demo", "--workdir", str(workdir), *extra],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        check=False,
    )


def _identifiers(bundle: Path) -> list[str]:
    data = json.loads(bundle.read_text())
    patient = next(
        e["resource"] for e in data["entry"] if e["resource"]["resourceType"] == "Patient"
    )
    values = [n["family"] for n in patient.get("name", []) if "family" in n]
    values += [i["value"] for i in patient.get("identifier", []) if len(i.get("value", "")) > 4]
    values += [t["value"] for t in patient.get("telecom", []) if len(t.get("value", "")) > 4]
    values += [line for a in patient.get("address", []) for line in a.get("line", [])]
    return values


def _files_containing(folder: Path, needles: list[str]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path in folder.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            hits = [n for n in needles if n.encode() in data]
            if hits:
                found[str(path.relative_to(folder))] = hits
    return found


@pytest.fixture(scope="module")
def demo_run(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, subprocess.CompletedProcess[str]]:
    workdir = tmp_path_factory.mktemp("demo")
    return workdir, _run_demo(workdir)


@pytest.mark.integration
@pytest.mark.slow
def test_demo_prints_the_five_steps_and_exits_zero(demo_run):
    _workdir, result = demo_run
    assert result.returncode == 0, result.stdout + result.stderr
    for step in ("step 1 (request)", "step 2 (filing)", "step 3", "step 4", "step 5", "proof"):
        assert step in result.stdout
    assert "every inclusion proof verified" in result.stdout


@pytest.mark.integration
@pytest.mark.slow
def test_demo_keeps_each_partys_state_in_its_own_folder(demo_run):
    workdir, _result = demo_run
    for name in ("hospital-a", "hospital-b", "datacenter", "regulator-a", "regulator-b", "portal"):
        assert (workdir / name / "corridor.db").is_file()
    assert (workdir / "evidence" / "consent.json").is_file()
    assert (workdir / "evidence" / "trust.json").is_file()
    assert len(list((workdir / "evidence" / "receipts").iterdir())) == 11


@pytest.mark.integration
@pytest.mark.slow
def test_no_file_of_the_data_center_holds_a_direct_identifier(demo_run):
    workdir, _result = demo_run
    shipped = Path(__file__).resolve().parents[2] / "src/corridor/apps/data/demo-patient.json"
    needles = _identifiers(shipped)
    assert len(needles) >= 6
    assert _files_containing(workdir / "datacenter", needles) == {}


@pytest.mark.integration
@pytest.mark.slow
def test_every_receipt_verifies_offline_and_fails_after_any_change(demo_run, tmp_path):
    workdir, _result = demo_run
    trust = workdir / "evidence" / "trust.json"
    receipts = sorted((workdir / "evidence" / "receipts").iterdir())
    for receipt in receipts:
        ok = subprocess.run(
            [
                sys.executable,
                "-m",
                "corridor",
                "ledger",
                "verify-receipt",
                str(receipt),
                "--trust",
                str(trust),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        assert ok.returncode == 0, ok.stderr
    tampered = tmp_path / "tampered.txt"
    data = bytearray(receipts[0].read_bytes())
    data[len(data) // 2] ^= 0x01
    tampered.write_bytes(bytes(data))
    bad = subprocess.run(
        [
            sys.executable,
            "-m",
            "corridor",
            "ledger",
            "verify-receipt",
            str(tampered),
            "--trust",
            str(trust),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode != 0


@pytest.mark.integration
@pytest.mark.slow
def test_the_signed_consent_verifies_offline(demo_run):
    workdir, _result = demo_run
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "corridor",
            "consent",
            "verify",
            str(workdir / "evidence" / "consent.json"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


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
    assert _files_containing(folder, sorted({*removed, *escaped})) == {}
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
@pytest.mark.parametrize("bundle", _patient_bundles(), ids=lambda p: p.stem[:24])
def test_demo_moves_every_shared_patient_bundle(bundle: Path, tmp_path: Path):
    planted = _plant_note(bundle, tmp_path / "input")
    result = _run_demo(tmp_path, "--patient", str(planted))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert _files_containing(tmp_path / "datacenter", _identifiers(bundle)) == {}
    # Hospital B: an IPS summary listing the consented content, without what treatment
    # removes, but with the patient's name and birth date.
    _check_hospital_b(tmp_path / "hospital-b", bundle)


def test_the_shared_patient_bundles_are_present_in_ci():
    if os.environ.get("CI"):
        assert len(_patient_bundles()) >= 15, f"shared FHIR bundles missing under {_SHARED_FHIR}"
