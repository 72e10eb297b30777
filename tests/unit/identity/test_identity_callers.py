import pytest

from corridor.identity import CallerNotAllowed, Directory, KnownParty, access
from corridor.identity.credentials import ACCREDITED_DATA_CENTER, LICENSED_PROVIDER

PORTAL = KnownParty("did:web:portal.test", "portal", "portal", "CN")
HOSPITAL = KnownParty("did:web:hospital-a.test", "hospital", "hospital-a", "CN")
OPERATOR = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
DIRECTORY = Directory(peers=[PORTAL, HOSPITAL], operators=[OPERATOR])


def _caller(did: str):
    return DIRECTORY.identify(did=did, kid=f"{did}#key-1")


def test_signers_are_mapped_to_peers_operators_patients_and_other_institutions():
    assert _caller(PORTAL.did).role == "peer"
    assert _caller(PORTAL.did).kind == "portal"
    assert _caller(OPERATOR).role == "operator"
    assert _caller("did:key:z6MkpTHR8VNsBxYAAWHut2Geadd9jSwuBV8xRoAnwWsdvktH").role == "patient"
    assert _caller("did:web:hospital-z.test").role == "institution"


def test_a_peer_of_an_allowed_kind_needs_nothing_more():
    assert access(peers=["portal"]).required_credentials(_caller(PORTAL.did)) == ()


def test_a_licensed_kind_needs_its_credential_even_from_a_configured_peer():
    rule = access(peers=["hospital"], licensed=["hospital"])
    assert rule.required_credentials(_caller(HOSPITAL.did)) == (LICENSED_PROVIDER,)


def test_an_unconfigured_institution_may_prove_itself_with_any_licensed_kind():
    rule = access(licensed=["hospital", "datacenter"])
    assert rule.required_credentials(_caller("did:web:x.test")) == (
        ACCREDITED_DATA_CENTER,
        LICENSED_PROVIDER,
    )


def test_callers_no_rule_admits_are_refused_with_who_may_call():
    with pytest.raises(CallerNotAllowed) as refused:
        access(operator=True).required_credentials(_caller(PORTAL.did))
    assert refused.value.detail == {"allowed": ["operators"]}
    with pytest.raises(CallerNotAllowed):
        access(operator=True).required_credentials(
            _caller("did:key:z6MkpTHR8VNsBxYAAWHut2Geadd9jSwuBV8xRoAnwWsdvktH")
        )
    # An empty rule admits nobody.
    with pytest.raises(CallerNotAllowed):
        access().required_credentials(_caller(OPERATOR))
