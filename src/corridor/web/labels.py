"""Words the pages show for codes: roles, transfer states, purposes, resource types.

Marked for extraction and translated where they are shown, so the catalogues hold them.
"""

from __future__ import annotations

from corridor.web.i18n import mark

ROLE_LABELS = {
    "patient": mark("Patient"),
    "desk": mark("Transfer desk"),
    "clinician": mark("Clinician"),
    "operator": mark("Data center operator"),
    "officer": mark("Regulator's officer"),
}

STATE_LABELS = {
    "requested": mark("Requested"),
    "filed": mark("Filed, permitted"),
    "denied": mark("Denied"),
    "uploaded": mark("Uploaded"),
    "processed": mark("Processed"),
    "refused": mark("Key release refused"),
    "delivered": mark("Delivered"),
    "revoked": mark("Consent withdrawn"),
}

# The portal only knows whether the consent stands; the steps are read from the evidence.
PORTAL_STATE_LABELS = {
    "requested": mark("Consent active"),
    "revoked": mark("Consent withdrawn"),
}

PURPOSE_LABELS = {
    "TREAT": mark("Treatment"),
    "ETREAT": mark("Emergency treatment"),
    "COC": mark("Coordination of care"),
    "PATRQT": mark("At the patient's request"),
    "HRESCH": mark("Healthcare research"),
    "CLINTRCH": mark("Clinical trial research"),
    "PUBHLTH": mark("Public health"),
}

# The resource types a patient can choose in the portal, with plain names (FHIR R4).
RESOURCE_LABELS = {
    "AllergyIntolerance": mark("Allergies and intolerances"),
    "Condition": mark("Conditions and diagnoses"),
    "MedicationRequest": mark("Prescriptions"),
    "MedicationStatement": mark("Medicines you take"),
    "Immunization": mark("Vaccinations"),
    "Observation": mark("Test results and vital signs"),
    "DiagnosticReport": mark("Diagnostic reports"),
    "Procedure": mark("Procedures and operations"),
    "DocumentReference": mark("Clinical documents"),
    "Encounter": mark("Visits and admissions"),
    "CarePlan": mark("Care plans"),
}

FILING_LABELS = {
    "submitted": mark("Awaiting review"),
    "accepted": mark("Accepted"),
    "rejected": mark("Rejected"),
    "expired": mark("Expired"),
}

SEVERITY_LABELS = {
    "critical": mark("Critical"),
    "high": mark("High"),
    "warning": mark("Warning"),
}
