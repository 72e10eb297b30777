import pytest

from corridor.crypto import SignatureInvalid, SigningKeyPair, sign_detached_jws, verify_detached_jws


def test_detached_jws_verifies_over_the_same_payload():
    key = SigningKeyPair.generate()
    jws = sign_detached_jws(b'{"a":1}', key, kid="did:key:z#z")
    assert jws.count(".") == 2
    assert jws.split(".")[1] == ""
    header = verify_detached_jws(jws, b'{"a":1}', key.public)
    assert header.kid == "did:key:z#z"


def test_detached_jws_fails_when_the_payload_changes():
    key = SigningKeyPair.generate()
    jws = sign_detached_jws(b'{"a":1}', key, kid="k")
    with pytest.raises(SignatureInvalid):
        verify_detached_jws(jws, b'{"a":2}', key.public)


def test_rejects_an_attached_payload_and_critical_headers():
    key = SigningKeyPair.generate()
    header, _, signature = sign_detached_jws(b"x", key, kid="k").split(".")
    with pytest.raises(SignatureInvalid, match="detached"):
        verify_detached_jws(f"{header}.eA.{signature}", b"x", key.public)
    crit = sign_detached_jws(b"x", key, kid="k", extra={"crit": ["b64"]})
    with pytest.raises(SignatureInvalid, match="critical"):
        verify_detached_jws(crit, b"x", key.public)
