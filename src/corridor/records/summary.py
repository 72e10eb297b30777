"""The patient summary hospital B reads: an HL7 International Patient Summary document.

Pure. From the (already minimised and de-identified) record, build a FHIR ``document``
Bundle as the IPS Implementation Guide shapes it (HL7 FHIR IPS 1.1, "Bundle - IPS" and
"Composition - IPS"): the first entry is a ``Composition`` of type LOINC 60591-5 "Patient
summary Document" whose sections (problems, allergies, medications, immunizations,
results, procedures, and vital signs, social history and notes when present) each carry
a human-readable XHTML table and references to their entries; then the Patient, the
author and every resource of the record. Problems, allergies and medications are
required IPS sections: when the record has none, the section says so with an
``emptyReason`` instead of being left out.

The author is a ``Device``: the summary was assembled by software inside the attested
enclave, not by a clinician. Ids are derived from the content, so the same record and
time give the same document.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from html import escape
from typing import Any

from corridor.records.dates import clinical_period
from corridor.records.references import ReferenceIndex, bundle_entries, entry_key

LOINC = "http://loinc.org"
IPS_DOCUMENT_CODE = "60591-5"  # LOINC "Patient summary Document"
_EMPTY_REASON = "http://terminology.hl7.org/CodeSystem/list-empty-reason"
_XHTML = "http://www.w3.org/1999/xhtml"
MAX_ROWS = 50  # rows shown per section narrative; section.entry lists everything
_VITAL = frozenset({"vital-signs"})
_SOCIAL = frozenset({"social-history", "survey", "sdoh"})


@dataclass(frozen=True)
class SectionSpec:
    """One IPS section: its LOINC code, title, which resources it lists, its columns."""

    key: str
    code: str
    display: str
    title: str
    columns: tuple[str, ...]
    accepts: Callable[[dict[str, Any]], bool]
    required: bool = False
    """IPS requires the section even when the record has nothing for it."""


def _of_type(*types: str) -> Callable[[dict[str, Any]], bool]:
    return lambda resource: resource.get("resourceType") in types


def _observation_in(categories: frozenset[str] | None) -> Callable[[dict[str, Any]], bool]:
    def accepts(resource: dict[str, Any]) -> bool:
        if resource.get("resourceType") != "Observation":
            return False
        found = _category_codes(resource)
        if categories is None:  # results: everything not vital signs or social history
            return not (found & (_VITAL | _SOCIAL))
        return bool(found & categories)

    return accepts


SECTIONS: tuple[SectionSpec, ...] = (
    SectionSpec(
        "problems",
        "11450-4",
        "Problem list - Reported",
        "Problems",
        ("Problem", "Status", "Onset"),
        _of_type("Condition"),
        required=True,
    ),
    SectionSpec(
        "allergies",
        "48765-2",
        "Allergies and adverse reactions Document",
        "Allergies and Intolerances",
        ("Substance", "Status", "Criticality"),
        _of_type("AllergyIntolerance"),
        required=True,
    ),
    SectionSpec(
        "medications",
        "10160-0",
        "History of Medication use Narrative",
        "Medication Summary",
        ("Medication", "Status", "Date"),
        _of_type("MedicationStatement", "MedicationRequest"),
        required=True,
    ),
    SectionSpec(
        "immunizations",
        "11369-6",
        "History of Immunization Narrative",
        "Immunizations",
        ("Vaccine", "Status", "Date"),
        _of_type("Immunization"),
    ),
    SectionSpec(
        "results",
        "30954-2",
        "Relevant diagnostic tests/laboratory data Narrative",
        "Results",
        ("Test", "Result", "Date"),
        lambda r: _observation_in(None)(r) or r.get("resourceType") == "DiagnosticReport",
    ),
    SectionSpec(
        "procedures",
        "47519-4",
        "History of Procedures Document",
        "History of Procedures",
        ("Procedure", "Status", "Date"),
        _of_type("Procedure"),
    ),
    SectionSpec(
        "vital-signs",
        "8716-3",
        "Vital signs",
        "Vital Signs",
        ("Measurement", "Value", "Date"),
        _observation_in(_VITAL),
    ),
    SectionSpec(
        "social-history",
        "29762-2",
        "Social history Narrative",
        "Social History",
        ("Observation", "Value", "Date"),
        _observation_in(_SOCIAL),
    ),
    SectionSpec(
        "notes",
        "34109-9",
        "Note",
        "Clinical Notes",
        ("Document", "Status", "Date"),
        _of_type("DocumentReference"),
    ),
)


def _category_codes(resource: dict[str, Any]) -> set[str]:
    return {
        str(coding.get("code"))
        for category in resource.get("category", []) or []
        if isinstance(category, dict)
        for coding in category.get("coding", []) or []
        if isinstance(coding, dict)
    }


def concept_text(concept: Any) -> str:
    """A CodeableConcept as words: its text, else its first display, else its first code."""
    if not isinstance(concept, dict):
        return ""
    if isinstance(concept.get("text"), str) and concept["text"]:
        return str(concept["text"])
    codings = [c for c in concept.get("coding", []) or [] if isinstance(c, dict)]
    for coding in codings:
        if coding.get("display"):
            return str(coding["display"])
    for coding in codings:
        if coding.get("code"):
            return f"{coding.get('system', '')}|{coding['code']}"
    return ""


def _status(resource: dict[str, Any]) -> str:
    for name in ("clinicalStatus", "verificationStatus"):
        if isinstance(resource.get(name), dict):
            return concept_text(resource[name])
    return str(resource.get("status", ""))


def _date(resource: dict[str, Any]) -> str:
    period = clinical_period(resource)
    return period[0].isoformat() if period else ""


def _value(resource: dict[str, Any]) -> str:
    quantity = resource.get("valueQuantity")
    if isinstance(quantity, dict) and "value" in quantity:
        return f"{quantity['value']} {quantity.get('unit') or quantity.get('code') or ''}".strip()
    if isinstance(resource.get("valueCodeableConcept"), dict):
        return concept_text(resource["valueCodeableConcept"])
    for name in ("valueString", "valueBoolean", "valueInteger", "valueDateTime"):
        if name in resource:
            return str(resource[name])
    components = [
        f"{concept_text(c.get('code'))}: {_value(c)}"
        for c in resource.get("component", []) or []
        if isinstance(c, dict)
    ]
    if components:
        return "; ".join(components)
    if resource.get("resourceType") == "DiagnosticReport":
        results = resource.get("result", []) or []
        return str(resource.get("conclusion") or f"{len(results)} result(s)")
    return ""


class _Record:
    """The record's resources, with reference resolution inside it."""

    def __init__(self, bundle: dict[str, Any]) -> None:
        self.entries = bundle_entries(bundle)
        self.index = ReferenceIndex.of_entries(self.entries)
        self.by_key = {
            key: (url, resource)
            for url, resource in self.entries
            if (key := entry_key(url, resource)) is not None
        }

    def resolve(self, reference: Any) -> dict[str, Any] | None:
        if not isinstance(reference, dict) or not isinstance(reference.get("reference"), str):
            return None
        key = self.index.resolve(reference["reference"])
        found = self.by_key.get(key) if key is not None else None
        return found[1] if found else None

    def reference_to(self, full_url: str | None, resource: dict[str, Any]) -> str:
        if full_url:
            return full_url
        return f"{resource.get('resourceType')}/{resource.get('id')}"


def _medication(resource: dict[str, Any], record: _Record) -> str:
    if isinstance(resource.get("medicationCodeableConcept"), dict):
        return concept_text(resource["medicationCodeableConcept"])
    medication = record.resolve(resource.get("medicationReference"))
    if medication is not None:
        return concept_text(medication.get("code"))
    reference = resource.get("medicationReference")
    return str(reference.get("display", "")) if isinstance(reference, dict) else ""


def _row(resource: dict[str, Any], record: _Record) -> tuple[str, ...]:
    kind = resource.get("resourceType")
    if kind == "AllergyIntolerance":
        return (
            concept_text(resource.get("code")),
            _status(resource),
            str(resource.get("criticality", "")),
        )
    if kind in {"MedicationStatement", "MedicationRequest"}:
        return (_medication(resource, record), _status(resource), _date(resource))
    if kind == "Immunization":
        return (concept_text(resource.get("vaccineCode")), _status(resource), _date(resource))
    if kind in {"Observation", "DiagnosticReport"}:
        return (concept_text(resource.get("code")), _value(resource), _date(resource))
    if kind == "DocumentReference":
        title = concept_text(resource.get("type")) or str(resource.get("description", ""))
        return (title, _status(resource), _date(resource))
    return (concept_text(resource.get("code")), _status(resource), _date(resource))


def _narrative(spec: SectionSpec, rows: list[tuple[str, ...]]) -> dict[str, str]:
    if not rows:
        body = f"<p>No information about {escape(spec.title.lower())} is in the shared record.</p>"
        return {"status": "generated", "div": f'<div xmlns="{_XHTML}">{body}</div>'}
    shown = sorted(rows, key=lambda row: row[-1], reverse=True)[:MAX_ROWS]
    head = "".join(f"<th>{escape(column)}</th>" for column in spec.columns)
    lines = "".join(
        "<tr>" + "".join(f"<td>{escape(cell)}</td>" for cell in row) + "</tr>" for row in shown
    )
    more = ""
    if len(rows) > len(shown):
        more = (
            f"<p>{len(rows) - len(shown)} earlier entries are listed in this section's entries.</p>"
        )
    table = f"<table><thead><tr>{head}</tr></thead><tbody>{lines}</tbody></table>"
    return {"status": "generated", "div": f'<div xmlns="{_XHTML}">{table}{more}</div>'}


def _section(
    spec: SectionSpec, members: list[tuple[str | None, dict[str, Any]]], record: _Record
) -> dict[str, Any] | None:
    if not members and not spec.required:
        return None
    section: dict[str, Any] = {
        "title": spec.title,
        "code": {"coding": [{"system": LOINC, "code": spec.code, "display": spec.display}]},
        "text": _narrative(spec, [_row(resource, record) for _, resource in members]),
    }
    if members:
        section["entry"] = [{"reference": record.reference_to(url, r)} for url, r in members]
    else:
        section["emptyReason"] = {
            "coding": [{"system": _EMPTY_REASON, "code": "unavailable", "display": "Unavailable"}]
        }
    return section


def _content_id(*parts: Any) -> str:
    digest = hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).digest()
    return str(uuid.UUID(bytes=digest[:16], version=4))


def _patient_line(patient: dict[str, Any]) -> str:
    names = [n for n in patient.get("name", []) or [] if isinstance(n, dict)]
    name = ""
    if names:
        first = names[0]
        name = str(
            first.get("text")
            or " ".join([*first.get("given", []), first.get("family", "")]).strip()
        )
    parts = [f"<b>{escape(name)}</b>" if name else "the patient (name withheld)"]
    if patient.get("birthDate"):
        parts.append(f"born {escape(str(patient['birthDate']))}")
    if patient.get("gender"):
        parts.append(escape(str(patient["gender"])))
    return ", ".join(parts)


def build_patient_summary(
    bundle: dict[str, Any], *, at: datetime, profile: str = ""
) -> dict[str, Any]:
    """The IPS ``document`` Bundle for the record in ``bundle`` (see the module docstring).

    ``at`` is the document's time (``Composition.date``, ``Bundle.timestamp``); it must be
    timezone-aware. ``profile`` names the de-identification the record went through.
    """
    record = _Record(bundle)
    patients = [(url, r) for url, r in record.entries if r.get("resourceType") == "Patient"]
    if len(patients) != 1:
        from corridor.records.errors import PatientMissing  # noqa: PLC0415

        raise PatientMissing(f"a patient summary needs exactly one Patient, found {len(patients)}")
    patient_url, patient = patients[0]
    stamp = at.isoformat(timespec="seconds")
    seed = [r.get("id") for _, r in record.entries]
    composition_id = _content_id("composition", seed, stamp)
    device_id = _content_id("device", profile)
    device = {
        "resourceType": "Device",
        "id": device_id,
        "deviceName": [
            {"name": "Corridor enclave patient-summary builder", "type": "user-friendly-name"}
        ],
        "type": {"text": "software running in an attested enclave"},
    }
    clinical = [(url, r) for url, r in record.entries if r.get("resourceType") != "Patient"]
    sections = [
        section
        for spec in SECTIONS
        if (section := _section(spec, [(u, r) for u, r in clinical if spec.accepts(r)], record))
        is not None
    ]
    profile_note = f" De-identification profile: {escape(profile)}." if profile else ""
    composition = {
        "resourceType": "Composition",
        "id": composition_id,
        "text": {
            "status": "generated",
            "div": f'<div xmlns="{_XHTML}"><p>International Patient Summary for '
            f"{_patient_line(patient)}, assembled from the consented record."
            f"{profile_note}</p></div>",
        },
        "status": "final",
        "type": {
            "coding": [
                {"system": LOINC, "code": IPS_DOCUMENT_CODE, "display": "Patient summary Document"}
            ]
        },
        "subject": {"reference": record.reference_to(patient_url, patient)},
        "date": stamp,
        "author": [{"reference": f"urn:uuid:{device_id}"}],
        "title": "International Patient Summary",
        "section": sections,
    }
    entries = [
        {"fullUrl": f"urn:uuid:{composition_id}", "resource": composition},
        _entry(patient_url, patient),
        {"fullUrl": f"urn:uuid:{device_id}", "resource": device},
        *(_entry(url, resource) for url, resource in clinical),
    ]
    document_id = _content_id("document", composition_id)
    return {
        "resourceType": "Bundle",
        "id": document_id,
        "identifier": {"system": "urn:ietf:rfc:3986", "value": f"urn:uuid:{document_id}"},
        "type": "document",
        "timestamp": stamp,
        "entry": entries,
    }


def _entry(full_url: str | None, resource: dict[str, Any]) -> dict[str, Any]:
    return {"fullUrl": full_url, "resource": resource} if full_url else {"resource": resource}


def summary_sections(document: dict[str, Any]) -> list[dict[str, Any]]:
    """The sections of an IPS document Bundle's Composition (empty if it is none)."""
    entries: Iterable[Any] = document.get("entry", []) or []
    for entry in entries:
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if isinstance(resource, dict) and resource.get("resourceType") == "Composition":
            sections = resource.get("section", [])
            return (
                [s for s in sections if isinstance(s, dict)] if isinstance(sections, list) else []
            )
    return []


@dataclass(frozen=True)
class SectionView:
    """A section as rows of words, for a terminal or any non-HTML reader."""

    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    empty_reason: str = ""


def read_summary(document: dict[str, Any]) -> list[SectionView]:
    """The sections of an IPS document, each with a row per entry it references."""
    record = _Record(document)
    specs = {spec.code: spec for spec in SECTIONS}
    views: list[SectionView] = []
    for section in summary_sections(document):
        codings = (
            section.get("code", {}).get("coding", [])
            if isinstance(section.get("code"), dict)
            else []
        )
        code = str(codings[0].get("code")) if codings and isinstance(codings[0], dict) else ""
        spec = specs.get(code)
        columns = spec.columns if spec else ("Entry", "Status", "Date")
        rows: list[tuple[str, ...]] = []
        for entry in section.get("entry", []) or []:
            resource = record.resolve(entry)
            if resource is not None:
                rows.append(_row(resource, record))
        reason = concept_text(section.get("emptyReason")) if section.get("emptyReason") else ""
        views.append(
            SectionView(
                title=str(section.get("title", code)),
                columns=columns,
                rows=tuple(sorted(rows, key=lambda row: row[-1], reverse=True)),
                empty_reason=reason,
            )
        )
    return views
