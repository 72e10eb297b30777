"""What a patient consents to: the scope of data and the terms of one cross-border flow.

Pure: plain frozen values with validation and a JSON form. The FHIR ``Consent`` mapping is in
:mod:`corridor.consent.resource`, signatures in :mod:`corridor.consent.signing`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from corridor.consent.errors import InvalidConsent

# FHIR R4 (4.0.1) resource types, http://hl7.org/fhir/R4/resourcelist.html; a scope may
# only name real types so that a typo can never silently widen or empty a consent.
FHIR_RESOURCE_TYPES = frozenset(
    {
        "Account",
        "ActivityDefinition",
        "AdverseEvent",
        "AllergyIntolerance",
        "Appointment",
        "AppointmentResponse",
        "AuditEvent",
        "Basic",
        "Binary",
        "BiologicallyDerivedProduct",
        "BodyStructure",
        "Bundle",
        "CapabilityStatement",
        "CarePlan",
        "CareTeam",
        "CatalogEntry",
        "ChargeItem",
        "ChargeItemDefinition",
        "Claim",
        "ClaimResponse",
        "ClinicalImpression",
        "CodeSystem",
        "Communication",
        "CommunicationRequest",
        "CompartmentDefinition",
        "Composition",
        "ConceptMap",
        "Condition",
        "Consent",
        "Contract",
        "Coverage",
        "CoverageEligibilityRequest",
        "CoverageEligibilityResponse",
        "DetectedIssue",
        "Device",
        "DeviceDefinition",
        "DeviceMetric",
        "DeviceRequest",
        "DeviceUseStatement",
        "DiagnosticReport",
        "DocumentManifest",
        "DocumentReference",
        "EffectEvidenceSynthesis",
        "Encounter",
        "Endpoint",
        "EnrollmentRequest",
        "EnrollmentResponse",
        "EpisodeOfCare",
        "EventDefinition",
        "Evidence",
        "EvidenceVariable",
        "ExampleScenario",
        "ExplanationOfBenefit",
        "FamilyMemberHistory",
        "Flag",
        "Goal",
        "GraphDefinition",
        "Group",
        "GuidanceResponse",
        "HealthcareService",
        "ImagingStudy",
        "Immunization",
        "ImmunizationEvaluation",
        "ImmunizationRecommendation",
        "ImplementationGuide",
        "InsurancePlan",
        "Invoice",
        "Library",
        "Linkage",
        "List",
        "Location",
        "Measure",
        "MeasureReport",
        "Media",
        "Medication",
        "MedicationAdministration",
        "MedicationDispense",
        "MedicationKnowledge",
        "MedicationRequest",
        "MedicationStatement",
        "MedicinalProduct",
        "MedicinalProductAuthorization",
        "MedicinalProductContraindication",
        "MedicinalProductIndication",
        "MedicinalProductIngredient",
        "MedicinalProductInteraction",
        "MedicinalProductManufactured",
        "MedicinalProductPackaged",
        "MedicinalProductPharmaceutical",
        "MedicinalProductUndesirableEffect",
        "MessageDefinition",
        "MessageHeader",
        "MolecularSequence",
        "NamingSystem",
        "NutritionOrder",
        "Observation",
        "ObservationDefinition",
        "OperationDefinition",
        "OperationOutcome",
        "Organization",
        "OrganizationAffiliation",
        "Parameters",
        "Patient",
        "PaymentNotice",
        "PaymentReconciliation",
        "Person",
        "PlanDefinition",
        "Practitioner",
        "PractitionerRole",
        "Procedure",
        "Provenance",
        "Questionnaire",
        "QuestionnaireResponse",
        "RelatedPerson",
        "RequestGroup",
        "ResearchDefinition",
        "ResearchElementDefinition",
        "ResearchStudy",
        "ResearchSubject",
        "RiskAssessment",
        "RiskEvidenceSynthesis",
        "Schedule",
        "SearchParameter",
        "ServiceRequest",
        "Slot",
        "Specimen",
        "SpecimenDefinition",
        "StructureDefinition",
        "StructureMap",
        "Subscription",
        "Substance",
        "SubstanceNucleicAcid",
        "SubstancePolymer",
        "SubstanceProtein",
        "SubstanceReferenceInformation",
        "SubstanceSourceMaterial",
        "SubstanceSpecification",
        "SupplyDelivery",
        "SupplyRequest",
        "Task",
        "TerminologyCapabilities",
        "TestReport",
        "TestScript",
        "ValueSet",
        "VerificationResult",
        "VisionPrescription",
    }
)

# HL7 v3 ActReason purpose-of-use codes (http://terminology.hl7.org/CodeSystem/v3-ActReason)
# that a medical corridor can carry; the display texts are the code system's own.
PURPOSES: dict[str, str] = {
    "TREAT": "treatment",
    "ETREAT": "Emergency Treatment",
    "COC": "coordination of care",
    "PATRQT": "patient requested",
    "HRESCH": "healthcare research",
    "CLINTRCH": "clinical trial research",
    "PUBHLTH": "public health",
}

_DID = re.compile(r"^did:(web|key):[A-Za-z0-9.%:_-]+$")
# FHIR id datatype (R4 §2.24.0.1): the consent id is also the Consent resource's id.
_FHIR_ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")
# A literal reference to one resource of the patient's record (FHIR R4 §2.3.0 ids).
_RECORD_ID = re.compile(r"^[A-Z][A-Za-z]{1,63}/[A-Za-z0-9\-.]{1,64}$")
_MAX_RETENTION_DAYS = 36_500


@dataclass(frozen=True)
class ConsentScope:
    """Which data a consent covers: resource types, a range of clinical dates, record ids.

    ``None`` for a bound means "unbounded on that side". Both ``None`` means no date
    restriction at all, the only case in which undated resources may be shared.
    ``record_ids`` (``Type/id``, FHIR R4 Consent ``provision.data`` with meaning
    ``instance``), when given, narrows the scope to exactly those resources.
    """

    resource_types: frozenset[str]
    data_from: date | None = None
    data_to: date | None = None
    record_ids: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        # Accept any iterable of names at run time, but store the hashable frozenset.
        types: Any = self.resource_types
        object.__setattr__(self, "resource_types", frozenset(types))
        if not self.resource_types:
            raise InvalidConsent("a consent scope must name at least one resource type")
        unknown = sorted(t for t in self.resource_types if t not in FHIR_RESOURCE_TYPES)
        if unknown:
            raise InvalidConsent(f"unknown FHIR resource types in scope: {', '.join(unknown)}")
        for bound in (self.data_from, self.data_to):
            if bound is not None and (isinstance(bound, datetime) or not isinstance(bound, date)):
                raise InvalidConsent("scope date bounds must be calendar dates")
        if self.data_from and self.data_to and self.data_from > self.data_to:
            raise InvalidConsent("scope data_from is after data_to")
        records: Any = self.record_ids
        object.__setattr__(self, "record_ids", frozenset(records))
        for record in self.record_ids:
            if not isinstance(record, str) or not _RECORD_ID.fullmatch(record):
                raise InvalidConsent(f"scope record id {record!r} is not Type/id")
            if record.partition("/")[0] not in self.resource_types:
                raise InvalidConsent(f"scope record {record} is not of a consented type")

    def admits_record(self, resource_type: str, resource_id: str) -> bool:
        """True when the scope names no records, or names this one."""
        return not self.record_ids or f"{resource_type}/{resource_id}" in self.record_ids

    @property
    def has_date_range(self) -> bool:
        """True when either bound is set."""
        return self.data_from is not None or self.data_to is not None

    def admits_period(self, first: date, last: date) -> bool:
        """True when the whole period ``first``..``last`` (inclusive) lies inside the range."""
        if self.data_from is not None and first < self.data_from:
            return False
        return not (self.data_to is not None and last > self.data_to)

    def covers(self, other: ConsentScope) -> bool:
        """True when everything ``other`` asks for is inside this scope."""
        if not other.resource_types <= self.resource_types:
            return False
        if self.record_ids and not (other.record_ids and other.record_ids <= self.record_ids):
            return False
        if self.data_from is not None and (
            other.data_from is None or other.data_from < self.data_from
        ):
            return False
        return not (
            self.data_to is not None and (other.data_to is None or other.data_to > self.data_to)
        )

    def to_json(self) -> dict[str, Any]:
        """JSON object form: sorted types, ISO dates (or null), record ids when named."""
        value: dict[str, Any] = {
            "resource_types": sorted(self.resource_types),
            "data_from": self.data_from.isoformat() if self.data_from else None,
            "data_to": self.data_to.isoformat() if self.data_to else None,
        }
        if self.record_ids:
            value["record_ids"] = sorted(self.record_ids)
        return value

    @classmethod
    def from_json(cls, value: Any) -> ConsentScope:
        """Parse and validate the JSON object form; unknown keys are refused."""
        if not isinstance(value, dict):
            raise InvalidConsent("scope must be a JSON object")
        unknown = set(value) - {"resource_types", "data_from", "data_to", "record_ids"}
        if unknown:
            raise InvalidConsent(f"scope has unknown keys: {sorted(unknown)}")
        types = value.get("resource_types")
        if not isinstance(types, list) or not all(isinstance(t, str) for t in types):
            raise InvalidConsent("scope resource_types must be a list of strings")
        records = value.get("record_ids", [])
        if not isinstance(records, list) or not all(isinstance(r, str) for r in records):
            raise InvalidConsent("scope record_ids must be a list of strings")
        return cls(
            resource_types=frozenset(types),
            data_from=_parse_date(value.get("data_from"), "data_from"),
            data_to=_parse_date(value.get("data_to"), "data_to"),
            record_ids=frozenset(records),
        )


def _parse_date(value: Any, name: str) -> date | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidConsent(f"scope {name} must be an ISO date string or null")
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise InvalidConsent(f"scope {name} is not an ISO date: {value!r}") from exc


def _whole_seconds_utc(at: datetime, name: str) -> datetime:
    if not isinstance(at, datetime) or at.tzinfo is None:
        raise InvalidConsent(f"{name} must be a timezone-aware datetime")
    return at.astimezone(UTC).replace(microsecond=0)


@dataclass(frozen=True)
class ConsentTerms:
    """Everything the patient agrees to for one flow from a custodian to a recipient.

    Times are normalised to whole seconds in UTC, so that the FHIR form (RFC 3339 with
    seconds) maps back to exactly the same terms.
    """

    patient_did: str
    custodian_did: str
    recipient_did: str
    purpose: str
    scope: ConsentScope
    issued_at: datetime
    expires_at: datetime
    retention_days: int
    cross_border_separate_consent: bool
    sensitive_separate_consent: bool
    prescribed_consent_hk: bool
    consent_id: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "issued_at", _whole_seconds_utc(self.issued_at, "issued_at"))
        object.__setattr__(self, "expires_at", _whole_seconds_utc(self.expires_at, "expires_at"))
        problems = [*_party_problems(self), *_term_problems(self)]
        if problems:
            raise InvalidConsent("consent terms are invalid", detail={"problems": problems})


def _party_problems(terms: ConsentTerms) -> list[str]:
    problems: list[str] = []
    if not terms.patient_did.startswith("did:key:") or not _DID.fullmatch(terms.patient_did):
        problems.append("patient_did must be a did:key (the patient signs with that key)")
    problems.extend(
        f"{name} must be a did:web or did:key identifier"
        for name in ("custodian_did", "recipient_did")
        if not _DID.fullmatch(getattr(terms, name))
    )
    if terms.custodian_did == terms.recipient_did:
        problems.append("custodian and recipient must be different institutions")
    return problems


def _term_problems(terms: ConsentTerms) -> list[str]:
    problems: list[str] = []
    if terms.purpose not in PURPOSES:
        problems.append(f"purpose must be one of {', '.join(sorted(PURPOSES))}")
    if terms.expires_at <= terms.issued_at:
        problems.append("expires_at must be after issued_at")
    retention = terms.retention_days
    if (
        isinstance(retention, bool)
        or not isinstance(retention, int)
        or not 1 <= retention <= _MAX_RETENTION_DAYS
    ):
        problems.append(f"retention_days must be an integer from 1 to {_MAX_RETENTION_DAYS}")
    if not _FHIR_ID.fullmatch(terms.consent_id):
        problems.append("consent_id must be a FHIR id (1-64 letters, digits, '-' or '.')")
    problems.extend(
        f"{flag} must be a boolean"
        for flag in (
            "cross_border_separate_consent",
            "sensitive_separate_consent",
            "prescribed_consent_hk",
        )
        if not isinstance(getattr(terms, flag), bool)
    )
    return problems
