import pytest

from corridor.crypto import (
    AgreementKeyPair,
    DecryptionFailed,
    aead_open,
    aead_seal,
    hpke_open,
    hpke_seal,
    new_data_key,
)


def test_aead_round_trips_with_the_same_associated_data():
    key = new_data_key()
    sealed = aead_seal(key, b"record", b"transfer-1")
    assert aead_open(key, sealed, b"transfer-1") == b"record"


def test_aead_refuses_other_associated_data():
    key = new_data_key()
    sealed = aead_seal(key, b"record", b"transfer-1")
    with pytest.raises(DecryptionFailed):
        aead_open(key, sealed, b"transfer-2")


def test_aead_refuses_a_flipped_ciphertext_bit():
    key = new_data_key()
    sealed = bytearray(aead_seal(key, b"record", b"aad"))
    sealed[-1] ^= 1
    with pytest.raises(DecryptionFailed):
        aead_open(key, bytes(sealed), b"aad")


def test_each_seal_uses_a_fresh_nonce():
    key = new_data_key()
    assert aead_seal(key, b"x", b"") != aead_seal(key, b"x", b"")


def test_hpke_opens_only_for_the_recipient_and_the_same_info():
    recipient = AgreementKeyPair.generate()
    sealed = hpke_seal(recipient.public, b"data key", b"corridor/deposit/v1|t1")
    assert hpke_open(recipient.private, sealed, b"corridor/deposit/v1|t1") == b"data key"
    with pytest.raises(DecryptionFailed):
        hpke_open(recipient.private, sealed, b"corridor/deposit/v1|t2")
    with pytest.raises(DecryptionFailed):
        hpke_open(AgreementKeyPair.generate().private, sealed, b"corridor/deposit/v1|t1")
