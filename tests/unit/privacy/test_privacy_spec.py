import pytest

from corridor.privacy import InvalidJobSpec, parse_job_spec
from corridor.privacy.measurement import codec_for, distribute_value
from corridor.privacy.spec import Price

SPEC = {
    "job": "job-spec-test-1",
    "consumer": "research-consortium",
    "agreement": {"id": "AGR-1"},
    "participants": ["did:web:b.test", "did:web:a.test", "did:web:c.test"],
    "computation": {
        "kind": "mean",
        "observation": {"system": "http://loinc.org", "code": "39156-5"},
        "bounds": [10, 60],
    },
    "aggregation": {"mode": "masking"},
    "privacy": {"dataset": "bmi", "mechanism": "laplace", "epsilon": 1.0, "min_cell": 10},
    "utility": {"kind": "statistic-error"},
    "price": {"amount": 900, "currency": "CNY", "floor_share": 0.1},
}


def test_a_valid_spec_sorts_participants_and_defaults_to_an_honest_majority():
    spec = parse_job_spec(SPEC)
    assert spec.participants == ("did:web:a.test", "did:web:b.test", "did:web:c.test")
    assert spec.threshold == 2
    assert spec.digest.startswith("sha256:")
    assert codec_for(spec).fraction_bits <= 24


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"job": "x"}, "8-64"),
        ({"participants": ["did:web:a.test"]}, "participants"),
        ({"aggregation": {"mode": "plaintext"}}, "aggregation.mode"),
        (
            {"privacy": {"dataset": "d", "mechanism": "laplace", "epsilon": 1, "delta": 0.1}},
            "delta",
        ),
        ({"utility": {"kind": "validation-loss"}}, "statistic-error"),
        ({"price": {"amount": 1, "floor_share": 0.5}}, "floor_share"),
        ({"computation": {"kind": "median"}}, "unknown computation"),
    ],
)
def test_invalid_specs_are_refused_with_the_reason(change, message):
    with pytest.raises(InvalidJobSpec, match=message):
        parse_job_spec({**SPEC, **change})


def test_value_shares_respect_the_floor_and_add_up_to_one():
    shares = distribute_value({"a": 0.7, "b": 0.3, "c": -0.1}, Price(1000, "CNY", 0.1))
    assert shares["c"] == 0.1
    assert shares["a"] == pytest.approx(0.1 + 0.7 * 0.7)
    assert sum(shares.values()) == pytest.approx(1.0, abs=1e-12)
