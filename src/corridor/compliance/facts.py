"""The facts a policy pack decides on: exactly the keys of RULES.md §4.1.

Omitted keys take the defaults of ``scenarios.json``; unknown keys are an error, so a
typo can never silently fall back to a permissive default.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

LegalBasis = Literal[
    "consent", "contract_necessity", "hr_management", "emergency_life_health", "statutory_duty"
]
ConsentCode = Literal[
    "cn_separate_cross_border",
    "cn_separate_sensitive",
    "cn_guardian",
    "hk_prescribed",
    "hk_written",
    "eu_explicit_transfer",
    "eu_explicit_art9",
]
Mechanism = Literal[
    "none",
    "cn_sc",
    "cn_certification",
    "cn_security_assessment",
    "gba_sc",
    "hk_rmc",
    "eu_scc",
    "eu_bcr",
]
EuArt9Basis = Literal[
    "none", "explicit_consent", "vital_interests", "health_care", "public_health", "research"
]


class Facts(BaseModel):
    """Everything a pack needs to know about one transfer (RULES.md §4.1)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    origin: str = Field(default="CN", pattern=r"^[A-Z]{2}(-[A-Z]+)?$")
    destination: str = Field(default="HK", pattern=r"^[A-Z]{2,3}(-[A-Z]+)?$")
    anonymised: bool = False
    has_pi: bool = True
    has_sensitive_pi: bool = False
    has_health: bool = False
    legal_basis: LegalBasis = "consent"
    emergency: bool = False
    consents: tuple[ConsentCode, ...] = ()
    notice_given: bool = True
    mechanism: Mechanism = "none"
    mechanism_effective: bool = True
    handler_is_ciio: bool = False
    handler_is_state_organ: bool = False
    exporter_in_mainland_gba: bool = False
    recipient_in_hk: bool = False
    important_data: bool = False
    hgr_info: bool = False
    hgr_sequencing_individuals: int = Field(default=0, ge=0)
    hgr_filing_done: bool = False
    hgr_security_review_passed: bool = False
    minors_under_14: bool = False
    ytd_general_individuals: int = Field(default=0, ge=0)
    ytd_sensitive_individuals: int = Field(default=0, ge=0)
    pipia_done: bool = True
    sc_filed: bool = False
    working_days_since_sc_effective: int = Field(default=0, ge=0)
    security_assessment_valid: bool = False
    certification_valid: bool = False
    onward_transfer_outside_gba: bool = False
    foreign_judicial_request: bool = False
    judicial_request_approved: bool = False
    in_ftz_and_not_on_negative_list: bool = False
    material_change_since_filing: bool = False
    storage_abroad_by_handler: bool = False
    pi_collected_abroad_transit: bool = False
    hk_purpose_directly_related: bool = True
    hk_transferee_class_notified: bool = True
    hk_uses_data_processor: bool = False
    hk_serious_harm_to_health: bool = False
    hk_life_threatening: bool = False
    hk_s33_in_force: bool = False
    gba_sc_filed: bool = False
    working_days_since_gba_sc_effective: int = Field(default=0, ge=0)
    eu_art9_basis: EuArt9Basis = "none"
    eu_tia_done: bool = False
    eu_occasional: bool = False
    eu_data_subject_incapable: bool = False
    eu_informed_of_risks: bool = False
    eu_public_authority_public_powers: bool = False
    eu_large_scale: bool = False

    def has_consent(self, code: ConsentCode) -> bool:
        """Whether the person gave the named consent."""
        return code in self.consents
