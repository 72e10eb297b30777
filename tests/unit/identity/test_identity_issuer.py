from datetime import UTC, datetime, timedelta

import pytest

from corridor.clock import FixedClock
from corridor.crypto import SigningKeyPair
from corridor.identity import IssuerContext, Licence
from corridor.identity.credentials import (
    LICENSED_PROVIDER,
    VC_JWT_TYPE,
    jwt_kid,
    parse_credential,
    verify_jwt,
)
from corridor.identity.errors import CredentialNotFound, IssuanceRefused
from corridor.identity.issuer import (
    issue_credential,
    list_credentials,
    revoke_credential,
    status_list_token,
)
from corridor.identity.status_list import decode_status_list, encoded_list_of, is_set

REGULATOR = "did:web:regulator-a.test"
HOSPITAL = "did:web:hospital-a.test"


@pytest.fixture
def context(database) -> IssuerContext:
    return IssuerContext(
        database=database,
        key=SigningKeyPair.generate(),
        kid=f"{REGULATOR}#key-1",
        did=REGULATOR,
        jurisdiction="CN",
        clock=FixedClock(datetime(2026, 1, 1, tzinfo=UTC)),
        base_url="http://regulator-a.test",
        licences={HOSPITAL: (Licence(HOSPITAL, LICENSED_PROVIDER, "Hospital A"),)},
        validity_days=30,
    )


def _bits(context: IssuerContext) -> bytes:
    token = status_list_token(context=context, list_id="1")
    payload = verify_jwt(token, context.key.public, typ=VC_JWT_TYPE)
    return decode_status_list(
        encoded_list_of(payload, list_url=context.status_list_url(), issuer=REGULATOR)
    )


def test_a_licensed_institution_obtains_a_signed_credential_once(context):
    issued = issue_credential(context=context, holder=HOSPITAL, credential_type=LICENSED_PROVIDER)
    claims = parse_credential(
        verify_jwt(issued.token, context.key.public, typ=VC_JWT_TYPE), kid=jwt_kid(issued.token)
    )
    assert claims.holder == HOSPITAL
    assert claims.jurisdiction == "CN"
    assert claims.status.list_url == "http://regulator-a.test/api/identity/status/1"
    again = issue_credential(context=context, holder=HOSPITAL, credential_type=LICENSED_PROVIDER)
    assert again.id == issued.id
    assert [item.id for item in list_credentials(context=context)] == [issued.id]


def test_a_credential_close_to_its_end_is_replaced_by_a_new_one(context):
    first = issue_credential(context=context, holder=HOSPITAL, credential_type=LICENSED_PROVIDER)
    context.clock.advance(timedelta(days=29, hours=12))
    second = issue_credential(context=context, holder=HOSPITAL, credential_type=LICENSED_PROVIDER)
    assert second.id != first.id
    assert second.status_index != first.status_index


def test_an_institution_not_licensed_for_the_type_is_refused(context):
    with pytest.raises(IssuanceRefused):
        issue_credential(
            context=context, holder="did:web:hospital-z.test", credential_type=LICENSED_PROVIDER
        )
    with pytest.raises(IssuanceRefused):
        issue_credential(context=context, holder=HOSPITAL, credential_type="AccreditedDataCenter")


def test_revocation_sets_the_credentials_bit_in_the_status_list(context):
    issued = issue_credential(context=context, holder=HOSPITAL, credential_type=LICENSED_PROVIDER)
    assert not is_set(_bits(context), issued.status_index)
    revoked = revoke_credential(context=context, credential_id=issued.id, reason="licence lapsed")
    assert revoked.is_revoked
    assert is_set(_bits(context), issued.status_index)
    assert sum(byte.bit_count() for byte in _bits(context)) == 1
    # A revoked credential is not handed out again: a new one is issued.
    fresh = issue_credential(context=context, holder=HOSPITAL, credential_type=LICENSED_PROVIDER)
    assert fresh.id != issued.id


def test_revoking_an_unknown_credential_is_not_found(context):
    with pytest.raises(CredentialNotFound):
        revoke_credential(
            context=context,
            credential_id="urn:uuid:00000000-0000-4000-8000-000000000000",
            reason="x",
        )
