"""Factories for consent tests: a patient key and valid terms."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest

from corridor.consent import ConsentScope, ConsentTerms, SignedConsent, sign_consent
from corridor.crypto import SigningKeyPair, did_key_from_public

ISSUED = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)
EXPIRES = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
HOSPITAL_A = "did:web:hospital-a.test"
HOSPITAL_B = "did:web:hospital-b.test"


@pytest.fixture
def patient_key() -> SigningKeyPair:
    return SigningKeyPair.generate()


@pytest.fixture
def make_terms(patient_key: SigningKeyPair) -> Callable[..., ConsentTerms]:
    def _make(**changes: Any) -> ConsentTerms:
        values: dict[str, Any] = {
            "patient_did": did_key_from_public(patient_key.public),
            "custodian_did": HOSPITAL_A,
            "recipient_did": HOSPITAL_B,
            "purpose": "COC",
            "scope": ConsentScope(
                frozenset({"Condition", "Observation", "MedicationRequest"}),
                date(2010, 1, 1),
                date(2020, 12, 31),
            ),
            "issued_at": ISSUED,
            "expires_at": EXPIRES,
            "retention_days": 180,
            "cross_border_separate_consent": True,
            "sensitive_separate_consent": True,
            "prescribed_consent_hk": False,
            "consent_id": "consent-0001",
        }
        values.update(changes)
        return ConsentTerms(**values)

    return _make


@pytest.fixture
def signed(make_terms: Callable[..., ConsentTerms], patient_key: SigningKeyPair) -> SignedConsent:
    return sign_consent(make_terms(), patient_key)
