from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

import pytest

from corridor.consent import (
    ConsentRefused,
    ConsentScope,
    ConsentTerms,
    VerifiedConsent,
    evaluate_consent,
    require_consent_allows,
    sign_consent,
    verify_signed_consent,
)
from corridor.crypto import SigningKeyPair

NOW = datetime(2025, 9, 1, tzinfo=UTC)
B = "did:web:hospital-b.test"


@pytest.fixture
def make_consent(
    make_terms: Callable[..., ConsentTerms], patient_key: SigningKeyPair
) -> Callable[..., VerifiedConsent]:
    def _make(**changes: object) -> VerifiedConsent:
        return verify_signed_consent(sign_consent(make_terms(**changes), patient_key))

    return _make


def test_allows_a_flow_inside_every_term(make_consent: Callable[..., VerifiedConsent]) -> None:
    requested = ConsentScope(frozenset({"Observation"}), date(2015, 1, 1), date(2016, 1, 1))
    decision = evaluate_consent(
        make_consent(), at=NOW, recipient_did=B, requested=requested, revoked=False
    )
    assert decision.allowed
    assert decision.reasons == ()


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"revoked": True}, "revoked"),
        ({"at": datetime(2025, 1, 1, tzinfo=UTC)}, "not valid before"),
        ({"at": datetime(2026, 3, 1, 9, 30, tzinfo=UTC)}, "expired"),
        ({"recipient_did": "did:web:elsewhere.test"}, "recipient"),
        ({"purpose": "HRESCH"}, "purpose"),
        ({"requested": ConsentScope(frozenset({"Procedure"}))}, "Procedure"),
        (
            {"requested": ConsentScope(frozenset({"Observation"}), date(2000, 1, 1), None)},
            "date range",
        ),
        ({"needs_prescribed_consent_hk": True}, "DPP3"),
    ],
)
def test_refuses_with_a_reason_for_each_broken_term(
    make_consent: Callable[..., VerifiedConsent], kwargs: dict[str, object], reason: str
) -> None:
    arguments: dict[str, object] = {"at": NOW, "recipient_did": B, "revoked": False}
    arguments.update(kwargs)
    decision = evaluate_consent(make_consent(), **arguments)  # type: ignore[arg-type]
    assert not decision.allowed
    assert len(decision.reasons) == 1
    assert reason in decision.reasons[0]


def test_separate_consents_are_required_when_the_flow_needs_them(
    make_consent: Callable[..., VerifiedConsent],
) -> None:
    consent = make_consent(cross_border_separate_consent=False, sensitive_separate_consent=False)
    decision = evaluate_consent(
        consent, at=NOW, recipient_did=B, revoked=False, needs_sensitive_consent=True
    )
    assert not decision.allowed
    assert any("PIPL art. 39" in reason for reason in decision.reasons)
    assert any("PIPL art. 29" in reason for reason in decision.reasons)
    relaxed = evaluate_consent(
        consent, at=NOW, recipient_did=B, revoked=False, needs_cross_border_consent=False
    )
    assert relaxed.allowed


def test_reports_every_reason_at_once(make_consent: Callable[..., VerifiedConsent]) -> None:
    decision = evaluate_consent(
        make_consent(),
        at=datetime(2030, 1, 1, tzinfo=UTC),
        recipient_did="did:web:x.test",
        revoked=True,
    )
    assert len(decision.reasons) == 3


def test_require_raises_consent_refused_with_reasons(
    make_consent: Callable[..., VerifiedConsent],
) -> None:
    with pytest.raises(ConsentRefused) as caught:
        require_consent_allows(make_consent(), at=NOW, recipient_did=B, revoked=True)
    assert caught.value.reasons == ("the patient revoked this consent",)
    assert caught.value.detail == {"reasons": ["the patient revoked this consent"]}
    assert require_consent_allows(make_consent(), at=NOW, recipient_did=B, revoked=False).allowed
