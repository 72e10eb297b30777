"""The joint statistics a job can compute over the hospitals' FHIR data, and their release.

Pure. Each computation turns one hospital's :class:`~corridor.privacy.facts.PatientFacts`
into a real vector whose *sum* over hospitals determines the answer, says how large its
entries can get (for the fixed-point range), finalises the exact answer (used inside the
enclave for measurement) and releases a differentially private one.

| kind | local vector | released figures | sensitivity (one patient) |
| --- | --- | --- | --- |
| ``count`` | patients with the condition per age band | noisy counts, small cells withheld | 1 |
| ``sum`` | [sum of clamped values, patients with a value] | noisy sum, count | max abs bound; 1 |
| ``mean`` | same as ``sum`` | noisy sum / noisy count | as ``sum`` (budget split evenly) |
| ``histogram`` | patients per bin of the clamped value | noisy counts, small cells withheld | 1 |

Values are clamped to the declared bounds before anything is summed, so the bounds are
what the sensitivity is computed from, never the data (Dwork and Roth 2014, §3.3).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from corridor.privacy.dp import (
    gaussian_release,
    laplace_release,
    rho_for,
    suppress_small_cells,
)
from corridor.privacy.errors import InvalidJobSpec
from corridor.privacy.facts import Coding, PatientFacts

FloatVector = npt.NDArray[np.float64]
Mechanism = Literal["laplace", "gaussian"]
MAX_ROWS_PER_PARTY = 1_000_000
"""Declared ceiling on one hospital's rows: it bounds every vector entry for the ring."""


@dataclass(frozen=True)
class PrivacyTerms:
    """How a job's figures are protected: mechanism, budget and small-cell threshold."""

    dataset: str
    mechanism: Mechanism
    epsilon: float
    delta: float
    min_cell: int

    @classmethod
    def from_json(cls, value: Any) -> PrivacyTerms:
        """Parse the spec's ``privacy`` object."""
        if not isinstance(value, Mapping):
            raise InvalidJobSpec("privacy must be an object")
        mechanism = value.get("mechanism", "laplace")
        if mechanism not in ("laplace", "gaussian"):
            raise InvalidJobSpec("privacy.mechanism is 'laplace' or 'gaussian'")
        try:
            terms = cls(
                dataset=str(value["dataset"]),
                mechanism=mechanism,
                epsilon=float(value["epsilon"]),
                delta=float(value.get("delta", 0.0)),
                min_cell=int(value.get("min_cell", 10)),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidJobSpec(f"privacy is incomplete: {exc}") from exc
        if not 0 < terms.epsilon <= 10:  # noqa: PLR2004
            raise InvalidJobSpec("privacy.epsilon must be in (0, 10]")
        if mechanism == "gaussian" and not 0 < terms.delta < 1e-3:  # noqa: PLR2004
            raise InvalidJobSpec("the Gaussian mechanism needs 0 < delta < 1e-3")
        if mechanism == "laplace" and terms.delta != 0:
            raise InvalidJobSpec("the Laplace mechanism is pure DP: delta must be 0")
        if not terms.dataset or terms.min_cell < 0:
            raise InvalidJobSpec("privacy.dataset is required and min_cell >= 0")
        return terms


@dataclass(frozen=True)
class Release:
    """Released figures: labels, values (``None`` where suppressed) and what was spent."""

    labels: list[str]
    values: list[float | None]
    suppressed: list[str]
    mechanism: str
    epsilon: float
    delta: float

    def to_json(self) -> dict[str, Any]:
        """The JSON form returned to the consumer."""
        return {
            "labels": self.labels,
            "values": self.values,
            "suppressed": self.suppressed,
            "mechanism": self.mechanism,
            "epsilon": self.epsilon,
            "delta": self.delta,
        }


def _noisy(
    values: FloatVector, *, sensitivity: float, terms: PrivacyTerms, share: float, integer: bool
) -> FloatVector:
    if terms.mechanism == "laplace":
        return laplace_release(
            values, l1_sensitivity=sensitivity, epsilon=terms.epsilon * share, integer=integer
        )
    rho = rho_for(terms.epsilon, terms.delta) * share
    return gaussian_release(values, l2_sensitivity=sensitivity, rho=rho)


@dataclass(frozen=True)
class ConditionCount:
    """Patients with a condition, optionally by age band on a reference date."""

    condition: Coding
    age_bands: tuple[int, ...] = ()
    as_of: date | None = None
    kind: str = "count"

    @property
    def length(self) -> int:
        """One cell per band (or one cell)."""
        return max(len(self.age_bands) - 1, 1)

    def labels(self) -> list[str]:
        """``lo-hi`` per band, upper bound exclusive."""
        if not self.age_bands:
            return ["count"]
        return [
            f"{lo}-{hi - 1}" for lo, hi in zip(self.age_bands, self.age_bands[1:], strict=False)
        ]

    def max_abs(self) -> float:
        """Largest entry: every row in one cell."""
        return float(MAX_ROWS_PER_PARTY)

    def local_vector(self, patients: Sequence[PatientFacts]) -> tuple[FloatVector, int]:
        """Counts per band, and how many patients were usable."""
        cells = np.zeros(self.length)
        rows = 0
        for patient in patients:
            if not self.age_bands:
                rows += 1
                cells[0] += self.condition in patient.conditions
                continue
            assert self.as_of is not None
            age = patient.age_on(self.as_of)
            if age is None:
                continue
            rows += 1
            for index, (lo, hi) in enumerate(zip(self.age_bands, self.age_bands[1:], strict=False)):
                if lo <= age < hi and self.condition in patient.conditions:
                    cells[index] += 1
        return cells, rows

    def exact(self, total: FloatVector) -> FloatVector:
        """The exact counts."""
        return np.asarray(total, dtype=np.float64)

    def release(self, total: FloatVector, terms: PrivacyTerms) -> Release:
        """Noisy counts (one patient is in one cell: sensitivity 1), small cells withheld."""
        return _release_counts(total, terms, self.labels())


@dataclass(frozen=True)
class ObservationStatistic:
    """Sum or mean of an observation's (or a component's) value, clamped to bounds."""

    observation: Coding
    component: Coding | None
    bounds: tuple[float, float]
    kind: Literal["sum", "mean"]

    length = 2

    def value_of(self, patient: PatientFacts) -> float | None:
        """The patient's clamped value, if he has one."""
        value = patient.values.get((self.observation, self.component))
        if value is None or not math.isfinite(value):
            return None
        return min(max(value, self.bounds[0]), self.bounds[1])

    @property
    def sensitivity(self) -> float:
        """What one patient can add to the sum."""
        return max(abs(self.bounds[0]), abs(self.bounds[1]))

    def max_abs(self) -> float:
        """Largest entry of a hospital's vector."""
        return max(self.sensitivity, 1.0) * MAX_ROWS_PER_PARTY

    def local_vector(self, patients: Sequence[PatientFacts]) -> tuple[FloatVector, int]:
        """[sum, count] over patients with a value."""
        values = [v for v in (self.value_of(p) for p in patients) if v is not None]
        return np.array([math.fsum(values), float(len(values))]), len(values)

    def exact(self, total: FloatVector) -> FloatVector:
        """[sum, count] or [mean]."""
        if self.kind == "sum":
            return np.asarray(total, dtype=np.float64)
        count = float(total[1])
        return np.array([float(total[0]) / count if count > 0 else 0.0])

    def release(self, total: FloatVector, terms: PrivacyTerms) -> Release:
        """Noisy sum and count (half the budget each); the mean is their ratio."""
        noisy_sum = _noisy(
            total[:1], sensitivity=self.sensitivity, terms=terms, share=0.5, integer=False
        )[0]
        noisy_count = _noisy(
            np.rint(total[1:]), sensitivity=1.0, terms=terms, share=0.5, integer=True
        )[0]
        small = noisy_count < max(terms.min_cell, 1)
        if self.kind == "sum":
            labels = ["sum", "count"]
            values: list[float | None] = [None, None] if small else [noisy_sum, noisy_count]
        else:
            labels = ["mean"]
            mean = (
                min(max(noisy_sum / noisy_count, self.bounds[0]), self.bounds[1])
                if not small
                else 0.0
            )
            values = [None] if small else [mean]
        return Release(
            labels=labels,
            values=values,
            suppressed=labels if small else [],
            mechanism=terms.mechanism,
            epsilon=terms.epsilon,
            delta=terms.delta,
        )


@dataclass(frozen=True)
class ObservationHistogram:
    """Patients per bin of an observation's value (values outside go to the end bins)."""

    observation: Coding
    component: Coding | None
    edges: tuple[float, ...]
    kind: str = "histogram"

    @property
    def length(self) -> int:
        """One cell per bin."""
        return len(self.edges) - 1

    def labels(self) -> list[str]:
        """``[lo, hi)`` per bin."""
        return [f"[{lo:g}, {hi:g})" for lo, hi in zip(self.edges, self.edges[1:], strict=False)]

    def max_abs(self) -> float:
        """Largest entry: every row in one bin."""
        return float(MAX_ROWS_PER_PARTY)

    def local_vector(self, patients: Sequence[PatientFacts]) -> tuple[FloatVector, int]:
        """Counts per bin."""
        cells = np.zeros(self.length)
        rows = 0
        for patient in patients:
            value = patient.values.get((self.observation, self.component))
            if value is None or not math.isfinite(value):
                continue
            rows += 1
            index = int(np.searchsorted(self.edges, value, side="right")) - 1
            cells[min(max(index, 0), self.length - 1)] += 1
        return cells, rows

    def exact(self, total: FloatVector) -> FloatVector:
        """The exact counts."""
        return np.asarray(total, dtype=np.float64)

    def release(self, total: FloatVector, terms: PrivacyTerms) -> Release:
        """Noisy counts (sensitivity 1), small cells withheld."""
        return _release_counts(total, terms, self.labels())


Statistic = ConditionCount | ObservationStatistic | ObservationHistogram


def _release_counts(total: FloatVector, terms: PrivacyTerms, labels: list[str]) -> Release:
    """Noisy counts where one patient is in one cell (sensitivity 1), small cells withheld."""
    noisy = _noisy(np.rint(total), sensitivity=1.0, terms=terms, share=1.0, integer=True)
    kept = suppress_small_cells(noisy, threshold=terms.min_cell)
    return Release(
        labels=labels,
        values=kept.values,
        suppressed=[labels[i] for i in kept.suppressed],
        mechanism=terms.mechanism,
        epsilon=terms.epsilon,
        delta=terms.delta,
    )


def _bounds(value: Any) -> tuple[float, float]:
    if not isinstance(value, Sequence) or len(value) != 2:  # noqa: PLR2004
        raise InvalidJobSpec("bounds are [lo, hi]")
    lo, hi = float(value[0]), float(value[1])
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
        raise InvalidJobSpec("bounds must be finite with lo < hi")
    return lo, hi


def _component(value: Mapping[str, Any]) -> Coding | None:
    return Coding.from_json(value["component"]) if value.get("component") else None


def parse_statistic(value: Mapping[str, Any]) -> Statistic:
    """Parse a statistics computation (``count``, ``sum``, ``mean``, ``histogram``)."""
    kind = value.get("kind")
    try:
        if kind == "count":
            bands = tuple(int(b) for b in value.get("age_bands", ()))
            if bands and (len(bands) < 2 or list(bands) != sorted(set(bands)) or bands[0] < 0):  # noqa: PLR2004
                raise InvalidJobSpec("age_bands are at least two increasing ages")
            as_of = date.fromisoformat(str(value["as_of"])) if bands else None
            return ConditionCount(Coding.from_json(value["condition"]), bands, as_of)
        if kind in ("sum", "mean"):
            return ObservationStatistic(
                Coding.from_json(value["observation"]),
                _component(value),
                _bounds(value.get("bounds")),
                kind,
            )
        if kind == "histogram":
            edges = tuple(float(e) for e in value.get("edges", ()))
            if len(edges) < 2 or list(edges) != sorted(set(edges)):  # noqa: PLR2004
                raise InvalidJobSpec("histogram edges are at least two increasing numbers")
            return ObservationHistogram(
                Coding.from_json(value["observation"]), _component(value), edges
            )
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidJobSpec(f"computation is incomplete: {exc}") from exc
    raise InvalidJobSpec(f"unknown computation kind {kind!r}")


def statistic_error_scale(statistic: Statistic, full: FloatVector) -> float:
    """What an error is measured against: the bound width for means, else the full total."""
    if isinstance(statistic, ObservationStatistic) and statistic.kind == "mean":
        return statistic.bounds[1] - statistic.bounds[0]
    return max(float(np.sum(np.abs(full))), 1.0)


def coalition_totals(
    contributions: Mapping[str, FloatVector], members: frozenset[str]
) -> FloatVector | None:
    """The sum over a coalition's members, ``None`` for the empty coalition."""
    if not members:
        return None
    return np.asarray(np.sum([contributions[m] for m in sorted(members)], axis=0), dtype=np.float64)
