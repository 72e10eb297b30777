from datetime import date

import pytest

from corridor.compliance import DecisionInvalid, Facts, evaluate, load_packs, verify_signed_decision
from corridor.compliance.verdicts import SignedDecision, sign_decision
from corridor.crypto import SigningKeyPair

_REGULATOR = "did:web:regulator-a.test"


def _signed(key: SigningKeyPair, transfer: str = "transfer-0001") -> SignedDecision:
    decision = evaluate(load_packs().get("HK"), Facts(), as_of=date(2026, 11, 28), role="import")
    return sign_decision(
        decision=decision,
        transfer=transfer,
        regulator=_REGULATOR,
        jurisdiction="HK",
        time="2026-11-28T00:00:00Z",
        facts_digest="sha256:" + "0" * 64,
        key=key,
        kid=f"{_REGULATOR}#key-1",
    )


def test_a_signed_decision_verifies_under_the_regulators_key():
    key = SigningKeyPair.generate()
    verified = verify_signed_decision(
        _signed(key), regulator_key=key.public, transfer="transfer-0001"
    )
    assert verified.regulator == _REGULATOR
    assert verified.decision.pack == "HK"
    assert verified.digest.startswith("sha256:")


def test_rejects_a_decision_signed_by_another_key():
    with pytest.raises(DecisionInvalid, match="does not verify"):
        verify_signed_decision(
            _signed(SigningKeyPair.generate()),
            regulator_key=SigningKeyPair.generate().public,
            transfer="transfer-0001",
        )


def test_rejects_a_decision_for_another_transfer():
    key = SigningKeyPair.generate()
    with pytest.raises(DecisionInvalid, match="another transfer"):
        verify_signed_decision(_signed(key), regulator_key=key.public, transfer="transfer-0002")


def test_rejects_a_decision_whose_body_changed_after_signing():
    key = SigningKeyPair.generate()
    signed = _signed(key)
    tampered = SignedDecision(body={**signed.body, "jurisdiction": "CN"}, jws=signed.jws)
    with pytest.raises(DecisionInvalid):
        verify_signed_decision(tampered, regulator_key=key.public, transfer="transfer-0001")
