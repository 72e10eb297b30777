"""Derive the compliance facts of a real transfer (pure).

The facts come from the patient's consent, the record's categories, the sender's export
profile (its contract and filings) and its year-to-date counters. RULES.md §4.1 says a
medical record implies health data, which is sensitive personal information (PIPL art. 28).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

# Pure: import the pure modules directly, not the packages' public surface (which also
# exports their services and clients).
from corridor.compliance.facts import Facts
from corridor.consent.signing import VerifiedConsent

_MINOR_AGE = 14  # PIPL art. 31
_DIRECTLY_RELATED_PURPOSES = frozenset({"TREAT", "ETREAT", "COC", "CAREMGT", "PATRQT"})


@dataclass(frozen=True)
class SenderProfile:
    """The sending hospital's standing export arrangements."""

    jurisdiction: str
    mechanism: str
    contract_filed: bool
    in_mainland_gba: bool
    is_ciio: bool
    pipia_done: bool


@dataclass(frozen=True)
class YearToDate:
    """Distinct individuals exported this calendar year, this transfer included."""

    general: int
    sensitive: int


def patient_birth_date(bundle: dict[str, Any]) -> date | None:
    """The Patient's birthDate in a bundle, if any."""
    for entry in bundle.get("entry", []):
        resource = entry.get("resource", {})
        if resource.get("resourceType") == "Patient" and resource.get("birthDate"):
            text = str(resource["birthDate"])
            parts = [int(p) for p in text.split("-")] + [1, 1]
            return date(parts[0], parts[1], parts[2])
    return None


def age_on(birth: date, day: date) -> int:
    """Completed years of age on ``day``."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def derive_facts(
    *,
    consent: VerifiedConsent,
    profile: SenderProfile,
    destination: str,
    ytd: YearToDate,
    birth_date: date | None,
    at: datetime,
) -> Facts:
    """The facts both regulators decide on for this transfer."""
    terms = consent.terms
    consents: list[str] = []
    if terms.cross_border_separate_consent:
        consents.append("cn_separate_cross_border")
    if terms.sensitive_separate_consent:
        consents.append("cn_separate_sensitive")
    if terms.prescribed_consent_hk:
        consents.append("hk_prescribed")
    minor = birth_date is not None and age_on(birth_date, at.date()) < _MINOR_AGE
    return Facts.model_validate(
        {
            "origin": profile.jurisdiction,
            "destination": destination,
            "has_pi": True,
            "has_sensitive_pi": True,
            "has_health": True,
            "legal_basis": "consent",
            "consents": consents,
            "mechanism": profile.mechanism,
            "handler_is_ciio": profile.is_ciio,
            "exporter_in_mainland_gba": profile.in_mainland_gba,
            "recipient_in_hk": destination == "HK",
            "minors_under_14": minor,
            "ytd_general_individuals": ytd.general,
            "ytd_sensitive_individuals": ytd.sensitive,
            "pipia_done": profile.pipia_done,
            "sc_filed": profile.mechanism == "cn_sc" and profile.contract_filed,
            "gba_sc_filed": profile.mechanism == "gba_sc" and profile.contract_filed,
            "hk_purpose_directly_related": terms.purpose in _DIRECTLY_RELATED_PURPOSES,
        }
    )
