import base64
import gzip

import pytest

from corridor.identity.errors import CredentialInvalid
from corridor.identity.status_list import (
    MIN_LIST_BITS,
    decode_status_list,
    encode_status_list,
    is_set,
    parse_status_entry,
    status_entry,
)


def test_revoked_indexes_are_the_set_bits_counting_from_the_left():
    bits = decode_status_list(encode_status_list([0, 9, MIN_LIST_BITS - 1]))
    assert len(bits) * 8 == MIN_LIST_BITS
    assert bits[0] == 0x80
    assert bits[1] == 0x40
    assert [i for i in (0, 1, 8, 9, MIN_LIST_BITS - 1) if is_set(bits, i)] == [
        0,
        9,
        MIN_LIST_BITS - 1,
    ]


def test_the_encoding_is_multibase_base64url_of_gzip():
    encoded = encode_status_list([3])
    assert encoded.startswith("u")
    raw = gzip.decompress(base64.urlsafe_b64decode(encoded[1:] + "=" * (-len(encoded[1:]) % 4)))
    assert raw[0] == 0x10
    assert encode_status_list([3]) == encoded  # deterministic (no gzip timestamp)


def test_a_list_shorter_than_the_herd_privacy_minimum_is_refused():
    short = "u" + base64.urlsafe_b64encode(gzip.compress(b"\0" * 100)).decode().rstrip("=")
    with pytest.raises(CredentialInvalid, match="shorter"):
        decode_status_list(short)


def test_a_decompression_bomb_is_refused():
    bomb = "u" + base64.urlsafe_b64encode(gzip.compress(b"\0" * (9 * 1024 * 1024))).decode()
    with pytest.raises(CredentialInvalid, match="larger"):
        decode_status_list(bomb.rstrip("="))


def test_an_entry_round_trips_and_only_revocation_entries_are_accepted():
    entry = status_entry("https://regulator.example/api/identity/status/1", 42)
    reference = parse_status_entry(entry)
    assert reference.index == 42
    with pytest.raises(CredentialInvalid):
        parse_status_entry({**entry, "statusPurpose": "suspension"})
    with pytest.raises(CredentialInvalid):
        parse_status_entry({**entry, "statusListIndex": "-1"})
