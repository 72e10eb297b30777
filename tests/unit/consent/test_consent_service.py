from __future__ import annotations

from datetime import UTC, datetime

import pytest

from corridor.clock import FixedClock
from corridor.consent import (
    ConsentConflict,
    ConsentContext,
    ConsentNotFound,
    InvalidConsent,
    RevocationInvalid,
    SignedConsent,
    get_consent,
    is_revoked,
    record_consent,
    record_revocation,
    require_consent,
    sign_consent,
    sign_revocation,
)
from corridor.consent.service import consents_of_patient
from corridor.crypto import SigningKeyPair
from corridor.storage import Database

NOW = datetime(2025, 3, 2, tzinfo=UTC)


@pytest.fixture
def context(database: Database) -> ConsentContext:
    return ConsentContext(database=database, clock=FixedClock(NOW))


def test_records_a_consent_once_and_finds_it_by_digest_and_id(
    context: ConsentContext, signed: SignedConsent
) -> None:
    consent = record_consent(context=context, signed=signed)
    assert record_consent(context=context, signed=signed) == consent
    by_digest = require_consent(context=context, digest=consent.digest)
    by_id = require_consent(context=context, consent_id=consent.terms.consent_id)
    assert by_digest == by_id
    assert by_digest.consent.signed == signed
    assert not by_digest.is_revoked
    assert consents_of_patient(context=context, patient_did=consent.terms.patient_did) == [by_id]


def test_refuses_a_different_consent_under_a_used_id(
    context: ConsentContext, signed: SignedConsent, make_terms, patient_key: SigningKeyPair
) -> None:
    record_consent(context=context, signed=signed)
    other = sign_consent(make_terms(purpose="TREAT"), patient_key)
    with pytest.raises(ConsentConflict):
        record_consent(context=context, signed=other)


def test_refuses_to_store_a_badly_signed_consent(
    context: ConsentContext, signed: SignedConsent
) -> None:
    resource = {**signed.resource, "id": "consent-0002"}
    with pytest.raises(Exception, match="signature"):
        record_consent(context=context, signed=SignedConsent(resource=resource, jws=signed.jws))
    assert get_consent(context=context, consent_id="consent-0002") is None


def test_a_recorded_revocation_marks_the_consent_revoked(
    context: ConsentContext, signed: SignedConsent, patient_key: SigningKeyPair
) -> None:
    consent = record_consent(context=context, signed=signed)
    assert not is_revoked(context=context, digest=consent.digest)
    revocation = sign_revocation(consent, patient_key, revoked_at=NOW, reason="changed my mind")
    stored = record_revocation(context=context, signed=revocation)
    assert record_revocation(context=context, signed=revocation) == stored
    assert is_revoked(context=context, digest=consent.digest)
    found = require_consent(context=context, digest=consent.digest)
    assert found.revocation is not None
    assert found.revocation.reason == "changed my mind"
    second = sign_revocation(consent, patient_key, revoked_at=NOW, reason="again")
    with pytest.raises(ConsentConflict):
        record_revocation(context=context, signed=second)


def test_refuses_a_revocation_not_signed_by_the_patient(
    context: ConsentContext, signed: SignedConsent, patient_key: SigningKeyPair
) -> None:
    consent = record_consent(context=context, signed=signed)
    revocation = sign_revocation(consent, patient_key, revoked_at=NOW, reason="")
    forged = type(revocation)(
        payload=revocation.payload,
        jws=sign_revocation(
            consent, patient_key, revoked_at=datetime(2025, 3, 3, tzinfo=UTC), reason=""
        ).jws,
    )
    with pytest.raises(RevocationInvalid):
        record_revocation(context=context, signed=forged)
    assert not is_revoked(context=context, digest=consent.digest)


def test_missing_consents_are_none_or_not_found(context: ConsentContext) -> None:
    assert get_consent(context=context, digest="sha256:" + "0" * 64) is None
    with pytest.raises(ConsentNotFound):
        require_consent(context=context, consent_id="nope")
    with pytest.raises(InvalidConsent):
        get_consent(context=context)
