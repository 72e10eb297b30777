"""Destination profiles chosen by policy, and the record the enclave prepares with them."""

from __future__ import annotations

import base64
import json
import random
from datetime import UTC, datetime
from typing import Any

import pytest

from corridor.consent import ConsentScope
from corridor.records import (
    PROFILE_NAMES,
    UnknownProfile,
    extract_consented,
    load_profile,
    parse_bundle,
    prepare_for_recipient,
    select_profile,
    summary_sections,
)

AT = datetime(2025, 9, 5, 8, 30, tzinfo=UTC)
CN_RIC = "11010519491231002X"
HK_PHONE = "+852 9123 4567"
NOTE = (
    f"患者陈大文，身份证号{CN_RIC}，电话 {HK_PHONE}。"  # noqa: RUF001
    " Backup contact chan@example.com, SSN 219-09-9999. Lives at 88 Nathan Road."
)
MR = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "MR"}]}


def _bundle() -> dict[str, Any]:
    patient = {
        "resourceType": "Patient",
        "id": "MRN-7788",
        "identifier": [
            {"type": MR, "system": "https://hospital-a.example/mrn", "value": "MRN-7788"},
            {"system": "urn:oid:2.16.840.1.113883.2.4.6.3", "value": "574687583"},
        ],
        "name": [{"family": "陈", "given": ["大文"]}, {"family": "Chan", "given": ["Tai Man"]}],
        "gender": "male",
        "birthDate": "1970-01-02",
        "telecom": [{"system": "phone", "value": "+86 138 0013 8000"}],
        "address": [
            {"line": ["88 Nathan Road"], "city": "Kowloon", "postalCode": "999077", "country": "HK"}
        ],
        "contact": [
            {
                "name": {"family": "Wong"},
                "telecom": [{"system": "email", "value": "mum@example.com"}],
            }
        ],
    }
    note = {
        "resourceType": "DocumentReference",
        "id": "doc1",
        "status": "current",
        "subject": {"reference": "urn:uuid:MRN-7788"},
        "date": "2024-05-01T09:00:00+08:00",
        "content": [
            {
                "attachment": {
                    "contentType": "text/plain; charset=utf-8",
                    "data": base64.b64encode(NOTE.encode()).decode(),
                }
            }
        ],
    }
    condition = {
        "resourceType": "Condition",
        "id": "c1",
        "subject": {"reference": "urn:uuid:MRN-7788"},
        "code": {"text": "Hypertension <b>stage 2</b>"},
        "onsetDateTime": "2019-03-04",
    }
    entries = [
        {"fullUrl": f"urn:uuid:{r['id']}", "resource": r} for r in (patient, note, condition)
    ]
    return {"resourceType": "Bundle", "type": "collection", "entry": entries}


def _prepare(profile: str, bundle: dict[str, Any] | None = None) -> dict[str, Any]:
    prepared = prepare_for_recipient(
        bundle or _bundle(),
        profile=profile,
        at=AT,
        rng=random.Random(3),  # noqa: S311  # seeded: reproducible, not secret
    )
    assert prepared.profile_digest == load_profile(profile).digest
    assert prepared.changed > 0
    return prepared.document


def _resource(document: dict[str, Any], kind: str) -> dict[str, Any]:
    return next(e["resource"] for e in document["entry"] if e["resource"]["resourceType"] == kind)


def test_the_policy_picks_a_profile_by_purpose_and_route() -> None:
    assert select_profile(purpose="TREAT", origin="CN", destination="HK") == "treatment"
    assert select_profile(purpose="ETREAT", origin="HK", destination="CN") == "treatment"
    assert select_profile(purpose="HRESCH", origin="CN", destination="EU") == "research-safe-harbor"
    with pytest.raises(UnknownProfile, match="TREAT"):
        select_profile(purpose="TREAT", origin="CN", destination="EU")
    with pytest.raises(UnknownProfile):
        load_profile("nothing")
    assert {"treatment", "research-safe-harbor"} == PROFILE_NAMES
    assert load_profile("treatment").digest != load_profile("research-safe-harbor").digest


def test_treatment_keeps_who_the_patient_is_and_removes_what_b_does_not_need() -> None:
    document = _prepare("treatment")
    text = json.dumps(document, ensure_ascii=False)
    patient = _resource(document, "Patient")
    assert patient["name"][1] == {"family": "Chan", "given": ["Tai Man"]}
    assert patient["birthDate"] == "1970-01-02"
    assert patient["address"] == [{"city": "Kowloon", "country": "HK"}]
    for secret in ("574687583", "+86 138 0013 8000", "mum@example.com", "88 Nathan Road", "999077"):
        assert secret not in text
    # The MRN is pseudonymised (type kept, value hashed with a per-transfer key)...
    assert patient["identifier"] == [{"type": MR, "value": patient["identifier"][0]["value"]}]
    assert "MRN-7788" not in text
    # ...and so is every id, consistently, so references still resolve.
    condition = _resource(document, "Condition")
    patient_url = next(e["fullUrl"] for e in document["entry"] if e["resource"] is patient)
    assert condition["subject"]["reference"] == patient_url != "urn:uuid:MRN-7788"
    labels = {label["code"] for label in patient["meta"]["security"]}
    assert labels == {"REDACTED", "CRYTOHASH"}
    parse_bundle(json.dumps(document).encode())


def test_treatment_masks_identifiers_in_notes_but_leaves_the_clinical_text() -> None:
    document = _prepare("treatment")
    attachment = _resource(document, "DocumentReference")["content"][0]["attachment"]
    note = base64.b64decode(attachment["data"]).decode()
    for secret in (CN_RIC, "9123 4567", "chan@example.com", "219-09-9999", "88 Nathan Road"):
        assert secret not in note
    assert "[CN_RESIDENT_ID]" in note
    assert "[PHONE_NUMBER]" in note
    assert "患者陈大文" in note  # names stay: treatment needs them


def test_research_removes_names_and_keeps_only_years() -> None:
    document = _prepare("research-safe-harbor")
    text = json.dumps(document, ensure_ascii=False)
    patient = _resource(document, "Patient")
    assert "name" not in patient
    assert patient["birthDate"] == "1970"
    assert _resource(document, "Condition")["onsetDateTime"] == "2019"
    assert "陈大文" not in text
    assert CN_RIC not in text
    assert "data" not in _resource(document, "DocumentReference")["content"][0]["attachment"]
    parse_bundle(json.dumps(document).encode())


def test_the_delivered_document_is_an_ips_summary_of_the_consented_content() -> None:
    document = _prepare("treatment")
    assert document["type"] == "document"
    composition = document["entry"][0]["resource"]
    assert composition["resourceType"] == "Composition"
    sections = {s["code"]["coding"][0]["code"]: s for s in summary_sections(document)}
    assert {"11450-4", "48765-2", "10160-0", "34109-9"} <= set(sections)
    problems = sections["11450-4"]
    condition_url = next(
        e["fullUrl"] for e in document["entry"] if e["resource"]["resourceType"] == "Condition"
    )
    assert problems["entry"] == [{"reference": condition_url}]
    assert "Hypertension &lt;b&gt;stage 2&lt;/b&gt;" in problems["text"]["div"]
    assert sections["48765-2"]["emptyReason"]["coding"][0]["code"] == "unavailable"


def test_prepares_the_synthea_and_ips_samples(synthea: dict[str, Any], ips: dict[str, Any]) -> None:
    scope = ConsentScope(
        frozenset({"Condition", "Immunization", "Observation", "DocumentReference"})
    )
    patient = next(
        e["resource"] for e in synthea["entry"] if e["resource"]["resourceType"] == "Patient"
    )
    document = _prepare("treatment", extract_consented(synthea, scope).bundle)
    text = json.dumps(document)
    secrets = [i["value"] for i in patient["identifier"]] + [t["value"] for t in patient["telecom"]]
    secrets += patient["address"][0]["line"]
    assert [s for s in secrets if s in text] == []
    assert patient["name"][0]["family"] in text
    assert patient["birthDate"] in text
    parse_bundle(text.encode())
    ips_document = _prepare("treatment", ips)
    ips_text = json.dumps(ips_document)
    for secret in ("574687583", "+31788700800", "Laan Van Europa 1600", "3317 DB"):
        assert secret not in ips_text
    assert "DeLarosa" in ips_text
