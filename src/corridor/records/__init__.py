"""Medical records: FHIR parsing, consented extraction, identifier masking and the FHIR store.

Pure parts (``dates``, ``references``, ``extraction``, ``masking``) import no database
code; ``parsing`` gates input with the ``fhir.resources`` R4B models; ``service`` and
``tables`` are a hospital's FHIR store.
"""

from corridor.records.dates import clinical_period
from corridor.records.errors import (
    InvalidFhir,
    PatientMissing,
    PatientNotFound,
    RecordsError,
    WalletAlreadyLinked,
)
from corridor.records.extraction import (
    SUPPORTING_TYPES,
    Extraction,
    IncludedResource,
    extract_consented,
)
from corridor.records.masking import MaskResult, mask_direct_identifiers
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

__all__ = [
    "SUPPORTING_TYPES",
    "Extraction",
    "ImportResult",
    "IncludedResource",
    "InvalidFhir",
    "MaskResult",
    "PatientMissing",
    "PatientNotFound",
    "RecordsContext",
    "RecordsError",
    "WalletAlreadyLinked",
    "clinical_period",
    "extract_consented",
    "import_bundle",
    "link_wallet",
    "list_patients",
    "mask_direct_identifiers",
    "parse_bundle",
    "patient_bundle",
    "patient_for_did",
    "search",
]
