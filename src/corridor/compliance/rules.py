"""A first, small rule set for the exporting (CN) and importing (HK) side of a transfer.

Pure. This is the walking-skeleton pack: it implements the blockers and routes of
RULES.md §4.3 that a consent-based medical transfer from a Mainland GBA hospital to a Hong
Kong hospital meets (separate consents, PIPIA, notice, volume routes, GBA / national
standard contract, filing deadline, material change), and the PDPO DPP1/DPP3 check on the
receiving side (§4.4). The full Cedar packs for CN, HK and EU replace it; rule ids and
citations are the ones RULES.md uses so decisions stay comparable.
"""

from __future__ import annotations

from corridor.compliance.facts import Facts
from corridor.compliance.models import Decision, Role, _Trace
from corridor.crypto.canonical import canonical_json
from corridor.crypto.hashing import sha256_hex

PACK_VERSION = "0.1.0"

# The rule table is data so that its digest identifies exactly what decided.
_RULE_TABLE: dict[str, tuple[tuple[str, str], ...]] = {
    "CN": (
        ("CN-R01", "PIPL art. 4, art. 73(4); CBDF art. 3"),
        ("CN-R91", "Population Health Information Measures art. 10"),
        ("CN-R30-SEPARATE-CONSENT-XB", "PIPL art. 39"),
        ("CN-R31-SEPARATE-CONSENT-SENSITIVE", "PIPL art. 29"),
        ("CN-R32-GUARDIAN-CONSENT", "PIPL art. 31"),
        ("CN-R33-NOTICE", "PIPL arts. 17, 39"),
        ("CN-R34-PIPIA", "PIPL arts. 55-56; CBDF art. 10"),
        ("CN-R36-MATERIAL-CHANGE", "SCM art. 8; SA Measures art. 14"),
        ("CN-R43-EMERGENCY", "CBDF art. 5(3)"),
        ("CN-R13-VOLUME-SA", "CBDF art. 7(2)"),
        ("CN-R14-VOLUME-SC", "CBDF art. 8"),
        ("CN-R44-SMALL-VOLUME", "CBDF art. 5(4)"),
        ("CN-R16-GBA-SC", "GBA (Mainland, HK) Standard Contract Guidelines"),
        ("CN-R15-SC", "CBDF art. 8; SCM arts. 5, 7"),
        ("CN-R17-SA-VALID", "CBDF art. 9"),
        ("CN-R19-SC-FILING-OVERDUE", "SCM art. 7"),
        ("CN-R18-SC-MISSING", "CBDF arts. 7-8; PIPL art. 38"),
        ("CN-R18-SA-MISSING", "CBDF art. 7; PIPL art. 38"),
    ),
    "HK": (
        ("HK-R01", "PDPO s.2(1)"),
        ("HK-R03-DPP3", "PDPO Sch. 1 DPP3, DPP1(3)"),
        ("HK-R10-DPP4", "PDPO Sch. 1 DPP4"),
    ),
}
_CITATION = {rule: cite for rules in _RULE_TABLE.values() for rule, cite in rules}
_SA_GENERAL = 1_000_000  # CBDF art. 7(2)
_SA_SENSITIVE = 10_000  # CBDF art. 7(2)
_SC_GENERAL = 100_000  # CBDF art. 8
_FILING_WORKING_DAYS = 10  # SCM art. 7; GBA Guidelines


def pack_digest(pack: str) -> str:
    """SHA-256 over the canonical rule table of ``pack``, recorded with every decision."""
    table = [list(row) for row in _RULE_TABLE[pack]]
    return "sha256:" + sha256_hex(
        canonical_json({"pack": pack, "version": PACK_VERSION, "rules": table})
    )


def _fire(trace: _Trace, rule_id: str, reason: str = "") -> None:
    trace.fire(rule_id, _CITATION[rule_id], reason)


def _decide(pack: str, role: Role, verdict: str, mechanism: str, trace: _Trace) -> Decision:
    return Decision(
        decision="DENY"
        if verdict == "DENY"
        else ("PERMIT" if verdict == "PERMIT" else "PERMIT_WITH_OBLIGATIONS"),
        mechanism=mechanism,
        pack=pack,
        pack_version=PACK_VERSION,
        pack_digest=pack_digest(pack),
        role=role,
        obligations=tuple(trace.obligations),
        rule_ids=tuple(trace.rule_ids),
        citations=tuple(trace.citations),
        reasons=tuple(trace.reasons),
    )


def _cn_blockers(facts: Facts, trace: _Trace) -> bool:
    """Return True when a blocker fired (RULES.md §4.3: blockers come first)."""
    blocked = False
    if facts.storage_abroad_by_handler and facts.has_health:
        _fire(trace, "CN-R91", "health data stored on servers abroad")
        blocked = True
    if facts.legal_basis == "consent" and not facts.emergency:
        if not facts.has_consent("cn_separate_cross_border"):
            _fire(
                trace,
                "CN-R30-SEPARATE-CONSENT-XB",
                "no separate consent to the cross-border provision",
            )
            blocked = True
        if facts.has_sensitive_pi and not facts.has_consent("cn_separate_sensitive"):
            _fire(
                trace, "CN-R31-SEPARATE-CONSENT-SENSITIVE", "no separate consent for sensitive PI"
            )
            blocked = True
        if facts.minors_under_14 and not facts.has_consent("cn_guardian"):
            _fire(trace, "CN-R32-GUARDIAN-CONSENT", "no guardian consent for a child under 14")
            blocked = True
    if not facts.emergency:
        if not facts.notice_given:
            _fire(trace, "CN-R33-NOTICE", "no art. 39 notice")
            blocked = True
        if not facts.pipia_done:
            _fire(trace, "CN-R34-PIPIA", "no prior PIPIA")
            blocked = True
    if facts.material_change_since_filing:
        _fire(
            trace, "CN-R36-MATERIAL-CHANGE", "material change since filing: re-assess and re-file"
        )
        blocked = True
    return blocked


def evaluate_cn_export(facts: Facts) -> Decision:
    """The exporting side under Mainland law (subset of RULES.md §4.3)."""
    trace = _Trace()
    if facts.anonymised or not facts.has_pi:
        _fire(trace, "CN-R01")
        return _decide("CN", "export", "PERMIT", "NONE", trace)
    sensitive = facts.has_sensitive_pi or facts.has_health
    blocked = _cn_blockers(facts, trace)
    if facts.emergency and not blocked:
        _fire(trace, "CN-R43-EMERGENCY")
        trace.oblige(
            "CN_NOTIFY_AFTER_EMERGENCY",
            "CN_PIPIA_AND_RECORDS_RETAIN_3Y",
            "CN_ENSURE_RECIPIENT_PIPL_STANDARD",
        )
        return _decide("CN", "export", "PERMIT_WITH_OBLIGATIONS", "EXEMPT_ART5_3", trace)
    if (
        facts.ytd_general_individuals >= _SA_GENERAL
        or facts.ytd_sensitive_individuals >= _SA_SENSITIVE
    ):
        _fire(trace, "CN-R13-VOLUME-SA")
        route = "SECURITY_ASSESSMENT"
    elif facts.ytd_general_individuals >= _SC_GENERAL or sensitive:
        _fire(trace, "CN-R14-VOLUME-SC")
        route = "SC_OR_CERT"
    else:
        _fire(trace, "CN-R44-SMALL-VOLUME")
        route = "EXEMPT_ART5_4"
    if blocked:
        return _decide(
            "CN", "export", "DENY", route if route != "EXEMPT_ART5_4" else "SC_OR_CERT", trace
        )
    trace.oblige(
        "CN_NOTICE_ART39_CONTENT",
        "CN_PIPIA_AND_RECORDS_RETAIN_3Y",
        "CN_ENSURE_RECIPIENT_PIPL_STANDARD",
        "CN_UPDATE_YTD_COUNTERS",
    )
    if sensitive:
        trace.oblige("CN_NOTICE_SENSITIVE_NECESSITY_IMPACT")
    if route == "EXEMPT_ART5_4":
        return _decide("CN", "export", "PERMIT_WITH_OBLIGATIONS", route, trace)
    return _cn_mechanism(facts, trace, route)


def _cn_mechanism(facts: Facts, trace: _Trace, route: str) -> Decision:
    gba = _cn_gba_contract(facts, trace)
    if gba is not None:
        return gba
    if facts.mechanism == "cn_security_assessment" and facts.security_assessment_valid:
        _fire(trace, "CN-R17-SA-VALID")
        trace.oblige("CN_SA_RENEW_60WD_BEFORE_EXPIRY", "CN_SA_REAPPLY_ON_CHANGE")
        return _decide("CN", "export", "PERMIT_WITH_OBLIGATIONS", "SECURITY_ASSESSMENT", trace)
    if route == "SECURITY_ASSESSMENT":
        _fire(trace, "CN-R18-SA-MISSING", "volume requires a CAC security assessment")
        return _decide("CN", "export", "DENY", "SECURITY_ASSESSMENT", trace)
    return _cn_standard_contract(facts, trace)


def _cn_gba_contract(facts: Facts, trace: _Trace) -> Decision | None:
    """GBA standard contract route (CN-R16 / CN-R19G), or None when it does not apply."""
    gba_eligible = (
        facts.exporter_in_mainland_gba and facts.recipient_in_hk and not facts.handler_is_ciio
    )
    if facts.mechanism == "gba_sc" and gba_eligible and facts.mechanism_effective:
        if facts.gba_sc_filed or facts.working_days_since_gba_sc_effective <= _FILING_WORKING_DAYS:
            _fire(trace, "CN-R16-GBA-SC")
            trace.oblige("CN_GBA_NO_ONWARD_OUTSIDE_GBA")
            if not facts.gba_sc_filed:
                trace.oblige("CN_GBA_FILE_WITHIN_10WD")
            return _decide("CN", "export", "PERMIT_WITH_OBLIGATIONS", "GBA_SC", trace)
        _fire(
            trace,
            "CN-R19-SC-FILING-OVERDUE",
            "GBA standard contract not filed within 10 working days",
        )
        return _decide("CN", "export", "DENY", "GBA_SC", trace)
    return None


def _cn_standard_contract(facts: Facts, trace: _Trace) -> Decision:
    """National standard contract route (CN-R15 / CN-R19), else the mechanism is missing."""
    if facts.mechanism == "cn_sc" and facts.mechanism_effective:
        if facts.sc_filed or facts.working_days_since_sc_effective <= _FILING_WORKING_DAYS:
            _fire(trace, "CN-R15-SC")
            trace.oblige("CN_REFILE_ON_CHANGE")
            if not facts.sc_filed:
                trace.oblige("CN_FILE_SC_WITHIN_10WD")
            return _decide("CN", "export", "PERMIT_WITH_OBLIGATIONS", "CN_SC", trace)
        _fire(
            trace, "CN-R19-SC-FILING-OVERDUE", "standard contract not filed within 10 working days"
        )
        return _decide("CN", "export", "DENY", "CN_SC", trace)
    _fire(trace, "CN-R18-SC-MISSING", "no standard contract, certification or assessment in force")
    return _decide("CN", "export", "DENY", "SC_OR_CERT", trace)


def evaluate_hk_import(facts: Facts) -> Decision:
    """The receiving side under the PDPO: DPP1 collection for a purpose, DPP3 use, DPP4 security.

    [I] RULES.md §4.4 models HK as the exporting side; as the *importing* side the HK
    hospital collects the record, so the same DPP3 test applies to the purpose it will use
    the record for: directly related to the purpose of collection (treatment), or with
    prescribed consent.
    """
    trace = _Trace()
    if facts.anonymised or not facts.has_pi:
        _fire(trace, "HK-R01")
        return _decide("HK", "import", "PERMIT", "NONE", trace)
    directly_related = facts.hk_purpose_directly_related and facts.hk_transferee_class_notified
    if not directly_related and not facts.has_consent("hk_prescribed"):
        _fire(trace, "HK-R03-DPP3", "purpose not directly related and no prescribed consent")
        return _decide("HK", "import", "DENY", "PRESCRIBED_CONSENT", trace)
    _fire(trace, "HK-R10-DPP4")
    trace.oblige("HK_SECURITY_DPP4")
    if facts.mechanism == "gba_sc":
        trace.oblige("HK_GBA_NO_ONWARD_OUTSIDE_GBA")
    mechanism = "DPP3_ORIGINAL_PURPOSE" if directly_related else "PRESCRIBED_CONSENT"
    return _decide("HK", "import", "PERMIT_WITH_OBLIGATIONS", mechanism, trace)


def evaluate(pack: str, role: Role, facts: Facts) -> Decision:
    """Evaluate the skeleton pack for a jurisdiction and role; unknown pairs deny (fail closed)."""
    if pack == "CN" and role == "export":
        return evaluate_cn_export(facts)
    if pack == "HK" and role == "import":
        return evaluate_hk_import(facts)
    trace = _Trace()
    trace.reasons.append(f"no {role} rules for jurisdiction {pack!r} in this pack version")
    return Decision(
        decision="DENY",
        mechanism="NONE",
        pack=pack,
        pack_version=PACK_VERSION,
        pack_digest="sha256:" + sha256_hex(canonical_json({"pack": pack, "version": PACK_VERSION})),
        role=role,
        reasons=tuple(trace.reasons),
    )
