import pytest

from corridor.crypto import AgreementKeyPair, SigningKeyPair
from corridor.identity import (
    build_did_document,
    did_document_url,
    did_web_for_url,
    parse_did_document,
)
from corridor.identity.errors import MalformedDid


def test_did_web_percent_encodes_the_port():
    assert did_web_for_url("http://127.0.0.1:8101") == "did:web:127.0.0.1%3A8101"
    assert (
        did_web_for_url("https://hospital.example/corridor") == "did:web:hospital.example:corridor"
    )


def test_did_web_documents_use_https_except_on_loopback_and_test_names():
    assert (
        did_document_url("did:web:hospital.example")
        == "https://hospital.example/.well-known/did.json"
    )
    assert (
        did_document_url("did:web:127.0.0.1%3A8101") == "http://127.0.0.1:8101/.well-known/did.json"
    )
    assert (
        did_document_url("did:web:hospital-a.test") == "http://hospital-a.test/.well-known/did.json"
    )
    assert (
        did_document_url("did:web:example.com:user:alice")
        == "https://example.com/user/alice/did.json"
    )


def test_a_document_round_trips_both_keys():
    signing, agreement = SigningKeyPair.generate(), AgreementKeyPair.generate()
    did = "did:web:hospital-a.test"
    keys = parse_did_document(
        build_did_document(did, signing.public_raw, agreement.public_raw), expected_did=did
    )
    assert keys.signing.public_bytes_raw() == signing.public_raw
    assert keys.agreement is not None
    assert keys.signing_kid == f"{did}#key-1"


def test_a_document_for_another_did_is_refused():
    signing, agreement = SigningKeyPair.generate(), AgreementKeyPair.generate()
    document = build_did_document("did:web:evil.test", signing.public_raw, agreement.public_raw)
    with pytest.raises(MalformedDid):
        parse_did_document(document, expected_did="did:web:hospital-a.test")
