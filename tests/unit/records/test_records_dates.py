from __future__ import annotations

from datetime import date

import pytest

from corridor.records import clinical_period
from corridor.records.dates import fhir_date_period


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2019-02-11T23:30:00-05:00", (date(2019, 2, 11), date(2019, 2, 11))),
        ("2019-02-11", (date(2019, 2, 11), date(2019, 2, 11))),
        ("2020-02", (date(2020, 2, 1), date(2020, 2, 29))),
        ("2019", (date(2019, 1, 1), date(2019, 12, 31))),
        ("2019-13-01", None),
        ("soon", None),
    ],
)
def test_reads_full_and_partial_fhir_dates_as_periods(
    text: str, expected: tuple[date, date] | None
) -> None:
    assert fhir_date_period(text) == expected


def test_uses_the_first_element_present_in_type_order() -> None:
    condition = {
        "resourceType": "Condition",
        "recordedDate": "2020-01-01",
        "onsetDateTime": "2018-05-05T10:00:00Z",
    }
    assert clinical_period(condition) == (date(2018, 5, 5), date(2018, 5, 5))
    procedure = {"resourceType": "Procedure", "performedPeriod": {"start": "2017-03-04"}}
    assert clinical_period(procedure) == (date(2017, 3, 4), date(2017, 3, 4))


def test_types_without_a_clinical_date_have_none() -> None:
    assert clinical_period({"resourceType": "Practitioner", "id": "x"}) is None
    assert clinical_period({"resourceType": "Observation", "status": "final"}) is None
