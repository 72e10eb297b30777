import pytest

from corridor.crypto import SigningKeyPair, did_key_from_public, public_key_from_did_key
from corridor.crypto.errors import MalformedKey
from corridor.crypto.keys import AgreementKeyPair, multibase_key

# W3C did:key test vector (did-method-key spec, Ed25519 example).
_SPEC_DID = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"


def test_did_key_round_trips_a_public_key():
    key = SigningKeyPair.generate()
    did = did_key_from_public(key.public)
    assert did.startswith("did:key:z6Mk")
    assert public_key_from_did_key(did + "#frag").public_bytes_raw() == key.public_raw


def test_parses_the_did_key_specification_example():
    public = public_key_from_did_key(_SPEC_DID)
    assert did_key_from_public(public) == _SPEC_DID


def test_refuses_a_did_key_with_the_wrong_multicodec():
    agreement = AgreementKeyPair.generate()
    with pytest.raises(MalformedKey):
        public_key_from_did_key("did:key:" + multibase_key(agreement.public_raw, agreement=True))


def test_encrypted_pem_needs_the_passphrase():
    key = SigningKeyPair.generate()
    pem = key.to_encrypted_pem(b"correct horse")
    assert b"ENCRYPTED" in pem
    assert SigningKeyPair.from_encrypted_pem(pem, b"correct horse").public_raw == key.public_raw
    with pytest.raises(MalformedKey):
        SigningKeyPair.from_encrypted_pem(pem, b"wrong")


def test_keys_never_show_private_material_in_repr():
    key = SigningKeyPair.generate()
    assert "private" not in repr(key).lower()
