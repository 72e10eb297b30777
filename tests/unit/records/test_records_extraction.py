from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from corridor.consent import ConsentScope
from corridor.records import (
    SUPPORTING_TYPES,
    PatientMissing,
    clinical_period,
    extract_consented,
    parse_bundle,
)


def collection(*resources: dict[str, Any]) -> dict[str, Any]:
    """A FHIR collection Bundle whose entries have urn:uuid fullUrls."""
    entries = [{"fullUrl": f"urn:uuid:{r['id']}", "resource": r} for r in resources]
    return {"resourceType": "Bundle", "type": "collection", "entry": entries}


PATIENT = {"resourceType": "Patient", "id": "p1", "name": [{"family": "Chan"}]}
ORG = {
    "resourceType": "Organization",
    "id": "org1",
    "identifier": [{"system": "https://npi.example", "value": "42"}],
}
PRACTITIONER = {"resourceType": "Practitioner", "id": "pr1"}
LOCATION = {
    "resourceType": "Location",
    "id": "loc1",
    "managingOrganization": {"reference": "Organization/org1"},
}
ENCOUNTER = {
    "resourceType": "Encounter",
    "id": "e1",
    "status": "finished",
    "class": {"code": "AMB"},
    "subject": {"reference": "urn:uuid:p1"},
    "period": {"start": "2016-04-01T10:00:00+08:00"},
    "location": [{"location": {"reference": "urn:uuid:loc1"}}],
}


def observation(ident: str, when: str | None, **extra: Any) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "id": ident,
        "status": "final",
        "code": {"text": "glucose"},
        "subject": {"reference": "urn:uuid:p1"},
        **extra,
    }
    if when is not None:
        resource["effectiveDateTime"] = when
    return resource


def ids(bundle: dict[str, Any]) -> set[str]:
    return {e["resource"]["id"] for e in bundle["entry"]}


def test_keeps_the_patient_consented_types_in_range_and_what_they_reference() -> None:
    bundle = collection(
        PATIENT,
        ORG,
        PRACTITIONER,
        LOCATION,
        ENCOUNTER,
        observation(
            "o-in",
            "2016-04-01",
            performer=[{"reference": "Practitioner/pr1"}],
            encounter={"reference": "urn:uuid:e1"},
        ),
        observation("o-late", "2021-01-01"),
        observation("o-undated", None),
    )
    scope = ConsentScope(frozenset({"Observation"}), date(2015, 1, 1), date(2020, 12, 31))
    extraction = extract_consented(bundle, scope)
    assert ids(extraction.bundle) == {"p1", "o-in", "pr1"}
    reasons = {item.id: item.reason for item in extraction.included}
    assert reasons == {"p1": "subject", "o-in": "consented", "pr1": "referenced"}
    assert extraction.counts == {"Observation": 1, "Patient": 1, "Practitioner": 1}
    assert extraction.bundle["type"] == "collection"
    parse_bundle(json.dumps(extraction.bundle).encode())


def test_a_consent_naming_records_extracts_only_those_and_what_they_reference() -> None:
    bundle = collection(
        PATIENT,
        PRACTITIONER,
        observation("o-1", "2016-04-01", performer=[{"reference": "Practitioner/pr1"}]),
        observation("o-2", "2016-05-01"),
        observation("o-3", "2016-06-01"),
    )
    scope = ConsentScope(
        frozenset({"Observation"}), record_ids=frozenset({"Observation/o-1", "Observation/o-3"})
    )
    assert ids(extract_consented(bundle, scope).bundle) == {"p1", "o-1", "o-3", "pr1"}


def test_follows_references_through_supporting_resources_only() -> None:
    bundle = collection(PATIENT, ORG, LOCATION, ENCOUNTER)
    extraction = extract_consented(bundle, ConsentScope(frozenset({"Encounter"})))
    assert ids(extraction.bundle) == {"p1", "e1", "loc1", "org1"}


def test_includes_undated_resources_only_without_a_date_range() -> None:
    bundle = collection(PATIENT, observation("o-undated", None))
    assert "o-undated" in ids(
        extract_consented(bundle, ConsentScope(frozenset({"Observation"}))).bundle
    )
    ranged = ConsentScope(frozenset({"Observation"}), date(2000, 1, 1), None)
    assert "o-undated" not in ids(extract_consented(bundle, ranged).bundle)


def test_a_partial_date_must_lie_wholly_inside_the_range() -> None:
    bundle = collection(PATIENT, observation("o-2019", "2019"), observation("o-2019-06", "2019-06"))
    scope = ConsentScope(frozenset({"Observation"}), date(2019, 6, 1), date(2019, 12, 31))
    assert ids(extract_consented(bundle, scope).bundle) == {"p1", "o-2019-06"}


def test_resolves_conditional_references_when_the_target_is_present() -> None:
    obs = observation(
        "o1",
        "2016-01-01",
        performer=[{"reference": "Organization?identifier=https://npi.example|42"}],
    )
    absent = observation(
        "o2",
        "2016-01-01",
        performer=[{"reference": "Practitioner?identifier=https://npi.example|9"}],
    )
    extraction = extract_consented(
        collection(PATIENT, ORG, obs, absent), ConsentScope(frozenset({"Observation"}))
    )
    assert ids(extraction.bundle) == {"p1", "o1", "o2", "org1"}


def test_leaves_out_resources_about_another_patient() -> None:
    bundle = collection(
        PATIENT,
        observation("o1", "2016-01-01"),
        observation("o-p2", "2016-01-01", subject={"reference": "Patient/p2"}),
        observation("o-abs", "2016-01-01", subject={"reference": "https://h.example/Patient/p2"}),
        observation("o-dangling", "2016-01-01", subject={"reference": "urn:uuid:nobody"}),
        observation("o-local", "2016-01-01", subject={"reference": "Patient/p1"}),
    )
    extraction = extract_consented(bundle, ConsentScope(frozenset({"Observation"})))
    assert ids(extraction.bundle) == {"p1", "o1", "o-local"}


def test_refuses_a_bundle_without_exactly_one_patient() -> None:
    with pytest.raises(PatientMissing):
        extract_consented(collection(ORG), ConsentScope(frozenset({"Observation"})))
    with pytest.raises(PatientMissing):
        extract_consented(
            collection(PATIENT, {**PATIENT, "id": "p2"}), ConsentScope(frozenset({"Observation"}))
        )


def test_extracts_from_the_synthea_bundle_and_copies_rather_than_aliases(
    synthea: dict[str, Any],
) -> None:
    scope = ConsentScope(
        frozenset({"Condition", "Immunization", "MedicationRequest"}),
        date(2010, 1, 1),
        date(2020, 12, 31),
    )
    extraction = extract_consented(synthea, scope)
    assert extraction.counts["Patient"] == 1
    assert set(extraction.counts) <= {"Patient", *scope.resource_types, *SUPPORTING_TYPES}
    extraction.bundle["entry"][0]["resource"]["name"] = []
    assert synthea["entry"][0]["resource"]["name"]
    parse_bundle(json.dumps(extraction.bundle).encode())


_TYPES = ["Observation", "Condition", "Immunization", "Procedure", "Encounter", "MedicationRequest"]


def _synthea_scopes() -> st.SearchStrategy[ConsentScope]:
    dates = st.one_of(st.none(), st.dates(min_value=date(1965, 1, 1), max_value=date(2021, 1, 1)))
    return st.builds(
        lambda types, a, b: (
            ConsentScope(types, min(a, b), max(a, b))
            if a is not None and b is not None
            else ConsentScope(types, a, b)
        ),
        st.frozensets(st.sampled_from(_TYPES), min_size=1),
        dates,
        dates,
    )


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(scope=_synthea_scopes())
def test_never_includes_a_resource_outside_the_types_or_dates(
    synthea: dict[str, Any], scope: ConsentScope
) -> None:

    extraction = extract_consented(synthea, scope)
    resources = [entry["resource"] for entry in extraction.bundle["entry"]]
    assert sum(r["resourceType"] == "Patient" for r in resources) == 1
    for resource in resources:
        kind = resource["resourceType"]
        if kind == "Patient" or kind in SUPPORTING_TYPES:
            continue
        assert kind in scope.resource_types
        period = clinical_period(resource)
        if period is None:
            assert not scope.has_date_range
        else:
            assert scope.admits_period(*period)
    # And nothing in scope was left behind.
    expected = [
        e["resource"]["id"]
        for e in synthea["entry"]
        if e["resource"]["resourceType"] in scope.resource_types
        and (
            ((p := clinical_period(e["resource"])) is not None and scope.admits_period(*p))
            or (p is None and not scope.has_date_range)
        )
    ]
    assert set(expected) <= {r["id"] for r in resources}


# --- generated bundles, checked against an oracle that shares no code with extraction ---
# One date element per generated resource type, written in every FHIR precision.
_DATED = {
    "Observation": "effectiveDateTime",
    "Condition": "onsetDateTime",
    "Procedure": "performedDateTime",
    "Immunization": "occurrenceDateTime",
    "MedicationRequest": "authoredOn",
}
_SUPPORT = ["Practitioner", "Organization", "Location", "Medication"]
_OWNERS = ["us", "other", "dangling", "none"]


def _fhir_date(draw: st.DrawFn) -> tuple[str, date, date] | None:
    """A FHIR date/dateTime string and the first and last day it denotes (by hand)."""
    if draw(st.booleans()) and draw(st.booleans()):
        return None
    day = draw(st.dates(min_value=date(2014, 1, 1), max_value=date(2018, 12, 31)))
    precision = draw(st.sampled_from(["year", "month", "day", "time"]))
    if precision == "year":
        return f"{day.year}", date(day.year, 1, 1), date(day.year, 12, 31)
    if precision == "month":
        nxt = date(day.year + day.month // 12, day.month % 12 + 1, 1)
        last = date.fromordinal(nxt.toordinal() - 1)
        return f"{day.year}-{day.month:02d}", date(day.year, day.month, 1), last
    if precision == "day":
        return day.isoformat(), day, day
    # A time is read in its own offset: 23:30-11:00 on day D is day D, not D+1 in UTC.
    zone = draw(st.sampled_from(["Z", "+14:00", "-11:00", "+08:00"]))
    return f"{day.isoformat()}T23:30:00{zone}", day, day


def _clinical(
    draw: st.DrawFn, index: int, support_ids: list[str]
) -> tuple[dict[str, Any], tuple[str, str, tuple[str, date, date] | None]]:
    """One clinical resource of a generated bundle, and its facts for the oracle."""
    kind = draw(st.sampled_from([*_DATED, "Encounter"]))
    resource: dict[str, Any] = {"resourceType": kind, "id": f"c{index}"}
    owner = draw(st.sampled_from(_OWNERS))
    if owner != "none":
        target = {"us": "urn:uuid:p1", "other": "Patient/p2", "dangling": "urn:uuid:x"}[owner]
        resource["subject"] = {"reference": target}
    when = _fhir_date(draw)
    if when is not None and kind in _DATED:
        resource[_DATED[kind]] = when[0]
    elif when is not None:
        resource["period"] = {"start": when[0]}
    refs = draw(st.lists(st.sampled_from([*support_ids, "c0", "c1"]), max_size=3))
    resource["note"] = [{"authorReference": {"reference": f"urn:uuid:{ref}"}} for ref in refs]
    return resource, (kind, owner, when)


def _scope(draw: st.DrawFn) -> ConsentScope:
    types = draw(st.frozensets(st.sampled_from([*_DATED, "Encounter"]), min_size=1))
    days = st.dates(min_value=date(2014, 1, 1), max_value=date(2018, 12, 31))
    bounds = draw(st.one_of(st.none(), st.tuples(days, days)))
    if bounds is None:
        return ConsentScope(types)
    lower, upper = sorted(bounds)
    return ConsentScope(
        types, draw(st.sampled_from([lower, None])), draw(st.sampled_from([upper, None]))
    )


def _expected(
    scope: ConsentScope,
    facts: dict[str, tuple[str, str, tuple[str, date, date] | None]],
    by_id: dict[str, dict[str, Any]],
) -> set[str]:
    """By hand: the patient, what the scope covers, and supporting resources it reaches."""
    lower, upper = scope.data_from, scope.data_to
    consented = set()
    for ident, (kind, owner, when) in facts.items():
        if kind not in scope.resource_types or owner in {"other", "dangling"}:
            continue
        if when is None:
            if lower is None and upper is None:
                consented.add(ident)
        elif (lower is None or when[1] >= lower) and (upper is None or when[2] <= upper):
            consented.add(ident)
    expected = {"p1", *consented}
    pending = list(consented)
    while pending:
        for ref in json.dumps(by_id[pending.pop()]).split('"urn:uuid:')[1:]:
            target = ref.split('"', 1)[0]
            if target.startswith("s") and target in by_id and target not in expected:
                expected.add(target)
                pending.append(target)
    return expected


@st.composite
def _generated_case(draw: st.DrawFn) -> tuple[dict[str, Any], ConsentScope, set[str]]:
    """A patient bundle, a scope, and the ids the scope must yield (computed by hand)."""
    supports = [
        {"resourceType": kind, "id": f"s{i}"}
        for i, kind in enumerate(draw(st.lists(st.sampled_from(_SUPPORT), max_size=4)))
    ]
    support_ids = [s["id"] for s in supports]
    # Supporting resources may reference each other (a Location's managing Organization).
    for support in supports:
        pick = draw(st.sampled_from([None, *support_ids]))
        if pick is not None:
            support["managingOrganization"] = {"reference": f"urn:uuid:{pick}"}
    drawn = [_clinical(draw, i, support_ids) for i in range(draw(st.integers(0, 8)))]
    clinical = [resource for resource, _ in drawn]
    facts = {resource["id"]: fact for resource, fact in drawn}
    scope = _scope(draw)
    by_id = {r["id"]: r for r in (*supports, *clinical)}
    return collection(PATIENT, *supports, *clinical), scope, _expected(scope, facts, by_id)


@settings(max_examples=300, deadline=None)
@given(case=_generated_case())
def test_extraction_is_exactly_the_consented_scope_on_generated_bundles(
    case: tuple[dict[str, Any], ConsentScope, set[str]],
) -> None:
    bundle, scope, expected = case
    before = json.dumps(bundle, sort_keys=True)
    extraction = extract_consented(bundle, scope)
    assert ids(extraction.bundle) == expected
    assert {item.id for item in extraction.included} == expected
    assert json.dumps(bundle, sort_keys=True) == before  # the input is never changed
