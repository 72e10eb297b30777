from datetime import UTC, datetime, timedelta

import pytest
from joserfc import jws

from corridor.crypto import SigningKeyPair
from corridor.identity import CredentialExpired
from corridor.identity.credentials import (
    LICENSED_PROVIDER,
    VC_JWT_TYPE,
    VP_JWT_TYPE,
    build_credential,
    build_presentation,
    jwt_kid,
    parse_credential,
    parse_presentation,
    require_current,
    sign_jwt,
    verify_jwt,
)
from corridor.identity.errors import CredentialInvalid
from corridor.identity.status_list import status_entry

REGULATOR = "did:web:regulator-a.test"
HOSPITAL = "did:web:hospital-a.test"
NOW = datetime(2026, 3, 1, tzinfo=UTC)


@pytest.fixture
def regulator_key() -> SigningKeyPair:
    return SigningKeyPair.generate()


def _credential(**changes):
    values = {
        "credential_id": "urn:uuid:00000000-0000-4000-8000-000000000001",
        "issuer": REGULATOR,
        "holder": HOSPITAL,
        "credential_type": LICENSED_PROVIDER,
        "jurisdiction": "CN",
        "name": "Hospital A",
        "valid_from": NOW,
        "valid_until": NOW + timedelta(days=365),
        "status": status_entry("http://regulator-a.test/api/identity/status/1", 7),
    }
    values.update(changes)
    return build_credential(**values)


def test_a_signed_credential_verifies_and_says_who_is_licensed_where(regulator_key):
    token = sign_jwt(_credential(), regulator_key, kid=f"{REGULATOR}#key-1", typ=VC_JWT_TYPE)
    kid = jwt_kid(token)
    claims = parse_credential(verify_jwt(token, regulator_key.public, typ=VC_JWT_TYPE), kid=kid)
    assert claims.holder == HOSPITAL
    assert claims.credential_type == LICENSED_PROVIDER
    assert claims.jurisdiction == "CN"
    assert claims.status.index == 7
    require_current(claims, at=NOW + timedelta(days=1))


def test_the_header_uses_the_fully_specified_ed25519_algorithm(regulator_key):
    token = sign_jwt(_credential(), regulator_key, kid=f"{REGULATOR}#key-1", typ=VC_JWT_TYPE)
    assert jws.extract_compact(token.encode()).protected == {
        "alg": "Ed25519",
        "kid": f"{REGULATOR}#key-1",
        "typ": "vc+jwt",
    }


def test_a_credential_signed_by_another_key_does_not_verify(regulator_key):
    token = sign_jwt(
        _credential(), SigningKeyPair.generate(), kid=f"{REGULATOR}#key-1", typ="vc+jwt"
    )
    with pytest.raises(CredentialInvalid, match="does not verify"):
        verify_jwt(token, regulator_key.public, typ=VC_JWT_TYPE)


def test_a_credential_whose_issuer_is_not_its_signer_is_refused(regulator_key):
    token = sign_jwt(_credential(), regulator_key, kid="did:web:other.test#key-1", typ="vc+jwt")
    payload = verify_jwt(token, regulator_key.public, typ=VC_JWT_TYPE)
    with pytest.raises(CredentialInvalid, match="not signed by its issuer"):
        parse_credential(payload, kid=jwt_kid(token))


def test_a_presentation_cannot_be_passed_off_as_a_credential(regulator_key):
    token = sign_jwt(build_presentation(HOSPITAL, []), regulator_key, kid="x#1", typ=VP_JWT_TYPE)
    with pytest.raises(CredentialInvalid, match="typ"):
        verify_jwt(token, regulator_key.public, typ=VC_JWT_TYPE)


def test_a_credential_outside_its_validity_period_is_refused(regulator_key):
    token = sign_jwt(_credential(), regulator_key, kid=f"{REGULATOR}#key-1", typ=VC_JWT_TYPE)
    claims = parse_credential(
        verify_jwt(token, regulator_key.public, typ=VC_JWT_TYPE), kid=jwt_kid(token)
    )
    with pytest.raises(CredentialExpired):
        require_current(claims, at=NOW + timedelta(days=365))
    with pytest.raises(CredentialExpired):
        require_current(claims, at=NOW - timedelta(seconds=1))


def test_a_credential_of_an_unknown_type_is_refused(regulator_key):
    payload = _credential()
    payload["type"] = ["VerifiableCredential", "DrivingLicence"]
    with pytest.raises(CredentialInvalid, match="one known type"):
        parse_credential(payload, kid=f"{REGULATOR}#key-1")


def test_a_presentation_envelopes_credentials_and_names_its_holder():
    holder_key = SigningKeyPair.generate()
    token = sign_jwt(
        build_presentation(HOSPITAL, ["a.b.c"]), holder_key, kid=f"{HOSPITAL}#key-1", typ="vp+jwt"
    )
    payload = verify_jwt(token, holder_key.public, typ=VP_JWT_TYPE)
    assert parse_presentation(payload, kid=jwt_kid(token)) == ["a.b.c"]
    with pytest.raises(CredentialInvalid, match="holder"):
        parse_presentation(payload, kid="did:web:someone-else.test#key-1")
