"""Medical records: FHIR store, consented extraction, de-identification, patient summary.

Pure parts (``dates``, ``references``, ``extraction``, ``deid``, ``summary``) import no
database code; ``parsing`` gates input with the ``fhir.resources`` R4B models;
``destinations`` holds the destination profiles and the policy that picks one;
``delivery`` is what the enclave does to a record for its recipient; ``service`` and
``tables`` are a hospital's FHIR store.
"""

from corridor.records.dates import clinical_period
from corridor.records.delivery import PreparedRecord, prepare_for_recipient
from corridor.records.destinations import (
    PROFILE_NAMES,
    PROFILE_POLICY,
    DestinationProfile,
    load_profile,
    select_profile,
)
from corridor.records.errors import (
    DeidProcessingFailed,
    InvalidDeidConfig,
    InvalidFhir,
    PatientMissing,
    PatientNotFound,
    RecordsError,
    UnknownProfile,
    WalletAlreadyLinked,
)
from corridor.records.extraction import (
    SUPPORTING_TYPES,
    Extraction,
    IncludedResource,
    extract_consented,
)
from corridor.records.parsing import parse_bundle
from corridor.records.service import (
    ImportResult,
    RecordsContext,
    import_bundle,
    link_wallet,
    list_patients,
    patient_bundle,
    patient_for_did,
    search,
)
from corridor.records.summary import build_patient_summary, summary_sections

__all__ = [
    "PROFILE_NAMES",
    "PROFILE_POLICY",
    "SUPPORTING_TYPES",
    "DeidProcessingFailed",
    "DestinationProfile",
    "Extraction",
    "ImportResult",
    "IncludedResource",
    "InvalidDeidConfig",
    "InvalidFhir",
    "PatientMissing",
    "PatientNotFound",
    "PreparedRecord",
    "RecordsContext",
    "RecordsError",
    "UnknownProfile",
    "WalletAlreadyLinked",
    "build_patient_summary",
    "clinical_period",
    "extract_consented",
    "import_bundle",
    "link_wallet",
    "list_patients",
    "load_profile",
    "parse_bundle",
    "patient_bundle",
    "patient_for_did",
    "prepare_for_recipient",
    "search",
    "select_profile",
    "summary_sections",
]
