"""The demo's privacy part: hospitals A and B compute jointly over real data, measured.

Each hospital's FHIR store receives rows of the public WDBC breast-cancer data (as
Patients, Observations and Conditions); the data center then runs three jobs against the
running nodes, one per aggregation mode: a count of malignant diagnoses (masking), a mean
of the nucleus radius (Paillier) and a federated logistic regression (enclave). Each job
is accepted by both hospitals, released with differential privacy and measured with
Shapley values; every phase is on the chain.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

import httpx
import numpy as np

from corridor.apps.demo import StepReport
from corridor.errors import Unavailable
from corridor.identity import did_web_for_url
from corridor.privacy import HttpPrivacyClient
from corridor.privacy.datasets import (
    MALIGNANT_BREAST,
    SNOMED,
    WDBC_PANEL,
    WDBC_SYSTEM,
    breast_cancer,
    declared_bounds,
    feature_code,
    logistic_computation,
    row_bundle,
    split_rows,
    validation_split,
)
from corridor.privacy.hosting import WDBC_VALIDATION
from corridor.transport import raise_for_problem

PRIVACY_STEP = 7
HOSPITALS = ("hospital-a", "hospital-b")
ROWS_PER_HOSPITAL = 80


def _import(client: httpx.Client, url: str, bundle: Mapping[str, Any]) -> None:
    try:
        response = client.post(
            f"{url}/api/records/bundles",
            content=json.dumps(bundle),
            headers={"content-type": "application/fhir+json"},
        )
    except httpx.HTTPError as exc:
        raise Unavailable(f"{url} unreachable: {exc}") from exc
    raise_for_problem(response)


def _specs(urls: Mapping[str, str], stamp: str) -> list[dict[str, Any]]:
    train, _ = validation_split(breast_cancer())
    radius = dict(zip(train.names, declared_bounds(train), strict=True))["mean radius"]
    common = {
        "consumer": "gba-cancer-research",
        "agreement": {"id": "AGR-DEMO-2026-001"},
        "participants": [did_web_for_url(urls[name]) for name in HOSPITALS],
        "price": {"amount": 10000, "currency": "CNY", "floor_share": 0.1},
    }
    laplace = {"dataset": "wdbc", "mechanism": "laplace", "epsilon": 1.0, "min_cell": 10}
    return [
        {
            **common,
            "job": f"job-{stamp}-count",
            "computation": {
                "kind": "count",
                "condition": {"system": SNOMED, "code": MALIGNANT_BREAST},
            },
            "aggregation": {"mode": "masking"},
            "privacy": laplace,
            "utility": {"kind": "statistic-error"},
        },
        {
            **common,
            "job": f"job-{stamp}-mean",
            "computation": {
                "kind": "mean",
                "observation": {"system": WDBC_SYSTEM, "code": WDBC_PANEL},
                "component": {"system": WDBC_SYSTEM, "code": feature_code("mean radius")},
                "bounds": list(radius),
            },
            "aggregation": {"mode": "paillier"},
            "privacy": laplace,
            "utility": {"kind": "statistic-error"},
        },
        {
            **common,
            "job": f"job-{stamp}-model",
            "computation": logistic_computation(train, rounds=20),
            "aggregation": {"mode": "enclave"},
            "privacy": {"dataset": "wdbc", "mechanism": "gaussian", "epsilon": 6.0, "delta": 1e-5},
            "utility": {"kind": "validation-loss", "validation": WDBC_VALIDATION},
        },
    ]


def _summary(result: Mapping[str, Any], names: Mapping[str, str]) -> str:
    release = result["release"]
    if release["kind"] == "logistic-regression":
        figure = f"model accuracy {release.get('validation_accuracy', 0):.3f} on the hold-out"
    else:
        figure = ", ".join(
            f"{label}={'suppressed' if value is None else round(value, 2)}"
            for label, value in zip(release["labels"], release["values"], strict=True)
        )
    parties = result["measurement"]["statement"]["parties"]
    shares = ", ".join(
        f"{names.get(p['participant'], p['participant'])} {p['share']:.0%}" for p in parties
    )
    return f"{figure}; shares {shares}"


def run_privacy(
    *,
    client: httpx.Client,
    urls: Mapping[str, str],
    stamp: str,
    report: Callable[[StepReport], None],
) -> list[dict[str, Any]]:
    """Load WDBC rows into both hospitals and run one job per aggregation mode."""
    train, _ = validation_split(breast_cancer())
    parts = split_rows(train, len(HOSPITALS), how="skewed", rng=np.random.default_rng(8))
    for name, part in zip(HOSPITALS, parts, strict=True):
        for position in range(min(ROWS_PER_HOSPITAL, len(part.labels))):
            _import(client, urls[name], row_bundle(part, position))
    report(
        StepReport(
            PRIVACY_STEP,
            "hospital-a, hospital-b",
            f"loaded {ROWS_PER_HOSPITAL} WDBC patients (FHIR) into each hospital's store",
        )
    )
    api = HttpPrivacyClient(client, urls["datacenter"])
    names: dict[str, str] = {did_web_for_url(urls[name]): name for name in HOSPITALS}
    results: list[dict[str, Any]] = []
    for spec in _specs(urls, stamp):
        api.create(spec)
        done = api.run(spec["job"])
        results.append(done)
        report(
            StepReport(
                PRIVACY_STEP,
                "datacenter",
                f"{spec['computation']['kind']} by {spec['aggregation']['mode']}: "
                + _summary(done["result"], names),
                verified="acceptances signed; DP release; Shapley measured in the enclave",
            )
        )
    return results
