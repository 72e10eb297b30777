from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from corridor.consent import ConsentScope, ConsentTerms, InvalidConsent


def test_scope_round_trips_through_json() -> None:
    scope = ConsentScope(frozenset({"Observation", "Condition"}), date(2019, 1, 1), None)
    assert scope.to_json() == {
        "resource_types": ["Condition", "Observation"],
        "data_from": "2019-01-01",
        "data_to": None,
    }
    assert ConsentScope.from_json(scope.to_json()) == scope


def test_scope_accepts_missing_date_keys() -> None:
    scope = ConsentScope.from_json({"resource_types": ["Immunization"]})
    assert scope.data_from is None
    assert not scope.has_date_range


@pytest.mark.parametrize(
    "value",
    [
        {"resource_types": ["Observaton"]},
        {"resource_types": []},
        {"resource_types": "Observation"},
        {"resource_types": ["Observation"], "data_from": "2020-02-30"},
        {"resource_types": ["Observation"], "data_from": "2021-01-01", "data_to": "2020-01-01"},
        {"resource_types": ["Observation"], "extra": 1},
        {"resource_types": ["Observation"], "record_ids": ["Condition/c-1"]},
        {"resource_types": ["Observation"], "record_ids": ["o-1"]},
        {"resource_types": ["Observation"], "record_ids": "Observation/o-1"},
        ["Observation"],
    ],
)
def test_scope_from_json_refuses_invalid_input(value: object) -> None:
    with pytest.raises(InvalidConsent):
        ConsentScope.from_json(value)


def test_scope_covers_narrower_scopes_only() -> None:
    wide = ConsentScope(frozenset({"Observation", "Condition"}), date(2010, 1, 1), date(2020, 1, 1))
    assert wide.covers(ConsentScope(frozenset({"Observation"}), date(2012, 1, 1), date(2019, 1, 1)))
    assert not wide.covers(
        ConsentScope(frozenset({"Procedure"}), date(2012, 1, 1), date(2019, 1, 1))
    )
    assert not wide.covers(ConsentScope(frozenset({"Observation"}), date(2009, 1, 1), None))
    assert not wide.covers(ConsentScope(frozenset({"Observation"})))


def test_scope_naming_records_admits_and_covers_only_those_records() -> None:
    named = ConsentScope(
        frozenset({"Observation"}), record_ids=frozenset({"Observation/o-1", "Observation/o-2"})
    )
    assert ConsentScope.from_json(named.to_json()) == named
    assert named.to_json()["record_ids"] == ["Observation/o-1", "Observation/o-2"]
    assert named.admits_record("Observation", "o-1")
    assert not named.admits_record("Observation", "o-3")
    assert ConsentScope(frozenset({"Observation"})).admits_record("Observation", "o-3")
    assert named.covers(
        ConsentScope(frozenset({"Observation"}), record_ids=frozenset({"Observation/o-2"}))
    )
    assert not named.covers(ConsentScope(frozenset({"Observation"})))


def test_scope_admits_only_periods_wholly_inside() -> None:
    scope = ConsentScope(frozenset({"Observation"}), date(2020, 1, 1), date(2020, 12, 31))
    assert scope.admits_period(date(2020, 1, 1), date(2020, 12, 31))
    assert not scope.admits_period(date(2019, 12, 31), date(2019, 12, 31))
    assert not scope.admits_period(date(2020, 12, 1), date(2021, 1, 1))


def test_terms_are_normalised_to_whole_utc_seconds(make_terms: Callable[..., ConsentTerms]) -> None:
    plus8 = timezone(timedelta(hours=8))
    terms = make_terms(issued_at=datetime(2025, 3, 1, 17, 30, 0, 999, tzinfo=plus8))
    assert terms.issued_at == datetime(2025, 3, 1, 9, 30, tzinfo=UTC)
    assert terms.issued_at.tzinfo == UTC


@pytest.mark.parametrize(
    "changes",
    [
        {"patient_did": "did:web:patient.test"},
        {"recipient_did": "https://hospital-b.test"},
        {"recipient_did": "did:web:hospital-a.test"},
        {"purpose": "MARKETING"},
        {"expires_at": datetime(2025, 3, 1, 9, 30, tzinfo=UTC)},
        {"retention_days": 0},
        {"retention_days": True},
        {"consent_id": "has space"},
        {"issued_at": datetime(2025, 3, 1)},  # noqa: DTZ001  # the naive time is the point
    ],
)
def test_terms_refuse_inconsistent_values(
    make_terms: Callable[..., ConsentTerms], changes: dict[str, object]
) -> None:
    with pytest.raises(InvalidConsent):
        make_terms(**changes)
