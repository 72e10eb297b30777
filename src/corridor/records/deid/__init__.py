"""De-identification with the configuration language of Microsoft's FHIR anonymizer.

Pure: no database, web or clock; the evaluation date and randomness are arguments.
``config`` reads and checks a configuration, ``engine`` applies it (``tree`` and
``paths`` are the element tree and the FHIRPath matching it uses, ``operations`` and
``substitution`` the methods), ``text`` finds identifiers in free text.
"""

from corridor.records.deid.config import (
    AnonymizerConfig,
    Parameters,
    Rule,
    load_config,
    read_config_json,
)
from corridor.records.deid.engine import Anonymizer, CustomOperation, DeidResult
from corridor.records.deid.operations import OperationContext
from corridor.records.deid.tree import Element

__all__ = [
    "Anonymizer",
    "AnonymizerConfig",
    "CustomOperation",
    "DeidResult",
    "Element",
    "OperationContext",
    "Parameters",
    "Rule",
    "load_config",
    "read_config_json",
]
