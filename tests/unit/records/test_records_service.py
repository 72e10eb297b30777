from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest

from corridor.records import (
    InvalidFhir,
    PatientMissing,
    PatientNotFound,
    RecordsContext,
    WalletAlreadyLinked,
    import_bundle,
    link_wallet,
    list_patients,
    parse_bundle,
    patient_bundle,
    patient_for_did,
    search,
)
from corridor.storage import Database


def collection(*resources: dict[str, Any]) -> dict[str, Any]:
    """A FHIR collection Bundle whose entries have urn:uuid fullUrls."""
    entries = [{"fullUrl": f"urn:uuid:{r['id']}", "resource": r} for r in resources]
    return {"resourceType": "Bundle", "type": "collection", "entry": entries}


CAROLEE = "d88f994a-5efa-421d-9c40-5f116d2114a6"
WALLET = "did:key:z6MkpTHR8VNsBxYAAWHut2Geadd9jSwuBV8xRoAnwWsdvktH"


@pytest.fixture
def context(database: Database) -> RecordsContext:
    return RecordsContext(database=database)


def test_imports_a_synthea_bundle_and_rebuilds_the_patient_record(
    context: RecordsContext, synthea_bytes: bytes
) -> None:
    result = import_bundle(context=context, data=synthea_bytes)
    assert result.patient_id == CAROLEE
    assert sum(result.counts.values()) == 168
    assert import_bundle(context=context, data=synthea_bytes) == result  # idempotent
    bundle = patient_bundle(context=context, patient_id=CAROLEE)
    assert bundle["type"] == "collection"
    assert len(bundle["entry"]) == 168
    parse_bundle(json.dumps(bundle).encode())
    assert list_patients(context=context) == [CAROLEE]


def test_patient_bundle_brings_referenced_shared_resources(
    context: RecordsContext,
) -> None:
    org = {
        "resourceType": "Organization",
        "id": "org1",
        "identifier": [{"system": "https://npi.example", "value": "42"}],
    }
    practitioner = {"resourceType": "Practitioner", "id": "pr1"}
    import_bundle(context=context, data=json.dumps(collection(org, practitioner)).encode())
    patient = {"resourceType": "Patient", "id": "p1"}
    encounter: dict[str, Any] = {
        "resourceType": "Encounter",
        "id": "e1",
        "status": "finished",
        "class": {"code": "AMB"},
        "subject": {"reference": "urn:uuid:p1"},
        "serviceProvider": {"reference": "Organization?identifier=https://npi.example|42"},
        "participant": [{"individual": {"reference": "Practitioner/pr1"}}],
        "period": {"start": "2019-05-01"},
    }
    result = import_bundle(
        context=context, data=json.dumps(collection(patient, encounter)).encode()
    )
    assert result.patient_id == "p1"
    bundle = patient_bundle(context=context, patient_id="p1")
    assert {e["resource"]["id"] for e in bundle["entry"]} == {"p1", "e1", "org1", "pr1"}


def test_a_provider_bundle_imports_without_a_patient(context: RecordsContext) -> None:
    result = import_bundle(
        context=context,
        data=json.dumps(collection({"resourceType": "Organization", "id": "o"})).encode(),
    )
    assert result.patient_id is None
    assert result.counts == {"Organization": 1}


def test_refuses_bad_bundles_and_writes_nothing(context: RecordsContext) -> None:
    with pytest.raises(InvalidFhir):
        import_bundle(context=context, data=b'{"resourceType": "Bundle", "type": "bag"}')
    two = collection({"resourceType": "Patient", "id": "a"}, {"resourceType": "Patient", "id": "b"})
    with pytest.raises(PatientMissing):
        import_bundle(context=context, data=json.dumps(two).encode())
    assert list_patients(context=context) == []


def test_searches_by_type_and_whole_clinical_dates(
    context: RecordsContext, synthea_bytes: bytes
) -> None:

    import_bundle(context=context, data=synthea_bytes)
    conditions = search(context=context, patient_id=CAROLEE, resource_type="Condition")
    assert conditions
    assert {r["resourceType"] for r in conditions} == {"Condition"}
    ranged = search(
        context=context,
        patient_id=CAROLEE,
        resource_type="Observation",
        date_from=date(2015, 1, 1),
        date_to=date(2016, 12, 31),
    )
    assert ranged
    for resource in ranged:
        assert "2015-01-01" <= resource["effectiveDateTime"][:10] <= "2016-12-31"
    with pytest.raises(PatientNotFound):
        search(context=context, patient_id="nobody")


def test_links_one_wallet_to_one_patient(context: RecordsContext, synthea_bytes: bytes) -> None:
    import_bundle(context=context, data=synthea_bytes)
    import_bundle(
        context=context,
        data=json.dumps(collection({"resourceType": "Patient", "id": "p2"})).encode(),
    )
    assert patient_for_did(context=context, did=WALLET) is None
    link_wallet(context=context, patient_id=CAROLEE, did=WALLET)
    link_wallet(context=context, patient_id=CAROLEE, did=WALLET)
    assert patient_for_did(context=context, did=WALLET) == CAROLEE
    with pytest.raises(WalletAlreadyLinked):
        link_wallet(context=context, patient_id="p2", did=WALLET)
    with pytest.raises(PatientNotFound):
        link_wallet(context=context, patient_id="nobody", did="did:key:zOther")
