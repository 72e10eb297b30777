"""The facts a policy pack decides on: exactly the keys of RULES.md §4.1.

Omitted keys take the defaults of ``scenarios.json``; unknown keys are an error, so a
typo can never silently fall back to a permissive default.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from corridor.compliance.errors import InvalidFacts

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


@dataclass(frozen=True)
class FactsCase:
    """One set of facts to decide on, with the id and pack a scenarios file gives it."""

    id: str | None
    pack: str | None
    facts: Facts


def _facts(value: Any, where: str) -> Facts:
    try:
        return Facts.model_validate(value)
    except ValidationError as exc:
        problems = [
            f"{'.'.join(str(p) for p in error['loc']) or '(root)'}: {error['msg']}"
            for error in exc.errors()
        ]
        raise InvalidFacts(f"{where}: facts are invalid", detail={"problems": problems}) from exc


def parse_facts_document(value: Any) -> list[FactsCase]:
    """Read one facts object, or a ``scenarios.json``-shaped document.

    A scenarios document is an object with a ``scenarios`` list; each scenario has an
    ``id``, an ``input`` (facts, omitted keys take the document's ``defaults`` and then
    the model's) and optionally the ``pack`` it is meant for.
    """
    if not isinstance(value, dict):
        raise InvalidFacts("facts must be a JSON object (or a scenarios document)")
    if "scenarios" not in value:
        return [FactsCase(id=None, pack=None, facts=_facts(value, "facts"))]
    scenarios, defaults = value["scenarios"], value.get("defaults", {})
    if not isinstance(scenarios, list) or not isinstance(defaults, dict):
        raise InvalidFacts("a scenarios document needs a 'scenarios' list and a 'defaults' object")
    cases: list[FactsCase] = []
    seen: set[str] = set()
    for position, scenario in enumerate(scenarios):
        if not isinstance(scenario, dict) or not isinstance(scenario.get("id"), str):
            raise InvalidFacts(f"scenario #{position} needs a string 'id'")
        ident = scenario["id"]
        if ident in seen:
            raise InvalidFacts(f"scenario id {ident} appears twice")
        seen.add(ident)
        facts_input = scenario.get("input", {})
        pack = scenario.get("pack")
        if not isinstance(facts_input, dict) or not (pack is None or isinstance(pack, str)):
            raise InvalidFacts(f"scenario {ident}: 'input' must be an object, 'pack' a string")
        cases.append(
            FactsCase(id=ident, pack=pack, facts=_facts({**defaults, **facts_input}, ident))
        )
    return cases
