import pytest

from corridor.crypto import b64url_decode, b64url_encode, canonical_json, parse_json
from corridor.crypto.errors import NonCanonicalJson


def test_canonical_json_sorts_keys_and_drops_whitespace():
    assert canonical_json({"b": 1, "a": [True, None]}) == b'{"a":[true,null],"b":1}'


def test_parse_json_can_insist_on_the_canonical_form():
    assert parse_json(b'{"a":1}', require_canonical=True) == {"a": 1}
    with pytest.raises(NonCanonicalJson):
        parse_json(b'{ "a": 1 }', require_canonical=True)


def test_base64url_round_trips_without_padding():
    assert b64url_encode(b"\xff\xfe") == "__4"
    assert b64url_decode("__4") == b"\xff\xfe"
