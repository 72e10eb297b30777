"""A real public medical data set, split across hospitals and written as FHIR.

The Wisconsin Diagnostic Breast Cancer data (Street, Wolberg and Mangasarian 1993; UCI
ML repository; BSD-licensed copy shipped inside scikit-learn, so nothing is downloaded):
569 fine-needle aspirates, 30 nucleus features each, diagnosis malignant or benign.

Each row becomes a FHIR R4 Patient, one Observation whose 30 components carry the
features (a local code system, since LOINC has no codes for these image features) and,
for malignant rows, a Condition coded SNOMED CT 254837009 "Malignant neoplasm of
breast". Every fifth row (index divisible by 5) is held out as the validation set the
data center keeps for measurement; the rest can be split across 3 to 6 hospitals evenly
(stratified) or skewed (shares 1/2, 1/4, ... and label-skewed).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

WDBC_SYSTEM = "https://corridor.example/fhir/CodeSystem/wdbc"
WDBC_PANEL = "fna-features"
SNOMED = "http://snomed.info/sct"
MALIGNANT_BREAST = "254837009"
VALIDATION_EVERY = 5


@dataclass(frozen=True)
class Table:
    """Rows of features and binary labels (1 = malignant)."""

    features: npt.NDArray[np.float64]
    labels: npt.NDArray[np.float64]
    names: tuple[str, ...]
    indices: npt.NDArray[np.int64]


def feature_code(name: str) -> str:
    """The local code of a WDBC feature (``mean radius`` -> ``mean-radius``)."""
    return name.replace(" ", "-")


@cache
def breast_cancer() -> Table:
    """All 569 rows from scikit-learn's bundled copy (target 0 is malignant there)."""
    from sklearn.datasets import load_breast_cancer  # noqa: PLC0415  # heavy; load on use

    data = load_breast_cancer()
    return Table(
        features=np.asarray(data.data, dtype=np.float64),
        labels=(np.asarray(data.target) == 0).astype(np.float64),
        names=tuple(str(n) for n in data.feature_names),
        indices=np.arange(len(data.target), dtype=np.int64),
    )


def declared_bounds(table: Table) -> list[tuple[float, float]]:
    """Per-feature [min, max] as the data set's description publishes them (rounded out)."""
    lows = np.floor(table.features.min(axis=0) * 1000) / 1000
    highs = np.ceil(table.features.max(axis=0) * 1000) / 1000
    return [(float(lo), float(hi)) for lo, hi in zip(lows, highs, strict=True)]


def subset(table: Table, rows: npt.NDArray[np.int64]) -> Table:
    """The given rows of a table."""
    return Table(table.features[rows], table.labels[rows], table.names, table.indices[rows])


def validation_split(table: Table) -> tuple[Table, Table]:
    """(rows for hospitals, held-out validation rows): every fifth row is held out."""
    held = table.indices % VALIDATION_EVERY == 0
    return subset(table, np.flatnonzero(~held)), subset(table, np.flatnonzero(held))


def split_rows(
    table: Table, parts: int, *, how: Literal["even", "skewed"], rng: np.random.Generator
) -> list[Table]:
    """Split rows across ``parts`` hospitals: stratified even shares, or skewed.

    Skewed: hospital k gets a share proportional to 2^-k of the rows, and the first
    hospital gets its rows mostly from one class (label skew), so both size and
    distribution differ.
    """
    if not 2 <= parts <= 16:  # noqa: PLR2004
        raise ValueError("split across 2..16 hospitals")
    order = rng.permutation(len(table.labels))
    if how == "even":
        by_label = sorted(order, key=lambda i: (table.labels[i], rng.random()))
        buckets: list[list[int]] = [[] for _ in range(parts)]
        for position, row in enumerate(by_label):
            buckets[position % parts].append(int(row))
        return [subset(table, np.array(sorted(b), dtype=np.int64)) for b in buckets]
    weights = np.array([2.0**-k for k in range(parts)])
    sizes = np.floor(weights / weights.sum() * len(order)).astype(int)
    sizes[-1] = len(order) - sizes[:-1].sum()
    malignant = [int(i) for i in order if table.labels[i] == 1]
    take = min(sizes[0] * 3 // 4, int(0.6 * len(malignant)))
    chosen = set(malignant[:take])
    fill = [int(i) for i in order if int(i) not in chosen][: sizes[0] - take]
    first = sorted(chosen | set(fill))
    taken = set(first)
    remaining = [int(i) for i in order if int(i) not in taken]
    out = [subset(table, np.array(sorted(first), dtype=np.int64))]
    start = 0
    for size in sizes[1:]:
        out.append(subset(table, np.array(sorted(remaining[start : start + size]), dtype=np.int64)))
        start += size
    return out


def row_bundle(table: Table, position: int) -> dict[str, Any]:
    """One row as a FHIR R4 transaction Bundle (Patient, Observation, maybe Condition)."""
    index = int(table.indices[position])
    patient_id = f"wdbc-{index:04d}"
    patient_ref = f"urn:uuid:{patient_id}"
    entries: list[dict[str, Any]] = [
        {
            "fullUrl": patient_ref,
            "resource": {"resourceType": "Patient", "id": patient_id, "gender": "female"},
            "request": {"method": "POST", "url": "Patient"},
        },
        {
            "fullUrl": f"urn:uuid:{patient_id}-fna",
            "resource": {
                "resourceType": "Observation",
                "id": f"{patient_id}-fna",
                "status": "final",
                "code": {"coding": [{"system": WDBC_SYSTEM, "code": WDBC_PANEL}]},
                "subject": {"reference": patient_ref},
                "effectiveDateTime": "1995-11-01",
                "component": [
                    {
                        "code": {"coding": [{"system": WDBC_SYSTEM, "code": feature_code(name)}]},
                        "valueQuantity": {"value": round(float(value), 6)},
                    }
                    for name, value in zip(table.names, table.features[position], strict=True)
                ],
            },
            "request": {"method": "POST", "url": "Observation"},
        },
    ]
    if table.labels[position] == 1:
        entries.append(
            {
                "fullUrl": f"urn:uuid:{patient_id}-dx",
                "resource": {
                    "resourceType": "Condition",
                    "id": f"{patient_id}-dx",
                    "code": {
                        "coding": [
                            {
                                "system": SNOMED,
                                "code": MALIGNANT_BREAST,
                                "display": "Malignant neoplasm of breast",
                            }
                        ]
                    },
                    "subject": {"reference": patient_ref},
                },
                "request": {"method": "POST", "url": "Condition"},
            }
        )
    return {"resourceType": "Bundle", "type": "transaction", "entry": entries}


def logistic_computation(
    table: Table, *, features: Sequence[str] | None = None, rounds: int = 40
) -> dict[str, Any]:
    """A ``logistic-regression`` computation over the WDBC features (declared bounds)."""
    bounds = dict(zip(table.names, declared_bounds(table), strict=True))
    chosen = list(features) if features is not None else list(table.names)
    return {
        "kind": "logistic-regression",
        "features": [
            {
                "name": name,
                "observation": {"system": WDBC_SYSTEM, "code": WDBC_PANEL},
                "component": {"system": WDBC_SYSTEM, "code": feature_code(name)},
                "bounds": list(bounds[name]),
            }
            for name in chosen
        ],
        "label": {"condition": {"system": SNOMED, "code": MALIGNANT_BREAST}},
        "rounds": rounds,
        "learning_rate": 4.0,
        "momentum": 0.9,
        "clip": 1.0,
        "l2": 1.0,
    }


def validation_set(table: Table) -> dict[str, Any]:
    """A validation set in the form the measuring enclave takes (raw feature values)."""
    return {
        "names": list(table.names),
        "features": table.features.tolist(),
        "labels": table.labels.tolist(),
    }
