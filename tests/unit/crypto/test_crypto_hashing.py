import pytest

from corridor.crypto import commitment, new_salt, sha256_hex


def test_sha256_matches_the_fips_180_abc_vector():
    assert sha256_hex(b"abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


def test_commitments_differ_per_salt_and_hide_the_value():
    value = "did:key:z6MkpatientX"
    first, second = commitment(new_salt(), value), commitment(new_salt(), value)
    assert first != second
    assert value not in first
    assert first.startswith("hmac-sha256:")


def test_short_salts_are_refused():
    with pytest.raises(ValueError, match="32 bytes"):
        commitment(b"short", "x")
