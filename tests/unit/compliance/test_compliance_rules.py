from corridor.compliance import Facts, evaluate
from corridor.compliance.rules import pack_digest

_GBA = {
    "origin": "CN",
    "destination": "HK",
    "has_sensitive_pi": True,
    "has_health": True,
    "exporter_in_mainland_gba": True,
    "recipient_in_hk": True,
    "consents": ["cn_separate_cross_border", "cn_separate_sensitive"],
    "mechanism": "gba_sc",
    "gba_sc_filed": True,
    "ytd_sensitive_individuals": 800,
    "ytd_general_individuals": 800,
}


def test_permits_a_filed_gba_contract_transfer_with_both_separate_consents():
    decision = evaluate("CN", "export", Facts.model_validate(_GBA))
    assert decision.decision == "PERMIT_WITH_OBLIGATIONS"
    assert decision.mechanism == "GBA_SC"
    assert "CN-R16-GBA-SC" in decision.rule_ids
    assert "CN_ENSURE_RECIPIENT_PIPL_STANDARD" in decision.obligations


def test_denies_without_separate_cross_border_consent_citing_art_39():
    decision = evaluate(
        "CN", "export", Facts.model_validate({**_GBA, "consents": ["cn_separate_sensitive"]})
    )
    assert decision.decision == "DENY"
    assert "CN-R30-SEPARATE-CONSENT-XB" in decision.rule_ids
    assert "PIPL art. 39" in decision.citations


def test_denies_without_separate_sensitive_consent_citing_art_29():
    decision = evaluate(
        "CN", "export", Facts.model_validate({**_GBA, "consents": ["cn_separate_cross_border"]})
    )
    assert decision.decision == "DENY"
    assert "CN-R31-SEPARATE-CONSENT-SENSITIVE" in decision.rule_ids


def test_requires_a_security_assessment_above_ten_thousand_sensitive_individuals():
    decision = evaluate(
        "CN",
        "export",
        Facts.model_validate(
            {**_GBA, "mechanism": "cn_sc", "sc_filed": True, "ytd_sensitive_individuals": 12_000}
        ),
    )
    assert decision.decision == "DENY"
    assert decision.mechanism == "SECURITY_ASSESSMENT"
    assert "CN-R13-VOLUME-SA" in decision.rule_ids


def test_emergency_transfer_is_exempt_and_defers_notice():
    decision = evaluate(
        "CN",
        "export",
        Facts.model_validate(
            {
                **_GBA,
                "legal_basis": "emergency_life_health",
                "emergency": True,
                "consents": [],
                "notice_given": False,
            }
        ),
    )
    assert decision.decision == "PERMIT_WITH_OBLIGATIONS"
    assert decision.mechanism == "EXEMPT_ART5_3"
    assert "CN_NOTIFY_AFTER_EMERGENCY" in decision.obligations


def test_gba_contract_is_refused_for_an_exporter_outside_the_greater_bay_area():
    decision = evaluate(
        "CN", "export", Facts.model_validate({**_GBA, "exporter_in_mainland_gba": False})
    )
    assert decision.decision == "DENY"
    assert decision.mechanism == "SC_OR_CERT"


def test_material_change_since_filing_blocks_until_refiled():
    decision = evaluate(
        "CN", "export", Facts.model_validate({**_GBA, "material_change_since_filing": True})
    )
    assert decision.decision == "DENY"
    assert "CN-R36-MATERIAL-CHANGE" in decision.rule_ids


def test_hong_kong_import_permits_treatment_and_denies_new_purpose_without_prescribed_consent():
    treatment = evaluate("HK", "import", Facts.model_validate(_GBA))
    assert treatment.decision == "PERMIT_WITH_OBLIGATIONS"
    assert treatment.mechanism == "DPP3_ORIGINAL_PURPOSE"
    research = evaluate(
        "HK", "import", Facts.model_validate({**_GBA, "hk_purpose_directly_related": False})
    )
    assert research.decision == "DENY"
    assert research.mechanism == "PRESCRIBED_CONSENT"


def test_unknown_pack_and_role_fail_closed():
    decision = evaluate("EU", "import", Facts.model_validate(_GBA))
    assert decision.decision == "DENY"
    assert decision.reasons


def test_pack_digest_names_the_rule_table():
    assert pack_digest("CN").startswith("sha256:")
    assert pack_digest("CN") != pack_digest("HK")
