"""Consented extraction: exactly the data a consent covers, and a manifest of why.

Pure. From a patient's bundle, build a FHIR ``collection`` Bundle holding

* the Patient (reason ``subject``);
* every resource of a consented type whose clinical date (:mod:`corridor.records.dates`)
  lies wholly inside the consented range (reason ``consented``), and, when the consent
  names record ids, only the resources it names. A resource of a
  consented type **without** a clinical date is included only when the scope has no date
  range at all: with a range, nobody can show it falls inside, so it stays home;
* the *supporting* resources those reference, transitively, when present in the bundle
  (reason ``referenced``): practitioners, organisations, locations, medications and
  the like, which describe who and what, not the patient's care. A reference to a
  clinical resource outside the scope (an Encounter from an Observation, say) is never
  followed: that would send data the patient did not consent to.

Nothing else is included. References to resources left out stay as they are (a
``collection`` Bundle need not be closed), so ids stay stable for the recipient.
"""

from __future__ import annotations

import copy
from collections import Counter
from dataclasses import dataclass
from typing import Any, Literal

from corridor.consent.models import ConsentScope
from corridor.records.dates import clinical_period
from corridor.records.errors import PatientMissing
from corridor.records.references import (
    ReferenceIndex,
    ResourceKey,
    bundle_entries,
    entry_key,
    literal_target,
    references_in,
)

# Resources that identify the people, places and products care involves, and carry no
# clinical facts about the patient; they travel when consented data references them.
SUPPORTING_TYPES = frozenset(
    {
        "Endpoint",
        "HealthcareService",
        "Location",
        "Medication",
        "Organization",
        "Practitioner",
        "PractitionerRole",
        "Substance",
    }
)
# Elements that say whose record a resource is (FHIR R4 Patient compartment parameters).
_OWNER_ELEMENTS = ("subject", "patient", "beneficiary")

Reason = Literal["subject", "consented", "referenced"]


@dataclass(frozen=True)
class IncludedResource:
    """One resource of an extraction and why it is there."""

    resource_type: str
    id: str
    reason: Reason


@dataclass(frozen=True)
class Extraction:
    """The extracted ``collection`` Bundle and the manifest of what it holds."""

    bundle: dict[str, Any]
    included: tuple[IncludedResource, ...]

    @property
    def counts(self) -> dict[str, int]:
        """Number of included resources per type, types sorted."""
        counted = Counter(item.resource_type for item in self.included)
        return dict(sorted(counted.items()))


def find_patient(
    entries: list[tuple[str | None, dict[str, Any]]],
) -> tuple[str | None, dict[str, Any]]:
    """The single Patient entry of a patient bundle; raise :class:`PatientMissing` otherwise."""
    patients = [pair for pair in entries if pair[1].get("resourceType") == "Patient"]
    if len(patients) != 1:
        raise PatientMissing(f"expected exactly one Patient in the bundle, found {len(patients)}")
    return patients[0]


def is_in_scope(resource: dict[str, Any], scope: ConsentScope) -> bool:
    """True when ``resource`` is of a consented type and its clinical date is admitted."""
    if resource.get("resourceType") not in scope.resource_types:
        return False
    period = clinical_period(resource)
    if period is None:
        return not scope.has_date_range
    return scope.admits_period(*period)


def _belongs_to_other(
    resource: dict[str, Any], index: ReferenceIndex, patient: ResourceKey
) -> bool:
    """True when the resource's owner reference points anywhere but at our patient.

    An owner that cannot be resolved is not provably our patient, so it counts as other.
    """
    for element in _OWNER_ELEMENTS:
        owner = resource.get(element)
        reference = owner.get("reference") if isinstance(owner, dict) else None
        if not isinstance(reference, str):
            continue
        key = index.resolve(reference) or literal_target(reference)
        if key is None or (key[0] == "Patient" and key != patient):
            return True
    return False


def _follow_references(
    order: list[ResourceKey],
    reasons: dict[ResourceKey, Reason],
    by_key: dict[ResourceKey, tuple[str | None, dict[str, Any]]],
    index: ReferenceIndex,
) -> None:
    """Add supporting resources referenced from ``order``, transitively, in place."""
    pending = list(order)
    while pending:
        _, resource = by_key[pending.pop()]
        for reference in references_in(resource):
            target = index.resolve(reference)
            if target is None or target in reasons or target[0] not in SUPPORTING_TYPES:
                continue
            reasons[target] = "referenced"
            order.append(target)
            pending.append(target)


def _entry(full_url: str | None, resource: dict[str, Any]) -> dict[str, Any]:
    entry: dict[str, Any] = {"fullUrl": full_url} if full_url else {}
    entry["resource"] = copy.deepcopy(resource)
    return entry


def extract_consented(bundle: dict[str, Any], scope: ConsentScope) -> Extraction:
    """Keep exactly what ``scope`` covers from ``bundle`` (see the module docstring)."""
    entries = bundle_entries(bundle)
    patient_url, patient = find_patient(entries)
    patient_key = entry_key(patient_url, patient)
    if patient_key is None:
        raise PatientMissing("the Patient has neither an id nor a fullUrl")
    index = ReferenceIndex.of_entries(entries)
    by_key: dict[ResourceKey, tuple[str | None, dict[str, Any]]] = {}
    for full_url, resource in entries:
        key = entry_key(full_url, resource)
        if key is not None:
            by_key.setdefault(key, (full_url, resource))

    reasons: dict[ResourceKey, Reason] = {patient_key: "subject"}
    order: list[ResourceKey] = [patient_key]
    for key, (_, resource) in by_key.items():
        if key in reasons or not is_in_scope(resource, scope):
            continue
        if not scope.admits_record(*key):
            continue
        if _belongs_to_other(resource, index, patient_key):
            continue
        reasons[key] = "consented"
        order.append(key)
    _follow_references(order, reasons, by_key, index)

    extracted = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [_entry(*by_key[key]) for key in order],
    }
    included = tuple(
        IncludedResource(resource_type=key[0], id=key[1], reason=reasons[key]) for key in order
    )
    return Extraction(bundle=extracted, included=included)
