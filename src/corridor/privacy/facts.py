"""What a statistic needs from one patient's FHIR resources: birth date, conditions, values.

Pure. A hospital reads each patient's resources from its FHIR store and reduces them to
:class:`PatientFacts`; computations then only see these facts. Rules (FHIR R4):

* a Condition counts unless its ``verificationStatus`` is ``refuted`` or
  ``entered-in-error`` (R4 §9.2 Condition.verificationStatus);
* an Observation's value is ``valueQuantity.value``, and each ``component`` with a
  ``valueQuantity`` gives a value under (observation code, component code) (R4 §10.1.0.7);
  Observations with status ``entered-in-error`` or ``cancelled`` are ignored;
* when a patient has several values for the same code, the one with the latest
  ``effectiveDateTime`` (or ``effectivePeriod.start``, or ``issued``) wins.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

_IGNORED_CONDITIONS = frozenset({"refuted", "entered-in-error"})
_IGNORED_OBSERVATIONS = frozenset({"entered-in-error", "cancelled"})


@dataclass(frozen=True, order=True)
class Coding:
    """A code in a code system (FHIR ``Coding.system`` and ``Coding.code``)."""

    system: str
    code: str

    @classmethod
    def from_json(cls, value: Any) -> Coding:
        """Parse ``{"system": ..., "code": ...}``."""
        if not isinstance(value, Mapping):
            raise TypeError("a coding is an object with system and code")
        system, code = value.get("system"), value.get("code")
        if not isinstance(system, str) or not isinstance(code, str) or not system or not code:
            raise ValueError("a coding needs a non-empty system and code")
        return cls(system=system, code=code)

    def to_json(self) -> dict[str, str]:
        """The JSON object form."""
        return {"system": self.system, "code": self.code}


ValueKey = tuple[Coding, Coding | None]
"""(observation code, component code or ``None`` for the observation's own value)."""


@dataclass(frozen=True)
class PatientFacts:
    """One patient, reduced to what statistics use."""

    birth_date: date | None
    conditions: frozenset[Coding]
    values: Mapping[ValueKey, float] = field(default_factory=dict)

    def age_on(self, day: date) -> int | None:
        """Whole years of age on ``day``, if the birth date is known."""
        if self.birth_date is None:
            return None
        before_birthday = (day.month, day.day) < (self.birth_date.month, self.birth_date.day)
        return day.year - self.birth_date.year - int(before_birthday)


def _codings(concept: Any) -> list[Coding]:
    if not isinstance(concept, Mapping):
        return []
    found: list[Coding] = []
    for coding in concept.get("coding", []) or []:
        try:
            found.append(Coding.from_json(coding))
        except (TypeError, ValueError):
            continue
    return found


def _status(concept: Any) -> set[str]:
    return {coding.code for coding in _codings(concept)}


def _quantity(value: Any) -> float | None:
    if isinstance(value, Mapping):
        number = value.get("value")
        if isinstance(number, int | float) and not isinstance(number, bool):
            return float(number)
    return None


def _when(resource: Mapping[str, Any]) -> str:
    period = resource.get("effectivePeriod")
    for candidate in (
        resource.get("effectiveDateTime"),
        period.get("start") if isinstance(period, Mapping) else None,
        resource.get("issued"),
    ):
        if isinstance(candidate, str):
            return candidate
    return ""


def _birth_date(resource: Mapping[str, Any]) -> date | None:
    text = resource.get("birthDate")
    if not isinstance(text, str):
        return None
    try:  # partial dates (YYYY, YYYY-MM) count from their first day
        parts = [int(part) for part in text.split("-")]
        return date(parts[0], parts[1] if len(parts) > 1 else 1, parts[2] if len(parts) > 2 else 1)  # noqa: PLR2004
    except (ValueError, IndexError):
        return None


def _observation_readings(resource: Mapping[str, Any]) -> list[tuple[ValueKey, float | None]]:
    readings: list[tuple[ValueKey, float | None]] = []
    for code in _codings(resource.get("code")):
        readings.append(((code, None), _quantity(resource.get("valueQuantity"))))
        for component in resource.get("component", []) or []:
            if isinstance(component, Mapping):
                readings.extend(
                    ((code, part), _quantity(component.get("valueQuantity")))
                    for part in _codings(component.get("code"))
                )
    return readings


def patient_facts(resources: Iterable[Mapping[str, Any]]) -> PatientFacts:
    """Reduce one patient's resources to :class:`PatientFacts`."""
    birth: date | None = None
    conditions: set[Coding] = set()
    latest: dict[ValueKey, tuple[str, float]] = {}
    for resource in resources:
        kind = resource.get("resourceType")
        if kind == "Patient":
            birth = _birth_date(resource)
        elif kind == "Condition":
            if not _status(resource.get("verificationStatus")) & _IGNORED_CONDITIONS:
                conditions.update(_codings(resource.get("code")))
        elif kind == "Observation" and resource.get("status") not in _IGNORED_OBSERVATIONS:
            when = _when(resource)
            for key, value in _observation_readings(resource):
                if value is not None and (key not in latest or when >= latest[key][0]):
                    latest[key] = (when, value)
    return PatientFacts(
        birth_date=birth,
        conditions=frozenset(conditions),
        values={key: value for key, (_, value) in latest.items()},
    )
