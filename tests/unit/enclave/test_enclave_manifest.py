from types import SimpleNamespace

import pytest

from corridor.crypto import SigningKeyPair
from corridor.crypto.canonical import canonical_json
from corridor.enclave import (
    ManifestInvalid,
    UserDataInvalid,
    encode_user_data,
    manifest_bytes,
    parse_user_data,
    verify_manifest,
)

PCR0 = "cd" * 48


def _manifest(**overrides):
    manifest = {
        "type": "corridor/processing-manifest/v1",
        "transfer": "transfer-0001-abcd",
        "input_digest": "sha256:" + "11" * 32,
        "output_digest": "sha256:" + "22" * 32,
        "measurement": f"sha384:{PCR0}",
        "profile": "treatment",
        "profile_digest": "sha256:" + "44" * 32,
        "resource_counts": {"Patient": 1},
        "masked_fields": 3,
        "consent_digest": "sha256:" + "33" * 32,
        "recipient": "did:web:hospital-b.example",
    }
    manifest.update(overrides)
    return manifest


@pytest.fixture
def key():
    return SigningKeyPair.generate()


@pytest.fixture
def attested(key):
    return SimpleNamespace(
        pcr0=PCR0, user_data=encode_user_data(manifest_key=key.public_raw, binding=b"x")
    )


def test_user_data_round_trips():
    data = encode_user_data(manifest_key=b"k" * 32, binding=b"bind")
    parsed = parse_user_data(data)
    assert parsed.manifest_key == b"k" * 32
    assert parsed.binding == b"bind"


@pytest.mark.parametrize(
    "data",
    [
        None,
        b"",
        b'{"v":1}',
        b'{ "binding":null,"manifest_key":"AAAA","v":1}',
        canonical_json({"binding": None, "manifest_key": "AAAA", "v": 1}),
        canonical_json({"binding": None, "manifest_key": "A" * 43, "v": 2}),
    ],
)
def test_user_data_refuses_other_layouts(data):
    with pytest.raises(UserDataInvalid):
        parse_user_data(data)


def test_verifies_manifest_signed_by_the_attested_key(key, attested):
    manifest = _manifest()
    verified = verify_manifest(manifest, key.sign(manifest_bytes(manifest)), attested)
    assert verified.transfer == "transfer-0001-abcd"
    assert verified.manifest_key == key.public_raw


def test_rejects_manifest_changed_after_signing(key, attested):
    manifest = _manifest()
    signature = key.sign(manifest_bytes(manifest))
    with pytest.raises(ManifestInvalid, match="signature"):
        verify_manifest({**manifest, "masked_fields": 0}, signature, attested)


def test_rejects_manifest_signed_by_another_key(attested):
    manifest = _manifest()
    with pytest.raises(ManifestInvalid, match="signature"):
        verify_manifest(
            manifest, SigningKeyPair.generate().sign(manifest_bytes(manifest)), attested
        )


def test_rejects_manifest_claiming_another_measurement(key, attested):
    manifest = _manifest(measurement="sha384:" + "ee" * 48)
    with pytest.raises(ManifestInvalid, match="measurement"):
        verify_manifest(manifest, key.sign(manifest_bytes(manifest)), attested)


def test_rejects_manifest_for_another_transfer(key, attested):
    manifest = _manifest()
    with pytest.raises(ManifestInvalid, match="another transfer"):
        verify_manifest(
            manifest, key.sign(manifest_bytes(manifest)), attested, transfer="other-0001"
        )


@pytest.mark.parametrize(
    "change",
    [
        {"input_digest": "md5:00"},
        {"masked_fields": -1},
        {"resource_counts": {"Patient": "1"}},
        {"extra": 1},
    ],
)
def test_rejects_malformed_manifest(key, attested, change):
    manifest = _manifest(**change)
    with pytest.raises(ManifestInvalid, match="malformed"):
        verify_manifest(manifest, key.sign(manifest_bytes(manifest)), attested)
