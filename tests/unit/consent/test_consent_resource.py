from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest
from fhir.resources.R4B.consent import Consent
from hypothesis import given, settings
from hypothesis import strategies as st

from corridor.consent import (
    FHIR_RESOURCE_TYPES,
    PURPOSES,
    ConsentScope,
    ConsentTerms,
    InvalidConsent,
    build_consent_resource,
    terms_from_resource,
)
from corridor.crypto import SigningKeyPair, did_key_from_public

_PATIENT = did_key_from_public(SigningKeyPair.generate().public)


def test_builds_a_valid_r4_consent_with_the_agreed_shape(
    make_terms: Callable[..., ConsentTerms],
) -> None:
    resource = build_consent_resource(make_terms())
    Consent.model_validate(resource)
    assert resource["status"] == "active"
    assert resource["scope"]["coding"][0]["code"] == "patient-privacy"
    assert resource["category"][0]["coding"][0] == {"system": "http://loinc.org", "code": "59284-0"}
    assert resource["patient"]["identifier"]["value"].startswith("did:key:")
    provision = resource["provision"]
    assert provision["type"] == "permit"
    assert provision["period"]["end"] == "2026-03-01T09:30:00Z"
    assert provision["actor"][0]["role"]["coding"][0]["code"] == "IRCP"
    assert provision["actor"][0]["reference"]["identifier"]["value"] == "did:web:hospital-b.test"
    assert [c["code"] for c in provision["class"]] == [
        "Condition",
        "MedicationRequest",
        "Observation",
    ]
    assert provision["dataPeriod"] == {"start": "2010-01-01", "end": "2020-12-31"}
    urls = {ext["url"] for ext in resource["extension"]}
    assert all(url.startswith("https://corridor.example/fhir/StructureDefinition/") for url in urls)


def test_reading_the_resource_back_gives_the_same_terms(
    make_terms: Callable[..., ConsentTerms],
) -> None:
    terms = make_terms(scope=ConsentScope(frozenset({"Immunization"})))
    resource = build_consent_resource(terms)
    assert terms_from_resource(resource) == terms
    assert "dataPeriod" not in resource["provision"]


@settings(max_examples=40, deadline=None)
@given(
    types=st.frozensets(st.sampled_from(sorted(FHIR_RESOURCE_TYPES)), min_size=1, max_size=6),
    start=st.one_of(st.none(), st.dates(min_value=date(1900, 1, 1), max_value=date(2050, 1, 1))),
    days=st.one_of(st.none(), st.integers(min_value=0, max_value=20_000)),
    purpose=st.sampled_from(sorted(PURPOSES)),
    flags=st.tuples(st.booleans(), st.booleans(), st.booleans()),
    lifetime=st.integers(min_value=1, max_value=10**8),
    retention=st.integers(min_value=1, max_value=36_500),
)
def test_build_and_read_are_exact_inverses(  # noqa: PLR0917  # hypothesis passes arguments by name
    types: frozenset[str],
    start: date | None,
    days: int | None,
    purpose: str,
    flags: tuple[bool, bool, bool],
    lifetime: int,
    retention: int,
) -> None:
    end = start + timedelta(days=days) if start is not None and days is not None else None
    issued = datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)
    terms = ConsentTerms(
        patient_did=_PATIENT,
        custodian_did="did:web:a.test",
        recipient_did="did:web:b.test%3A8443",
        purpose=purpose,
        scope=ConsentScope(types, start, end),
        issued_at=issued,
        expires_at=issued + timedelta(seconds=lifetime),
        retention_days=retention,
        cross_border_separate_consent=flags[0],
        sensitive_separate_consent=flags[1],
        prescribed_consent_hk=flags[2],
        consent_id="c.1-x",
    )
    resource = build_consent_resource(terms)
    assert terms_from_resource(resource) == terms
    assert build_consent_resource(terms_from_resource(resource)) == resource


def _mutated(resource: dict[str, object], path: list[object], value: object) -> dict[str, object]:
    out = copy.deepcopy(resource)
    target: object = out
    for step in path[:-1]:
        target = target[step]  # type: ignore[index]
    target[path[-1]] = value  # type: ignore[index]
    return out


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (["status"], "inactive"),
        (["provision", "type"], "deny"),
        (["provision", "purpose", 0, "code"], "MARKETING"),
        (["provision", "class", 0, "system"], "http://example.org"),
        (["provision", "dataPeriod", "start"], "2010-01"),
        (["performer", 0, "identifier", "value"], "did:key:z6MkOther"),
        (["patient", "identifier", "system"], "http://example.org"),
        (["provision", "period", "start"], "2025-03-02T09:30:00Z"),
        (["extension"], []),
        (["dateTime"], "2025-03-01T09:30:00"),
    ],
)
def test_refuses_resources_it_would_not_have_written(
    make_terms: Callable[..., ConsentTerms], path: list[object], value: object
) -> None:
    resource = build_consent_resource(make_terms())
    with pytest.raises(InvalidConsent):
        terms_from_resource(_mutated(resource, path, value))


def test_refuses_a_resource_that_is_not_valid_fhir(
    make_terms: Callable[..., ConsentTerms],
) -> None:
    resource = build_consent_resource(make_terms())
    resource["category"] = "not a list"
    with pytest.raises(InvalidConsent, match="not valid FHIR"):
        terms_from_resource(resource)


def test_a_consent_naming_records_carries_them_as_provision_data_and_reads_back(
    make_terms: Callable[..., ConsentTerms],
) -> None:
    scope = ConsentScope(
        frozenset({"Condition", "Observation"}),
        record_ids=frozenset({"Condition/c-7", "Observation/o-1"}),
    )
    terms = make_terms(scope=scope)
    resource = build_consent_resource(terms)
    Consent.model_validate(resource)
    assert resource["provision"]["data"] == [
        {"meaning": "instance", "reference": {"reference": "Condition/c-7"}},
        {"meaning": "instance", "reference": {"reference": "Observation/o-1"}},
    ]
    assert terms_from_resource(resource) == terms


def test_refuses_provision_data_with_a_meaning_other_than_instance(
    make_terms: Callable[..., ConsentTerms],
) -> None:
    scope = ConsentScope(frozenset({"Condition"}), record_ids=frozenset({"Condition/c-7"}))
    resource = build_consent_resource(make_terms(scope=scope))
    resource["provision"]["data"][0]["meaning"] = "related"
    with pytest.raises(InvalidConsent, match="meaning instance"):
        terms_from_resource(resource)
