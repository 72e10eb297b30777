import json
from datetime import date

import numpy as np

from corridor.privacy.computations import (
    ConditionCount,
    ObservationStatistic,
    PrivacyTerms,
    parse_statistic,
)
from corridor.privacy.facts import Coding, PatientFacts, patient_facts
from corridor.privacy.utilities import statistic_utilities

DIABETES = Coding("http://snomed.info/sct", "44054006")
BMI = Coding("http://loinc.org", "39156-5")


def _patient(born: str | None, *, diabetic: bool, bmi: float | None = None) -> PatientFacts:
    values = {(BMI, None): bmi} if bmi is not None else {}
    return PatientFacts(
        birth_date=date.fromisoformat(born) if born else None,
        conditions=frozenset({DIABETES} if diabetic else set()),
        values=values,
    )


def test_patient_facts_read_a_real_synthea_record(asset):
    bundle = json.loads(
        asset("fhir/Carolee951_Sanford861_d88f994a-5efa-421d-9c40-5f116d2114a6.json").read_text()
    )
    facts = patient_facts(entry["resource"] for entry in bundle["entry"])
    assert facts.birth_date is not None
    assert facts.conditions
    assert (Coding("http://loinc.org", "8302-2"), None) in facts.values  # body height


def test_counts_by_age_band_only_use_patients_with_a_birth_date():
    count = parse_statistic(
        {
            "kind": "count",
            "condition": {"system": DIABETES.system, "code": DIABETES.code},
            "age_bands": [0, 40, 65, 120],
            "as_of": "2026-01-01",
        }
    )
    assert isinstance(count, ConditionCount)
    patients = [
        _patient("1990-06-01", diabetic=True),
        _patient("1950-01-01", diabetic=True),
        _patient("1955-01-01", diabetic=False),
        _patient(None, diabetic=True),
    ]
    cells, rows = count.local_vector(patients)
    assert rows == 3
    assert cells.tolist() == [1.0, 0.0, 1.0]
    assert count.labels() == ["0-39", "40-64", "65-119"]


def test_small_cells_are_suppressed_in_the_release():
    count = ConditionCount(DIABETES, (0, 40, 120), date(2026, 1, 1))
    terms = PrivacyTerms("clinic", "laplace", 5.0, 0.0, min_cell=50)
    release = count.release(np.array([3.0, 400.0]), terms)
    assert release.values[0] is None
    assert release.suppressed == ["0-39"]
    assert release.values[1] is not None


def test_means_clamp_to_the_declared_bounds():
    mean = ObservationStatistic(BMI, None, (10.0, 60.0), "mean")
    vector, rows = mean.local_vector([_patient(None, diabetic=False, bmi=b) for b in (20, 30, 500)])
    assert rows == 3
    assert vector.tolist() == [110.0, 3.0]
    assert mean.exact(vector).tolist() == [110.0 / 3]


def test_statistic_error_utility_gives_counts_their_share():
    count = ConditionCount(DIABETES)
    utilities = statistic_utilities(
        count, {"a": np.array([30.0]), "b": np.array([10.0]), "c": np.array([0.0])}
    )
    assert utilities[frozenset()] == 0.0
    assert utilities[frozenset({"a", "b", "c"})] == 1.0
    assert utilities[frozenset({"a"})] == 0.75
    assert utilities[frozenset({"c"})] == 0.0
