"""Consent: the patient's signed FHIR Consent, its revocation and the pure check of a flow.

Pure parts (``models``, ``resource``, ``signing``, ``policy``) import no database code;
``service`` and ``tables`` keep signed consents and revocations at a node.
"""

from corridor.consent.errors import (
    ConsentConflict,
    ConsentError,
    ConsentNotFound,
    ConsentRefused,
    ConsentSignatureInvalid,
    InvalidConsent,
    RevocationInvalid,
)
from corridor.consent.models import FHIR_RESOURCE_TYPES, PURPOSES, ConsentScope, ConsentTerms
from corridor.consent.policy import ConsentDecision, evaluate_consent, require_consent_allows
from corridor.consent.resource import build_consent_resource, terms_from_resource
from corridor.consent.service import (
    ConsentContext,
    StoredConsent,
    consents_of_patient,
    get_consent,
    is_revoked,
    record_consent,
    record_revocation,
    require_consent,
)
from corridor.consent.signing import (
    SignedConsent,
    SignedRevocation,
    VerifiedConsent,
    VerifiedRevocation,
    consent_digest,
    sign_consent,
    sign_revocation,
    verify_revocation,
    verify_signed_consent,
)

__all__ = [
    "FHIR_RESOURCE_TYPES",
    "PURPOSES",
    "ConsentConflict",
    "ConsentContext",
    "ConsentDecision",
    "ConsentError",
    "ConsentNotFound",
    "ConsentRefused",
    "ConsentScope",
    "ConsentSignatureInvalid",
    "ConsentTerms",
    "InvalidConsent",
    "RevocationInvalid",
    "SignedConsent",
    "SignedRevocation",
    "StoredConsent",
    "VerifiedConsent",
    "VerifiedRevocation",
    "build_consent_resource",
    "consent_digest",
    "consents_of_patient",
    "evaluate_consent",
    "get_consent",
    "is_revoked",
    "record_consent",
    "record_revocation",
    "require_consent",
    "require_consent_allows",
    "sign_consent",
    "sign_revocation",
    "terms_from_resource",
    "verify_revocation",
    "verify_signed_consent",
]
