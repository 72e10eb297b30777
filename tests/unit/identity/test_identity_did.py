import pytest

from corridor.crypto import AgreementKeyPair, SigningKeyPair
from corridor.identity import (
    UnknownKey,
    build_did_document,
    did_document_url,
    did_web_for_url,
    parse_did_document,
)
from corridor.identity.did import PRESENTATION_SERVICE, keys_for_did_key
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


def test_a_base_url_replaces_the_origin_of_a_did_web_document():
    assert (
        did_document_url("did:web:hospital.example", base_url="http://127.0.0.1:9001/")
        == "http://127.0.0.1:9001/.well-known/did.json"
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


def test_a_rotated_document_keeps_retired_keys_for_assertions_but_not_for_requests():
    old, new, agreement = (
        SigningKeyPair.generate(),
        SigningKeyPair.generate(),
        AgreementKeyPair.generate(),
    )
    did = "did:web:hospital-a.test"
    document = build_did_document(
        did,
        new.public_raw,
        agreement.public_raw,
        signing_id="key-2",
        retired=[("key-1", old.public_raw)],
    )
    keys = parse_did_document(document, expected_did=did)
    assert keys.signing_kid == f"{did}#key-2"
    assert keys.key_for(f"{did}#key-1").public_bytes_raw() == old.public_raw
    assert keys.key_for(f"{did}#key-2", purpose="authentication").public_bytes_raw() == (
        new.public_raw
    )
    with pytest.raises(UnknownKey):
        keys.key_for(f"{did}#key-1", purpose="authentication")
    with pytest.raises(UnknownKey):
        keys.key_for(f"{did}#key-9")


def test_a_document_announces_where_the_node_presents_its_credentials():
    signing, agreement = SigningKeyPair.generate(), AgreementKeyPair.generate()
    did = "did:web:hospital-a.test"
    document = build_did_document(
        did,
        signing.public_raw,
        agreement.public_raw,
        presentation_url="http://hospital-a.test/.well-known/presentation",
    )
    keys = parse_did_document(document, expected_did=did)
    assert keys.services[PRESENTATION_SERVICE] == "http://hospital-a.test/.well-known/presentation"


def test_a_verification_method_of_another_did_is_refused():
    signing, agreement = SigningKeyPair.generate(), AgreementKeyPair.generate()
    did = "did:web:hospital-a.test"
    document = build_did_document(did, signing.public_raw, agreement.public_raw)
    document["verificationMethod"][0]["id"] = "did:web:evil.test#key-1"
    with pytest.raises(MalformedDid):
        parse_did_document(document, expected_did=did)


def test_a_malformed_did_key_is_refused():
    with pytest.raises(MalformedDid):
        keys_for_did_key("did:key:z6MkNOTAKEY")
