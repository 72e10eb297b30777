"""An independent, procedural reading of RULES.md §4.3-§4.4 to check the Cedar packs against.

RULES.md §6.3 recommends keeping a Python oracle as the semantic test of the packs. It is
written from the rule tables, not from the Cedar text, and answers only the two things
every scenario pins exactly: the decision class and the mechanism.
"""

from __future__ import annotations

from datetime import date

from corridor.compliance import Facts

_EEA = frozenset(
    [
        "AT",
        "BE",
        "BG",
        "HR",
        "CY",
        "CZ",
        "DK",
        "EE",
        "FI",
        "FR",
        "DE",
        "GR",
        "EL",
        "HU",
        "IE",
        "IT",
        "LV",
        "LT",
        "LU",
        "MT",
        "NL",
        "PL",
        "PT",
        "RO",
        "SK",
        "SI",
        "ES",
        "SE",
        "IS",
        "LI",
        "NO",
        "EU",
    ]
)
_ADEQUATE = frozenset(
    [
        "AD",
        "AR",
        "CA",
        "CH",
        "EPO",
        "FO",
        "GB",
        "GG",
        "IL",
        "IM",
        "JE",
        "JP",
        "KR",
        "NZ",
        "US-DPF",
        "UY",
    ]
)
_CERTIFICATION_FROM = date(2026, 1, 1)


def cn_export(f: Facts, as_of: date) -> tuple[str, str]:  # noqa: C901, PLR0912  # the table, row by row
    pi = f.has_pi and not f.anonymised
    sensitive = pi and (f.has_sensitive_pi or f.has_health or f.minors_under_14)
    judicial = f.foreign_judicial_request and not f.judicial_request_approved
    if not pi and not f.important_data and not f.hgr_info:
        return ("DENY" if judicial else "PERMIT"), "NONE"
    consent = f.legal_basis == "consent"
    blocked = any(
        [
            judicial,
            pi and f.storage_abroad_by_handler and f.has_health,
            f.hgr_info and not f.hgr_filing_done,
            f.hgr_info and f.hgr_sequencing_individuals > 500 and not f.hgr_security_review_passed,
            pi and consent and "cn_separate_cross_border" not in f.consents,
            sensitive and consent and "cn_separate_sensitive" not in f.consents,
            pi and f.minors_under_14 and consent and "cn_guardian" not in f.consents,
            pi and not f.emergency and not f.notice_given,
            pi and not f.emergency and not f.pipia_done,
            pi and f.mechanism == "gba_sc" and f.onward_transfer_outside_gba,
            f.material_change_since_filing,
        ]
    )
    if f.important_data or f.handler_is_state_organ:
        route = "SECURITY_ASSESSMENT"
    elif f.pi_collected_abroad_transit:
        route = "EXEMPT_ART4"
    elif f.emergency:
        route = "EXEMPT_ART5_3"
    elif f.legal_basis == "contract_necessity":
        route = "EXEMPT_ART5_1"
    elif f.legal_basis == "hr_management":
        route = "EXEMPT_ART5_2"
    elif f.in_ftz_and_not_on_negative_list:
        route = "EXEMPT_ART6_FTZ"
    elif (
        f.handler_is_ciio
        or f.ytd_general_individuals >= 1_000_000
        or f.ytd_sensitive_individuals >= 10_000
    ):
        route = "SECURITY_ASSESSMENT"
    elif f.ytd_general_individuals >= 100_000 or sensitive:
        route = "SC_OR_CERT"
    else:
        route = "EXEMPT_ART5_4"
    if blocked:
        return "DENY", route
    if route.startswith("EXEMPT"):
        return "PERMIT_WITH_OBLIGATIONS", route
    in_band = (
        not f.important_data
        and not f.handler_is_state_organ
        and not f.handler_is_ciio
        and f.ytd_general_individuals < 1_000_000
        and f.ytd_sensitive_individuals < 10_000
    )
    candidates = [
        (f.security_assessment_valid, "SECURITY_ASSESSMENT"),
        (
            f.mechanism == "gba_sc"
            and f.mechanism_effective
            and f.exporter_in_mainland_gba
            and f.recipient_in_hk
            and not f.important_data
            and not f.handler_is_ciio
            and (f.gba_sc_filed or f.working_days_since_gba_sc_effective <= 10),
            "GBA_SC",
        ),
        (
            in_band
            and f.mechanism == "cn_sc"
            and f.mechanism_effective
            and (f.sc_filed or f.working_days_since_sc_effective <= 10),
            "CN_SC",
        ),
        (in_band and f.certification_valid and as_of >= _CERTIFICATION_FROM, "CN_CERTIFICATION"),
    ]
    for holds, mechanism in candidates:
        if holds:
            return "PERMIT_WITH_OBLIGATIONS", mechanism
    return "DENY", route


def hk_export(f: Facts) -> tuple[str, str]:
    if not (f.has_pi and not f.anonymised):
        return "PERMIT", "NONE"
    new = not f.hk_purpose_directly_related or not f.hk_transferee_class_notified
    prescribed = "hk_prescribed" in f.consents
    s59 = f.has_health and f.hk_serious_harm_to_health
    s63c = f.hk_life_threatening
    if new and not prescribed and not s59 and not s63c:
        return "DENY", "PRESCRIBED_CONSENT"
    mechanism = (
        "DPP3_ORIGINAL_PURPOSE"
        if not new
        else "PRESCRIBED_CONSENT"
        if prescribed
        else "EXEMPTION_PART8"
    )
    s33_ground = "hk_written" in f.consents or f.mechanism in {"hk_rmc", "gba_sc"} or s59 or s63c
    if f.hk_s33_in_force and not s33_ground:
        return "DENY", mechanism
    return "PERMIT_WITH_OBLIGATIONS", mechanism


def eu_export(f: Facts) -> tuple[str, str]:  # noqa: PLR0911  # one return per row of §4.4
    if not (f.has_pi and not f.anonymised):
        return "PERMIT", "NONE"
    special = f.has_health or f.has_sensitive_pi or f.hgr_info
    basis = f.eu_art9_basis
    art9 = (
        (basis == "explicit_consent" and "eu_explicit_art9" in f.consents)
        or (basis == "vital_interests" and f.eu_data_subject_incapable)
        or basis in {"health_care", "public_health", "research"}
    )
    if special and not art9:
        return "DENY", "ART9_CONDITION"
    if f.destination in _EEA:
        return "PERMIT", "NONE"
    if f.destination in _ADEQUATE:
        return "PERMIT_WITH_OBLIGATIONS", "ADEQUACY"
    if f.mechanism in {"eu_scc", "eu_bcr"}:
        mechanism = "EU_SCC" if f.mechanism == "eu_scc" else "EU_BCR"
        return ("PERMIT_WITH_OBLIGATIONS" if f.eu_tia_done else "DENY"), mechanism
    public = f.eu_public_authority_public_powers
    if f.eu_data_subject_incapable and f.emergency:
        return "PERMIT_WITH_OBLIGATIONS", "DEROGATION_49_1_F"
    if (
        "eu_explicit_transfer" in f.consents
        and f.eu_informed_of_risks
        and f.eu_occasional
        and not public
    ):
        return "PERMIT_WITH_OBLIGATIONS", "DEROGATION_49_1_A"
    if f.legal_basis == "contract_necessity" and f.eu_occasional and not public:
        return "PERMIT_WITH_OBLIGATIONS", "DEROGATION_49_1_B"
    return "DENY", "NO_CHAPTER_V_BASIS"


def expected(pack: str, f: Facts, as_of: date) -> tuple[str, str]:
    if pack == "CN":
        return cn_export(f, as_of)
    if pack == "HK":
        return hk_export(f)
    return eu_export(f)
