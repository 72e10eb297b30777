from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from corridor.records import PatientMissing, build_patient_summary, parse_bundle, summary_sections
from corridor.records.summary import MAX_ROWS

AT = datetime(2025, 9, 5, 8, 30, tzinfo=UTC)
PATIENT = {"resourceType": "Patient", "id": "p1", "name": [{"family": "Chan", "given": ["Tai"]}]}


def _bundle(*resources: dict[str, Any]) -> dict[str, Any]:
    entries = [{"fullUrl": f"urn:uuid:{r['id']}", "resource": r} for r in (PATIENT, *resources)]
    return {"resourceType": "Bundle", "type": "collection", "entry": entries}


def _observation(ident: str, category: str, when: str, value: float) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": ident,
        "status": "final",
        "category": [{"coding": [{"code": category}]}],
        "code": {"coding": [{"system": "http://loinc.org", "code": "8302-2", "display": "Height"}]},
        "subject": {"reference": "urn:uuid:p1"},
        "effectiveDateTime": when,
        "valueQuantity": {"value": value, "unit": "cm"},
    }


def _sections(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["code"]["coding"][0]["code"]: s for s in summary_sections(document)}


def test_an_empty_record_still_has_the_three_required_sections() -> None:
    document = build_patient_summary(_bundle(), at=AT)
    sections = _sections(document)
    assert set(sections) == {"11450-4", "48765-2", "10160-0"}
    for section in sections.values():
        assert "entry" not in section
        assert section["emptyReason"]["coding"][0]["code"] == "unavailable"
        assert "No information" in section["text"]["div"]
    composition = document["entry"][0]["resource"]
    assert composition["type"]["coding"][0]["code"] == "60591-5"
    assert composition["subject"] == {"reference": "urn:uuid:p1"}
    assert document["timestamp"] == composition["date"] == "2025-09-05T08:30:00+00:00"
    author = composition["author"][0]["reference"]
    assert any(
        e["fullUrl"] == author and e["resource"]["resourceType"] == "Device"
        for e in document["entry"]
    )
    parse_bundle(json.dumps(document).encode())


def test_observations_go_to_results_vital_signs_or_social_history() -> None:
    document = build_patient_summary(
        _bundle(
            _observation("lab", "laboratory", "2020-01-01", 5.4),
            _observation("vital", "vital-signs", "2021-01-01", 170),
            _observation("smoke", "social-history", "2022-01-01", 0),
        ),
        at=AT,
    )
    sections = _sections(document)
    assert sections["30954-2"]["entry"] == [{"reference": "urn:uuid:lab"}]
    assert sections["8716-3"]["entry"] == [{"reference": "urn:uuid:vital"}]
    assert sections["29762-2"]["entry"] == [{"reference": "urn:uuid:smoke"}]
    assert "<td>170 cm</td>" in sections["8716-3"]["text"]["div"]


def test_medications_name_the_referenced_medication() -> None:
    medication = {"resourceType": "Medication", "id": "m1", "code": {"text": "Amlodipine 5 mg"}}
    request = {
        "resourceType": "MedicationRequest",
        "id": "mr1",
        "status": "active",
        "intent": "order",
        "subject": {"reference": "urn:uuid:p1"},
        "medicationReference": {"reference": "urn:uuid:m1"},
        "authoredOn": "2023-02-03",
    }
    sections = _sections(build_patient_summary(_bundle(medication, request), at=AT))
    assert (
        "<td>Amlodipine 5 mg</td><td>active</td><td>2023-02-03</td>"
        in sections["10160-0"]["text"]["div"]
    )


def test_long_sections_list_everything_but_show_the_latest_rows() -> None:
    many = [
        _observation(f"o{i}", "laboratory", f"20{i % 20 + 10}-01-01", i)
        for i in range(MAX_ROWS + 7)
    ]
    results = _sections(build_patient_summary(_bundle(*many), at=AT))["30954-2"]
    assert len(results["entry"]) == MAX_ROWS + 7
    assert results["text"]["div"].count("<tr>") == MAX_ROWS + 1  # the header row too
    assert "7 earlier entries" in results["text"]["div"]


def test_the_same_record_and_time_give_the_same_document() -> None:
    bundle = _bundle(_observation("lab", "laboratory", "2020-01-01", 5.4))
    assert build_patient_summary(bundle, at=AT) == build_patient_summary(bundle, at=AT)
    later = build_patient_summary(bundle, at=AT.replace(hour=9))
    assert later["id"] != build_patient_summary(bundle, at=AT)["id"]


def test_refuses_a_record_without_one_patient() -> None:
    with pytest.raises(PatientMissing):
        build_patient_summary({"resourceType": "Bundle", "type": "collection", "entry": []}, at=AT)
