from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from corridor.consent import (
    ConsentSignatureInvalid,
    ConsentTerms,
    InvalidConsent,
    RevocationInvalid,
    SignedConsent,
    SignedRevocation,
    build_consent_resource,
    consent_digest,
    sign_consent,
    sign_revocation,
    verify_revocation,
    verify_signed_consent,
)
from corridor.crypto import (
    SigningKeyPair,
    b64url_decode,
    b64url_encode,
    canonical_json,
    did_key_from_public,
    sha256_hex,
)
from corridor.crypto.signing import sign_detached_jws

REVOKED_AT = datetime(2025, 6, 1, tzinfo=UTC)


def test_a_signed_consent_verifies_and_names_its_digest(signed: SignedConsent) -> None:
    verified = verify_signed_consent(signed)
    assert verified.digest == "sha256:" + sha256_hex(canonical_json(signed.resource))
    assert verified.digest == consent_digest(signed.resource)
    header = json.loads(b64url_decode(signed.jws.split(".")[0]))
    did = verified.terms.patient_did
    assert header == {
        "alg": "EdDSA",
        "kid": f"{did}#{did.removeprefix('did:key:')}",
        "typ": "corridor-consent+jws",
    }
    assert signed.jws.split(".")[1] == ""  # detached payload


def test_refuses_to_sign_with_a_key_other_than_the_patients(
    make_terms: Callable[..., ConsentTerms],
) -> None:
    with pytest.raises(InvalidConsent):
        sign_consent(make_terms(), SigningKeyPair.generate())


def test_refuses_a_consent_changed_after_signing(signed: SignedConsent) -> None:
    resource = json.loads(json.dumps(signed.resource))
    resource["provision"]["actor"][0]["reference"]["identifier"]["value"] = "did:web:evil.test"
    with pytest.raises(ConsentSignatureInvalid):
        verify_signed_consent(SignedConsent(resource=resource, jws=signed.jws))


def _kid(did: str) -> str:
    return f"{did}#{did.removeprefix('did:key:')}"


def test_refuses_a_consent_signed_by_someone_else_in_the_patients_name(
    make_terms: Callable[..., ConsentTerms],
) -> None:
    mallory = SigningKeyPair.generate()
    resource = build_consent_resource(make_terms())
    jws = sign_detached_jws(
        canonical_json(resource),
        mallory,
        kid=_kid(did_key_from_public(mallory.public)),
        extra={"typ": "corridor-consent+jws"},
    )
    with pytest.raises(ConsentSignatureInvalid, match="not signed by the patient"):
        verify_signed_consent(SignedConsent(resource=resource, jws=jws))


def test_refuses_a_jws_whose_kid_was_swapped(signed: SignedConsent) -> None:
    other = did_key_from_public(SigningKeyPair.generate().public)
    header = {"alg": "EdDSA", "kid": _kid(other), "typ": "corridor-consent+jws"}
    encoded = b64url_encode(json.dumps(header, separators=(",", ":")).encode())
    tampered = encoded + signed.jws[signed.jws.index(".") :]
    with pytest.raises(ConsentSignatureInvalid):
        verify_signed_consent(SignedConsent(resource=signed.resource, jws=tampered))


def test_file_form_round_trips_and_must_be_canonical(signed: SignedConsent) -> None:
    data = signed.to_bytes()
    assert SignedConsent.from_bytes(data) == signed
    with pytest.raises(InvalidConsent, match="canonical"):
        SignedConsent.from_bytes(json.dumps(signed.to_json(), indent=1).encode())


def test_any_single_byte_change_in_the_file_is_refused(signed: SignedConsent) -> None:
    data = signed.to_bytes()
    for position in range(len(data)):
        changed = bytearray(data)
        changed[position] = ord("A") if data[position] != ord("A") else ord("B")
        with pytest.raises((InvalidConsent, ConsentSignatureInvalid)):
            verify_signed_consent(SignedConsent.from_bytes(bytes(changed)))


def test_a_revocation_verifies_against_its_consent(
    signed: SignedConsent, patient_key: SigningKeyPair
) -> None:
    consent = verify_signed_consent(signed)
    revocation = sign_revocation(consent, patient_key, revoked_at=REVOKED_AT, reason="moved")
    verified = verify_revocation(revocation, consent)
    assert verified.consent_digest == consent.digest
    assert verified.revoked_at == REVOKED_AT
    assert verified.patient_did == consent.terms.patient_did
    assert SignedRevocation.from_json(revocation.to_json()) == revocation


def test_only_the_patient_can_revoke(signed: SignedConsent) -> None:
    consent = verify_signed_consent(signed)
    with pytest.raises(RevocationInvalid):
        sign_revocation(consent, SigningKeyPair.generate(), revoked_at=REVOKED_AT, reason="x")


def test_refuses_a_revocation_of_another_consent(
    make_terms: Callable[..., ConsentTerms], patient_key: SigningKeyPair
) -> None:
    first = verify_signed_consent(sign_consent(make_terms(), patient_key))
    second = verify_signed_consent(sign_consent(make_terms(consent_id="other"), patient_key))
    revocation = sign_revocation(first, patient_key, revoked_at=REVOKED_AT, reason="")
    with pytest.raises(RevocationInvalid, match="different consent"):
        verify_revocation(revocation, second)


def test_refuses_a_revocation_whose_payload_changed(
    signed: SignedConsent, patient_key: SigningKeyPair
) -> None:
    consent = verify_signed_consent(signed)
    revocation = sign_revocation(consent, patient_key, revoked_at=REVOKED_AT, reason="moved")
    payload = {**revocation.payload, "revoked_at": "2030-01-01T00:00:00Z"}
    with pytest.raises(RevocationInvalid):
        verify_revocation(SignedRevocation(payload=payload, jws=revocation.jws), consent)


def test_a_consent_signature_cannot_pass_as_a_revocation(
    signed: SignedConsent, patient_key: SigningKeyPair
) -> None:
    consent = verify_signed_consent(signed)
    payload = {"consent": consent.digest, "revoked_at": "2025-06-01T00:00:00Z", "reason": ""}
    did = consent.terms.patient_did
    jws = sign_detached_jws(
        canonical_json(payload),
        patient_key,
        kid=_kid(did),
        extra={"typ": "corridor-consent+jws"},
    )
    with pytest.raises(RevocationInvalid, match="typ"):
        verify_revocation(SignedRevocation(payload=payload, jws=jws), consent)
