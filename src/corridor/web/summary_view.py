"""The patient summary as the clinician viewer shows it, by IPS section (pure).

Hospital B receives an HL7 International Patient Summary document (IPS IG 1.1) from the
enclave: a ``Composition`` whose sections reference the resources. The viewer lists each
section's resources with the few fields a clinician scans first. A record that is a plain
Bundle (no Composition) is grouped by resource type into the same sections. Nothing here
renders the document's own XHTML narrative: every value is text the template escapes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from corridor.web.i18n import mark


@dataclass(frozen=True)
class SectionKind:
    """One section the viewer knows: its key, LOINC code, title and resource types."""

    key: str
    loinc: str
    title: str
    types: frozenset[str]


# LOINC section codes of the IPS IG ("Composition - IPS" slices).
SECTIONS: tuple[SectionKind, ...] = (
    SectionKind("problems", "11450-4", mark("Problems"), frozenset({"Condition"})),
    SectionKind(
        "allergies",
        "48765-2",
        mark("Allergies and intolerances"),
        frozenset({"AllergyIntolerance"}),
    ),
    SectionKind(
        "medications",
        "10160-0",
        mark("Medications"),
        frozenset({"MedicationRequest", "MedicationStatement"}),
    ),
    SectionKind("immunizations", "11369-6", mark("Immunizations"), frozenset({"Immunization"})),
    SectionKind(
        "results", "30954-2", mark("Results"), frozenset({"Observation", "DiagnosticReport"})
    ),
    SectionKind("procedures", "47519-4", mark("Procedures"), frozenset({"Procedure"})),
)
_BY_LOINC = {kind.loinc: kind for kind in SECTIONS}


@dataclass(frozen=True)
class Row:
    """One resource as a line of a section."""

    what: str
    status: str
    when: str
    value: str
    resource: dict[str, Any]


@dataclass(frozen=True)
class Section:
    """A section with its rows (possibly none: the IPS says so rather than omitting it)."""

    key: str
    title: str
    rows: tuple[Row, ...] = field(default_factory=tuple)


def concept(value: Any) -> str:
    """The text of a CodeableConcept: its text, else the first coding's display or code."""
    if not isinstance(value, dict):
        return ""
    if isinstance(value.get("text"), str) and value["text"]:
        return str(value["text"])
    for coding in value.get("coding") or []:
        if isinstance(coding, dict):
            return str(coding.get("display") or coding.get("code") or "")
    return ""


def _when(resource: dict[str, Any]) -> str:
    for key in (
        "effectiveDateTime",
        "occurrenceDateTime",
        "onsetDateTime",
        "performedDateTime",
        "authoredOn",
        "recordedDate",
        "issued",
        "dateAsserted",
    ):
        if isinstance(resource.get(key), str):
            return str(resource[key])[:10]
    for key in ("performedPeriod", "effectivePeriod"):
        period = resource.get(key)
        if isinstance(period, dict) and isinstance(period.get("start"), str):
            return str(period["start"])[:10]
    return ""


def _value(resource: dict[str, Any]) -> str:
    quantity = resource.get("valueQuantity")
    if isinstance(quantity, dict) and "value" in quantity:
        return f"{quantity['value']} {quantity.get('unit') or quantity.get('code') or ''}".strip()
    if isinstance(resource.get("valueString"), str):
        return str(resource["valueString"])
    if isinstance(resource.get("valueCodeableConcept"), dict):
        return concept(resource["valueCodeableConcept"])
    if isinstance(resource.get("criticality"), str):
        return str(resource["criticality"])
    return ""


def _status(resource: dict[str, Any]) -> str:
    for key in ("clinicalStatus", "verificationStatus"):
        if isinstance(resource.get(key), dict):
            return concept(resource[key])
    return str(resource.get("status") or "")


def row_of(resource: dict[str, Any]) -> Row:
    """The line a clinician sees for one resource."""
    what = (
        concept(resource.get("code"))
        or concept(resource.get("medicationCodeableConcept"))
        or concept(resource.get("vaccineCode"))
        or str(resource.get("resourceType", ""))
    )
    return Row(what, _status(resource), _when(resource), _value(resource), resource)


def _resources(bundle: dict[str, Any]) -> list[tuple[str | None, dict[str, Any]]]:
    found = []
    for entry in bundle.get("entry") or []:
        if isinstance(entry, dict) and isinstance(entry.get("resource"), dict):
            url = entry.get("fullUrl")
            found.append((url if isinstance(url, str) else None, entry["resource"]))
    return found


def _index(resources: Iterable[tuple[str | None, dict[str, Any]]]) -> dict[str, dict[str, Any]]:
    index: dict[str, dict[str, Any]] = {}
    for url, resource in resources:
        if url:
            index[url] = resource
        if resource.get("id"):
            index[f"{resource.get('resourceType')}/{resource['id']}"] = resource
    return index


def _sorted(rows: Iterable[Row]) -> tuple[Row, ...]:
    return tuple(sorted(rows, key=lambda row: row.when, reverse=True))


def summary_of(bundle: dict[str, Any]) -> tuple[Section, ...]:
    """The sections of the summary, in IPS order."""
    resources = _resources(bundle)
    composition = next((r for _, r in resources if r.get("resourceType") == "Composition"), None)
    if composition is None:
        return tuple(
            Section(
                kind.key,
                kind.title,
                _sorted(row_of(r) for _, r in resources if r.get("resourceType") in kind.types),
            )
            for kind in SECTIONS
        )
    index = _index(resources)
    sections = []
    for raw in composition.get("section") or []:
        if not isinstance(raw, dict):
            continue
        codes = [
            c.get("code")
            for c in (raw.get("code") or {}).get("coding") or []
            if isinstance(c, dict)
        ]
        kind = next((_BY_LOINC[c] for c in codes if c in _BY_LOINC), None)
        refs = [e.get("reference") for e in raw.get("entry") or [] if isinstance(e, dict)]
        rows = _sorted(row_of(index[ref]) for ref in refs if isinstance(ref, str) and ref in index)
        title = kind.title if kind is not None else str(raw.get("title") or "")
        sections.append(Section(kind.key if kind else title, title, rows))
    return tuple(sections)


def resource_count(bundle: dict[str, Any]) -> int:
    """How many resources the record holds."""
    return len(_resources(bundle))
