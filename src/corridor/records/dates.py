"""The clinical date of a FHIR resource: when the thing it records happened.

Pure. For each type the elements are tried in order and the first present wins (FHIR R4
element names; ``x[0]`` means "the first entry of list x"). A FHIR date may be partial
(``2019`` or ``2019-02``): it stands for the whole year or month, so the function returns
the first and the last day of the period it denotes, and a range check asks for the whole
period to lie inside. A time of day is read in the offset it was written in (the local
calendar date of the event), never shifted to UTC. Types not listed have no clinical date.
"""

from __future__ import annotations

import calendar
import re
from datetime import date
from typing import Any

# Order matters: the element that says when the event happened comes before the one
# that says when it was written down.
CLINICAL_DATE_PATHS: dict[str, tuple[str, ...]] = {
    "AllergyIntolerance": ("recordedDate", "onsetDateTime", "onsetPeriod.start"),
    "CarePlan": ("period.start", "created"),
    "CareTeam": ("period.start",),
    "Claim": ("billablePeriod.start", "created"),
    "ClinicalImpression": ("effectiveDateTime", "effectivePeriod.start", "date"),
    "Communication": ("sent", "received"),
    "Composition": ("date",),
    "Condition": ("onsetDateTime", "onsetPeriod.start", "recordedDate"),
    "Coverage": ("period.start",),
    "DeviceRequest": ("occurrenceDateTime", "occurrencePeriod.start", "authoredOn"),
    "DeviceUseStatement": ("timingDateTime", "timingPeriod.start", "recordedOn"),
    "DiagnosticReport": ("effectiveDateTime", "effectivePeriod.start", "issued"),
    "DocumentReference": ("context.period.start", "date"),
    "Encounter": ("period.start",),
    "EpisodeOfCare": ("period.start",),
    "ExplanationOfBenefit": ("billablePeriod.start", "created"),
    "FamilyMemberHistory": ("date",),
    "Goal": ("startDate", "statusDate"),
    "ImagingStudy": ("started",),
    "Immunization": ("occurrenceDateTime", "recorded"),
    "Media": ("createdDateTime", "createdPeriod.start", "issued"),
    "MedicationAdministration": ("effectiveDateTime", "effectivePeriod.start"),
    "MedicationDispense": ("whenHandedOver", "whenPrepared"),
    "MedicationRequest": ("authoredOn",),
    "MedicationStatement": ("effectiveDateTime", "effectivePeriod.start", "dateAsserted"),
    "Observation": ("effectiveDateTime", "effectivePeriod.start", "effectiveInstant", "issued"),
    "Procedure": ("performedDateTime", "performedPeriod.start"),
    "Provenance": ("occurredDateTime", "occurredPeriod.start", "recorded"),
    "QuestionnaireResponse": ("authored",),
    "RiskAssessment": ("occurrenceDateTime", "occurrencePeriod.start"),
    "ServiceRequest": ("occurrenceDateTime", "occurrencePeriod.start", "authoredOn"),
    "Specimen": ("collection.collectedDateTime", "receivedTime"),
    "SupplyDelivery": ("occurrenceDateTime", "occurrencePeriod.start"),
}

_FHIR_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")


def _element(resource: dict[str, Any], path: str) -> Any:
    value: Any = resource
    for name in path.split("."):
        if isinstance(value, list):
            value = value[0] if value else None
        if not isinstance(value, dict):
            return None
        value = value.get(name)
    return value


def fhir_date_period(text: str) -> tuple[date, date] | None:
    """First and last calendar day a FHIR date/dateTime/instant denotes, or ``None``."""
    match = _FHIR_DATE.match(text)
    if not match:
        return None
    year, month, day = match.groups()
    try:
        if day is not None:
            exact = date(int(year), int(month), int(day))
            return (exact, exact)
        if month is not None:
            last = calendar.monthrange(int(year), int(month))[1]
            return (date(int(year), int(month), 1), date(int(year), int(month), last))
        return (date(int(year), 1, 1), date(int(year), 12, 31))
    except ValueError:
        return None


def clinical_period(resource: dict[str, Any]) -> tuple[date, date] | None:
    """The clinical date of ``resource`` as a (first, last) day pair, or ``None``."""
    for path in CLINICAL_DATE_PATHS.get(str(resource.get("resourceType")), ()):
        value = _element(resource, path)
        if isinstance(value, str):
            return fhir_date_period(value)
    return None
