from datetime import UTC, date, datetime, timedelta

from corridor.consent import ConsentScope, ConsentTerms, sign_consent, verify_signed_consent
from corridor.crypto import SigningKeyPair, did_key_from_public
from corridor.transfers.assessment import (
    SenderProfile,
    YearToDate,
    age_on,
    derive_facts,
    patient_birth_date,
)

_NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
_PROFILE = SenderProfile(
    jurisdiction="CN",
    mechanism="gba_sc",
    contract_filed=True,
    in_mainland_gba=True,
    is_ciio=False,
    pipia_done=True,
)


def _consent(*, purpose: str = "TREAT", cross_border: bool = True):
    key = SigningKeyPair.generate()
    terms = ConsentTerms(
        patient_did=did_key_from_public(key.public),
        custodian_did="did:web:hospital-a.test",
        recipient_did="did:web:hospital-b.test",
        purpose=purpose,
        scope=ConsentScope(resource_types=frozenset({"Condition"}), data_from=None, data_to=None),
        issued_at=_NOW,
        expires_at=_NOW + timedelta(days=30),
        retention_days=30,
        cross_border_separate_consent=cross_border,
        sensitive_separate_consent=True,
        prescribed_consent_hk=False,
        consent_id="consent-1",
    )
    return verify_signed_consent(sign_consent(terms, key))


def test_a_medical_record_is_health_data_and_therefore_sensitive():
    facts = derive_facts(
        consent=_consent(),
        profile=_PROFILE,
        destination="HK",
        ytd=YearToDate(general=3, sensitive=3),
        birth_date=date(1970, 1, 1),
        at=_NOW,
    )
    assert facts.has_health
    assert facts.has_sensitive_pi
    assert facts.recipient_in_hk
    assert facts.gba_sc_filed
    assert not facts.sc_filed
    assert set(facts.consents) == {"cn_separate_cross_border", "cn_separate_sensitive"}
    assert facts.ytd_sensitive_individuals == 3


def test_a_missing_separate_consent_is_not_invented():
    facts = derive_facts(
        consent=_consent(cross_border=False),
        profile=_PROFILE,
        destination="HK",
        ytd=YearToDate(general=1, sensitive=1),
        birth_date=None,
        at=_NOW,
    )
    assert "cn_separate_cross_border" not in facts.consents


def test_research_is_not_directly_related_to_treatment():
    facts = derive_facts(
        consent=_consent(purpose="HRESCH"),
        profile=_PROFILE,
        destination="HK",
        ytd=YearToDate(general=1, sensitive=1),
        birth_date=None,
        at=_NOW,
    )
    assert not facts.hk_purpose_directly_related


def test_children_under_fourteen_are_flagged():
    facts = derive_facts(
        consent=_consent(),
        profile=_PROFILE,
        destination="HK",
        ytd=YearToDate(general=1, sensitive=1),
        birth_date=date(2015, 6, 1),
        at=_NOW,
    )
    assert facts.minors_under_14


def test_age_counts_completed_years():
    assert age_on(date(2012, 11, 29), date(2026, 11, 28)) == 13
    assert age_on(date(2012, 11, 28), date(2026, 11, 28)) == 14


def test_birth_date_is_read_from_the_patient_resource_with_partial_dates():
    bundle = {"entry": [{"resource": {"resourceType": "Patient", "birthDate": "1980-05"}}]}
    assert patient_birth_date(bundle) == date(1980, 5, 1)
    assert patient_birth_date({"entry": []}) is None
