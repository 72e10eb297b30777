"""Privacy jobs between the real apps: the data center coordinates, hospitals compute locally."""

from __future__ import annotations

import json

import numpy as np
import pytest
from corridor_harness import URLS  # type: ignore[import-not-found]

from corridor.errors import PolicyDenied
from corridor.privacy import HttpPrivacyClient
from corridor.privacy.datasets import (
    MALIGNANT_BREAST,
    SNOMED,
    breast_cancer,
    logistic_computation,
    row_bundle,
    split_rows,
    validation_split,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]
HOSPITALS = ("hospital-a", "hospital-b")


def _import_rows(corridor, rows_each: int) -> int:
    train, _ = validation_split(breast_cancer())
    parts = split_rows(train, 2, how="even", rng=np.random.default_rng(4))
    malignant = 0
    for name, part in zip(HOSPITALS, parts, strict=True):
        for position in range(rows_each):
            answer = corridor.http.post(
                f"{URLS[name]}/api/records/bundles",
                content=json.dumps(row_bundle(part, position)),
                headers={"content-type": "application/fhir+json"},
            )
            assert answer.status_code == 201, answer.text
            malignant += int(part.labels[position])
    return malignant


def _spec(corridor, job: str, **changes):
    spec = {
        "job": job,
        "consumer": "research-consortium",
        "agreement": {"id": "AGR-2026-0007"},
        "participants": [corridor.did(name) for name in HOSPITALS],
        "computation": {"kind": "count", "condition": {"system": SNOMED, "code": MALIGNANT_BREAST}},
        "aggregation": {"mode": "masking"},
        "privacy": {"dataset": "wdbc", "mechanism": "laplace", "epsilon": 1.0, "min_cell": 5},
        "utility": {"kind": "statistic-error"},
        "price": {"amount": 1000, "currency": "CNY", "floor_share": 0.05},
    }
    spec.update(changes)
    return spec


def test_a_count_job_runs_with_signed_acceptances_and_every_phase_on_the_chain(sqlite_corridor):
    corridor = sqlite_corridor
    malignant = _import_rows(corridor, 15)
    client = HttpPrivacyClient(corridor.http, URLS["datacenter"])
    created = client.create(_spec(corridor, "job-mp-count-1"))
    assert created["state"] == "accepted"
    assert set(created["acceptances"]) == {corridor.did(n) for n in HOSPITALS}
    done = client.run("job-mp-count-1")
    release = done["result"]["release"]
    assert release["labels"] == ["count"]
    assert abs(release["values"][0] - malignant) < 40  # discrete Laplace, scale 1
    statement = done["result"]["measurement"]["statement"]
    assert statement["shapley_exact"] is True
    assert [p["valid_rows"] for p in statement["parties"]] == [15, 15]
    assert sum(p["share"] for p in statement["parties"]) == pytest.approx(1.0)
    assert sum(p["shapley"] for p in statement["parties"]) == pytest.approx(1.0)
    entries = [e.statement for _, e in corridor.ledger.entries_for_transfer("job-mp-count-1")]
    assert [e.type for e in entries] == [
        "job.created",
        "job.accepted",
        "job.accepted",
        "attestation.appraised",
        "job.round",
        "job.released",
        "job.measured",
    ]
    accepted_by = {e.actor for e in entries if e.type == "job.accepted"}
    assert accepted_by == {corridor.did(n) for n in HOSPITALS}
    measured = entries[-1]
    assert measured.digests["statement"] == done["result"]["measurement"]["statement_digest"]
    # Budget: 1 of the default 10 is spent; a job asking for more than remains is refused.
    budget = client.budget("wdbc", "research-consortium")
    assert budget["epsilon_spent"] == pytest.approx(1.0)
    greedy = _spec(
        corridor,
        "job-mp-count-2",
        privacy={"dataset": "wdbc", "mechanism": "laplace", "epsilon": 9.5, "min_cell": 5},
    )
    with pytest.raises(PolicyDenied, match="budget"):
        client.create(greedy)
    # Small cells: a threshold above the true count withholds the figure.
    suppressed = client.run(
        client.create(
            _spec(
                corridor,
                "job-mp-count-3",
                privacy={
                    "dataset": "wdbc",
                    "mechanism": "laplace",
                    "epsilon": 1.0,
                    "min_cell": 100,
                },
            )
        )["job"]
    )
    assert suppressed["result"]["release"]["values"] == [None]
    assert suppressed["result"]["release"]["suppressed"] == ["count"]


@pytest.mark.parametrize("mode", ["enclave", "paillier"])
def test_a_regression_job_trains_through_each_aggregation_mode(sqlite_corridor, mode):
    corridor = sqlite_corridor
    _import_rows(corridor, 12)
    train, _ = validation_split(breast_cancer())
    spec = _spec(
        corridor,
        f"job-mp-lr-{mode}",
        computation=logistic_computation(train, features=["mean radius", "worst area"], rounds=2),
        aggregation={"mode": mode},
        privacy={"dataset": "wdbc", "mechanism": "gaussian", "epsilon": 4.0, "delta": 1e-6},
        utility={"kind": "validation-loss", "validation": "wdbc-holdout"},
    )
    client = HttpPrivacyClient(corridor.http, URLS["datacenter"])
    client.create(spec)
    done = client.run(spec["job"])
    release = done["result"]["release"]
    assert len(release["weights"]) == 3
    assert 0.0 <= release["validation_accuracy"] <= 1.0
    parties = done["result"]["measurement"]["statement"]["parties"]
    assert [p["update_size"] for p in parties] == [3, 3]
    assert all(p["update_norm"] is not None and p["cpu_seconds"] >= 0 for p in parties)
    rounds = [
        e.statement.details
        for _, e in corridor.ledger.entries_for_transfer(spec["job"])
        if e.statement.type == "job.round"
    ]
    assert [(r["round"], r["mode"]) for r in rounds] == [(0, mode), (1, mode)]
