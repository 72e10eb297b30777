"""The FHIR R4 ``Consent`` resource a patient signs, and its exact inverse.

Pure. The resource follows FHIR R4 §6.2 (Consent): ``scope`` patient-privacy, category
LOINC 59284-0, the patient and every institution named by DID as a URI identifier
(system ``urn:ietf:rfc:3986``), one ``permit`` provision whose period ends at expiry, whose
recipient actor has role IRCP, and whose ``class`` lists the consented resource types.
The separate consents that PIPL art. 29 (sensitive data) and art. 39 (cross-border
provision) demand, the prescribed consent of PDPO DPP3 and the retention period have no
core element, so they are extensions under :data:`EXTENSION_BASE`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import ValidationError

from corridor.clock import from_rfc3339, to_rfc3339
from corridor.consent.errors import InvalidConsent
from corridor.consent.models import PURPOSES, ConsentScope, ConsentTerms

EXTENSION_BASE = "https://corridor.example/fhir/StructureDefinition/"
EXT_CROSS_BORDER = EXTENSION_BASE + "consent-cross-border-separate"  # PIPL art. 39
EXT_SENSITIVE = EXTENSION_BASE + "consent-sensitive-separate"  # PIPL art. 29
EXT_PRESCRIBED_HK = EXTENSION_BASE + "consent-prescribed-hk"  # PDPO Sch. 1 DPP3
EXT_RETENTION_DAYS = EXTENSION_BASE + "consent-retention-days"

_URI_SYSTEM = "urn:ietf:rfc:3986"
_SCOPE_SYSTEM = "http://terminology.hl7.org/CodeSystem/consentscope"
_LOINC = "http://loinc.org"
_CONSENT_DOCUMENT = "59284-0"
_POLICY_SYSTEM = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
_ACTION_SYSTEM = "http://terminology.hl7.org/CodeSystem/consentaction"
_PARTICIPATION = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
_RECIPIENT_ROLE = "IRCP"  # v3 ParticipationType "information recipient"
_PURPOSE_SYSTEM = "http://terminology.hl7.org/CodeSystem/v3-ActReason"
_RESOURCE_TYPES_SYSTEM = "http://hl7.org/fhir/resource-types"


def _did_reference(did: str) -> dict[str, Any]:
    return {"identifier": {"system": _URI_SYSTEM, "value": did}}


def build_consent_resource(terms: ConsentTerms) -> dict[str, Any]:
    """The FHIR R4 ``Consent`` for ``terms``; validated with the R4B model before returning."""
    scope = terms.scope
    provision: dict[str, Any] = {
        "type": "permit",
        "period": {"start": to_rfc3339(terms.issued_at), "end": to_rfc3339(terms.expires_at)},
        "actor": [
            {
                "role": {"coding": [{"system": _PARTICIPATION, "code": _RECIPIENT_ROLE}]},
                "reference": _did_reference(terms.recipient_did),
            }
        ],
        # consentaction "disclose": the flow discloses records to the recipient.
        "action": [{"coding": [{"system": _ACTION_SYSTEM, "code": "disclose"}]}],
        "purpose": [
            {
                "system": _PURPOSE_SYSTEM,
                "code": terms.purpose,
                "display": PURPOSES[terms.purpose],
            }
        ],
        "class": [
            {"system": _RESOURCE_TYPES_SYSTEM, "code": name}
            for name in sorted(scope.resource_types)
        ],
    }
    if scope.has_date_range:
        period: dict[str, str] = {}
        if scope.data_from is not None:
            period["start"] = scope.data_from.isoformat()
        if scope.data_to is not None:
            period["end"] = scope.data_to.isoformat()
        provision["dataPeriod"] = period
    if scope.record_ids:
        # Consent.provision.data, meaning "instance": exactly the resource referenced.
        provision["data"] = [
            {"meaning": "instance", "reference": {"reference": record}}
            for record in sorted(scope.record_ids)
        ]
    resource: dict[str, Any] = {
        "resourceType": "Consent",
        "id": terms.consent_id,
        "extension": [
            {"url": EXT_CROSS_BORDER, "valueBoolean": terms.cross_border_separate_consent},
            {"url": EXT_SENSITIVE, "valueBoolean": terms.sensitive_separate_consent},
            {"url": EXT_PRESCRIBED_HK, "valueBoolean": terms.prescribed_consent_hk},
            {"url": EXT_RETENTION_DAYS, "valueUnsignedInt": terms.retention_days},
        ],
        "status": "active",
        "scope": {"coding": [{"system": _SCOPE_SYSTEM, "code": "patient-privacy"}]},
        "category": [{"coding": [{"system": _LOINC, "code": _CONSENT_DOCUMENT}]}],
        "patient": _did_reference(terms.patient_did),
        "dateTime": to_rfc3339(terms.issued_at),
        "performer": [_did_reference(terms.patient_did)],
        "organization": [_did_reference(terms.custodian_did)],
        # Consent invariant ppc-1 wants a policy or policyRule: an explicit opt-in.
        "policyRule": {"coding": [{"system": _POLICY_SYSTEM, "code": "OPTIN"}]},
        "provision": provision,
    }
    validate_consent_resource(resource)
    return resource


def validate_consent_resource(resource: Any) -> None:
    """Raise :class:`InvalidConsent` unless ``resource`` is a valid FHIR R4 ``Consent``."""
    # Imported here: the FHIR models take a moment to load and most callers never need them.
    from fhir.resources.R4B.consent import Consent  # noqa: PLC0415

    if not isinstance(resource, dict) or resource.get("resourceType") != "Consent":
        raise InvalidConsent("not a FHIR Consent resource")
    try:
        Consent.model_validate(resource)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first.get("loc", ()))
        raise InvalidConsent(f"Consent is not valid FHIR R4: {where}: {first.get('msg')}") from exc


def _did_of(reference: Any, what: str) -> str:
    try:
        identifier = reference["identifier"]
        if identifier["system"] != _URI_SYSTEM:
            raise InvalidConsent(f"{what} must be identified by a URI (system {_URI_SYSTEM})")
        value = identifier["value"]
    except (KeyError, TypeError) as exc:
        raise InvalidConsent(f"{what} has no DID identifier") from exc
    if not isinstance(value, str):
        raise InvalidConsent(f"{what} DID is not a string")
    return value


def _single(items: Any, what: str) -> Any:
    if not isinstance(items, list) or len(items) != 1:
        raise InvalidConsent(f"Consent must have exactly one {what}")
    return items[0]


def _extension_value(resource: dict[str, Any], url: str, key: str) -> Any:
    values = [
        ext[key]
        for ext in resource.get("extension", [])
        if isinstance(ext, dict) and ext.get("url") == url and key in ext
    ]
    if len(values) != 1:
        raise InvalidConsent(f"Consent must carry exactly one extension {url} ({key})")
    return values[0]


def _scope_of(provision: dict[str, Any]) -> ConsentScope:
    classes = provision.get("class")
    if not isinstance(classes, list):
        raise InvalidConsent("Consent provision lists no resource types (class)")
    types: set[str] = set()
    for coding in classes:
        if not isinstance(coding, dict) or coding.get("system") != _RESOURCE_TYPES_SYSTEM:
            raise InvalidConsent(f"provision class must use {_RESOURCE_TYPES_SYSTEM}")
        types.add(str(coding.get("code")))
    period = provision.get("dataPeriod", {})
    try:
        data_from = date.fromisoformat(period["start"]) if "start" in period else None
        data_to = date.fromisoformat(period["end"]) if "end" in period else None
    except (TypeError, ValueError) as exc:
        raise InvalidConsent("provision dataPeriod must hold plain dates") from exc
    return ConsentScope(
        resource_types=frozenset(types),
        data_from=data_from,
        data_to=data_to,
        record_ids=frozenset(_records_of(provision.get("data", []))),
    )


def _records_of(data: Any) -> list[str]:
    """``Type/id`` of each ``provision.data`` entry; only meaning ``instance`` is written."""
    if not isinstance(data, list):
        raise InvalidConsent("provision data must be a list")
    records = []
    for item in data:
        if not isinstance(item, dict) or item.get("meaning") != "instance":
            raise InvalidConsent("provision data must name single resources (meaning instance)")
        reference = item.get("reference")
        if not isinstance(reference, dict):
            raise InvalidConsent("provision data must name single resources (meaning instance)")
        records.append(str(reference.get("reference")))
    return records


def _time(value: Any, what: str) -> datetime:
    try:
        return from_rfc3339(str(value))
    except ValueError as exc:
        raise InvalidConsent(f"{what} is not an RFC 3339 timestamp with offset") from exc


def terms_from_resource(resource: Any) -> ConsentTerms:
    """Read the terms back from a ``Consent`` built by :func:`build_consent_resource`.

    Anything this module would not have written (another status, a deny provision, a
    second recipient, an unknown purpose) is refused rather than guessed at.
    """
    validate_consent_resource(resource)
    if resource.get("status") != "active":
        raise InvalidConsent("only an active Consent can be read as terms")
    provision = resource.get("provision")
    if not isinstance(provision, dict) or provision.get("type") != "permit":
        raise InvalidConsent("Consent must have a single permit provision")
    if provision.get("provision"):
        raise InvalidConsent("nested provisions are not supported")
    actor = _single(provision.get("actor"), "recipient actor")
    codes = [c.get("code") for c in actor.get("role", {}).get("coding", [])]
    if _RECIPIENT_ROLE not in codes:
        raise InvalidConsent("the provision actor must have role IRCP (recipient)")
    purpose = _single(provision.get("purpose"), "purpose")
    if purpose.get("system") != _PURPOSE_SYSTEM or purpose.get("code") not in PURPOSES:
        raise InvalidConsent("purpose must be a known v3 ActReason code")
    patient_did = _did_of(resource.get("patient"), "patient")
    if _did_of(_single(resource.get("performer"), "performer"), "performer") != patient_did:
        raise InvalidConsent("the performer (grantor) must be the patient")
    period = provision.get("period", {})
    issued_at = _time(resource.get("dateTime"), "dateTime")
    if _time(period.get("start"), "provision period start") != issued_at:
        raise InvalidConsent("provision period must start when the consent was given")
    retention = _extension_value(resource, EXT_RETENTION_DAYS, "valueUnsignedInt")
    return ConsentTerms(
        patient_did=patient_did,
        custodian_did=_did_of(_single(resource.get("organization"), "organization"), "custodian"),
        recipient_did=_did_of(actor.get("reference"), "recipient"),
        purpose=str(purpose["code"]),
        scope=_scope_of(provision),
        issued_at=issued_at,
        expires_at=_time(period.get("end"), "provision period end"),
        retention_days=retention,
        cross_border_separate_consent=_extension_value(resource, EXT_CROSS_BORDER, "valueBoolean"),
        sensitive_separate_consent=_extension_value(resource, EXT_SENSITIVE, "valueBoolean"),
        prescribed_consent_hk=_extension_value(resource, EXT_PRESCRIBED_HK, "valueBoolean"),
        consent_id=str(resource.get("id", "")),
    )
