"""Names of the identifier kinds found in free text, and the check of a rule's choice.

Pure and light (no presidio import), so configurations can be checked anywhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

CN_RESIDENT_ID = "CN_RESIDENT_ID"
PHONE_NUMBER = "PHONE_NUMBER"
EMAIL_ADDRESS = "EMAIL_ADDRESS"
US_SSN = "US_SSN"
PATIENT_NAME = "PATIENT_NAME"
PATIENT_IDENTIFIER = "PATIENT_IDENTIFIER"
PATIENT_CONTACT = "PATIENT_CONTACT"
ALL_ENTITIES = frozenset(
    {
        CN_RESIDENT_ID,
        PHONE_NUMBER,
        EMAIL_ADDRESS,
        US_SSN,
        PATIENT_NAME,
        PATIENT_IDENTIFIER,
        PATIENT_CONTACT,
    }
)


def check_entities(settings: Mapping[str, Any]) -> str | None:
    """Why a ``scrubText`` rule's ``entities`` setting is wrong, or ``None`` when it is fine."""
    value = settings.get("entities")
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        return "entities must be a list of entity names"
    unknown = sorted(set(value) - ALL_ENTITIES)
    return f"unknown entities {unknown}; known: {sorted(ALL_ENTITIES)}" if unknown else None
