from __future__ import annotations

import json

import pytest

from corridor.records import InvalidFhir, parse_bundle


def test_accepts_a_synthea_transaction_bundle(synthea_bytes: bytes) -> None:
    bundle = parse_bundle(synthea_bytes)
    assert bundle["type"] == "transaction"
    assert len(bundle["entry"]) == 168


def test_accepts_an_ips_document_bundle(ips: dict[str, object]) -> None:
    assert parse_bundle(json.dumps(ips).encode())["type"] == "document"


def _one_entry(resource: dict[str, str]) -> bytes:
    return json.dumps(
        {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": resource}]}
    ).encode()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"{", "not valid JSON"),
        (b"\xff\xfe", "not valid JSON"),
        (b"[]", "JSON object"),
        (b'{"resourceType": "Patient"}', "expected resourceType Bundle"),
        (b'{"resourceType": "Bundle", "type": "bag"}', "Bundle.type"),
        (_one_entry({"resourceType": "Observation", "status": "final"}), "entry.0.resource.code"),
        (_one_entry({"resourceType": "Unicorn"}), "not a valid FHIR R4 Bundle"),
    ],
)
def test_refuses_malformed_input_naming_the_first_problem(data: bytes, message: str) -> None:
    with pytest.raises(InvalidFhir, match=message):
        parse_bundle(data)
