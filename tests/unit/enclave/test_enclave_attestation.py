import json
from datetime import timedelta

import cbor2
import pytest
from cryptography import x509

from corridor.clock import from_rfc3339
from corridor.enclave import EvidenceRejected, SimulatedRoot, aws_nitro_root, verify_attestation

SAMPLES = [
    "brave_cose_unittest.b64",
    "sui_fixed_valid_attestation.hex",
    "base_nitro_validator.cbor",
]
GENEROUS_AGE = timedelta(hours=4)


@pytest.fixture
def expected(asset):
    return json.loads(asset("tee/nitro/expected.json").read_text())


def _sample(asset, expected, name):
    facts = expected[name]
    return asset(f"tee/nitro/{facts['cbor_file']}").read_bytes(), facts


def _flip(data: bytes, offset: int) -> bytes:
    return data[:offset] + bytes([data[offset] ^ 0x01]) + data[offset + 1 :]


@pytest.mark.parametrize("name", SAMPLES)
def test_real_sample_verifies_at_its_documented_time(asset, expected, name):
    data, facts = _sample(asset, expected, name)
    result = verify_attestation(
        data,
        at=from_rfc3339(facts["recommended_fixed_now"]),
        max_age=GENEROUS_AGE,
        allow_debug=True,
    )
    assert result.format == "nitro"
    assert result.module_id == facts["module_id"]
    assert result.digest == "SHA384"
    assert int(result.timestamp.timestamp() * 1000) == facts["timestamp_ms"]
    assert result.pcr0 == facts["pcr0"]
    assert {k: v for k, v in result.measurements.items() if any(bytes.fromhex(v))} == {
        int(k): v for k, v in facts["pcrs_nonzero"].items()
    }
    for field in ("public_key", "user_data", "nonce"):
        value = getattr(result, field)
        assert (None if value is None else value.hex()) == facts[field]
    assert result.root_sha256 == "641a0321a3e244efe456463195d606317ed7cdcc3c1756e09893f3c68f79bb5b"


@pytest.mark.parametrize("name", SAMPLES)
def test_real_sample_fails_one_second_after_its_chain_expires(asset, expected, name):
    data, facts = _sample(asset, expected, name)
    with pytest.raises(EvidenceRejected) as caught:
        verify_attestation(
            data, at=from_rfc3339(facts["expired_at"]), max_age=GENEROUS_AGE, allow_debug=True
        )
    assert caught.value.reason == "expired-chain"


def test_rejects_document_before_its_chain_is_valid(asset, expected):
    data, facts = _sample(asset, expected, "base_nitro_validator.cbor")
    before = from_rfc3339(facts["chain_valid_from"]) - timedelta(seconds=1)
    with pytest.raises(EvidenceRejected) as caught:
        verify_attestation(data, at=before, max_age=GENEROUS_AGE, max_clock_skew=GENEROUS_AGE)
    assert caught.value.reason == "chain-not-yet-valid"


@pytest.mark.parametrize("name", ["brave_cose_unittest.b64", "sui_fixed_valid_attestation.hex"])
def test_refuses_debug_enclave_unless_allowed(asset, expected, name):
    data, facts = _sample(asset, expected, name)
    with pytest.raises(EvidenceRejected) as caught:
        verify_attestation(
            data, at=from_rfc3339(facts["recommended_fixed_now"]), max_age=GENEROUS_AGE
        )
    assert caught.value.reason == "debug-mode"


def test_debug_enclave_allowed_is_flagged(asset, expected):
    data, facts = _sample(asset, expected, "sui_fixed_valid_attestation.hex")
    result = verify_attestation(
        data,
        at=from_rfc3339(facts["recommended_fixed_now"]),
        max_age=GENEROUS_AGE,
        allow_debug=True,
    )
    assert result.debug
    assert "debug-mode" in result.warnings


def test_production_sample_is_not_debug(asset, expected):
    data, facts = _sample(asset, expected, "base_nitro_validator.cbor")
    result = verify_attestation(
        data, at=from_rfc3339(facts["recommended_fixed_now"]), max_age=GENEROUS_AGE
    )
    assert not result.debug
    assert result.warnings == ()


def test_rejects_document_older_than_max_age(asset, expected):
    data, facts = _sample(asset, expected, "base_nitro_validator.cbor")
    with pytest.raises(EvidenceRejected) as caught:
        verify_attestation(
            data, at=from_rfc3339(facts["recommended_fixed_now"]), max_age=timedelta(minutes=5)
        )
    assert caught.value.reason == "stale-evidence"


def test_rejects_document_dated_in_the_future(asset, expected):
    data, facts = _sample(asset, expected, "sui_fixed_valid_attestation.hex")
    early = from_rfc3339(facts["timestamp_utc"]) - timedelta(minutes=10)
    with pytest.raises(EvidenceRejected) as caught:
        verify_attestation(data, at=early, max_age=GENEROUS_AGE, allow_debug=True)
    assert caught.value.reason == "future-evidence"


def test_rejects_document_under_another_root(asset, expected, tmp_path):
    data, facts = _sample(asset, expected, "base_nitro_validator.cbor")
    other = SimulatedRoot.create(tmp_path, b"pw", now=from_rfc3339(facts["recommended_fixed_now"]))
    with pytest.raises(EvidenceRejected) as caught:
        verify_attestation(
            data,
            at=from_rfc3339(facts["recommended_fixed_now"]),
            max_age=GENEROUS_AGE,
            trusted_roots=[other.root_certificate],
        )
    assert caught.value.reason == "unknown-root"


def test_empty_trust_store_trusts_nothing(asset, expected):
    data, facts = _sample(asset, expected, "base_nitro_validator.cbor")
    with pytest.raises(EvidenceRejected) as caught:
        verify_attestation(
            data,
            at=from_rfc3339(facts["recommended_fixed_now"]),
            max_age=GENEROUS_AGE,
            trusted_roots=[],
        )
    assert caught.value.reason == "unknown-root"


def test_pinned_root_matches_the_shipped_pem(asset):
    shipped = x509.load_pem_x509_certificate(asset("tee/nitro/aws_nitro_root_g1.pem").read_bytes())
    assert shipped == aws_nitro_root()


def test_flipped_bit_in_signature_fails(asset, expected):
    data, facts = _sample(asset, expected, "base_nitro_validator.cbor")
    with pytest.raises(EvidenceRejected) as caught:
        verify_attestation(
            _flip(data, len(data) - 10),
            at=from_rfc3339(facts["recommended_fixed_now"]),
            max_age=GENEROUS_AGE,
        )
    assert caught.value.reason == "bad-signature"


def test_flipped_bit_in_payload_fails(asset, expected):
    data, facts = _sample(asset, expected, "base_nitro_validator.cbor")
    offset = data.index(bytes.fromhex(facts["pcr0"]))  # inside PCR0, so the CBOR stays valid
    with pytest.raises(EvidenceRejected) as caught:
        verify_attestation(
            _flip(data, offset + 5),
            at=from_rfc3339(facts["recommended_fixed_now"]),
            max_age=GENEROUS_AGE,
        )
    assert caught.value.reason == "bad-signature"


@pytest.mark.parametrize("index", [0, 1, 2, 3])
def test_flipped_bit_in_each_cabundle_certificate_fails(asset, expected, index):
    data, facts = _sample(asset, expected, "base_nitro_validator.cbor")
    payload = cbor2.loads(cbor2.loads(data)[2])
    certificate = payload["cabundle"][index]
    offset = data.index(certificate) + len(certificate) - 20  # inside its signature
    with pytest.raises(EvidenceRejected) as caught:
        verify_attestation(
            _flip(data, offset),
            at=from_rfc3339(facts["recommended_fixed_now"]),
            max_age=GENEROUS_AGE,
        )
    assert caught.value.reason == ("unknown-root" if index == 0 else "bad-chain")


def test_a_flipped_bit_anywhere_fails(asset, expected):
    data, facts = _sample(asset, expected, "base_nitro_validator.cbor")
    at = from_rfc3339(facts["recommended_fixed_now"])
    for offset in range(0, len(data), 23):
        with pytest.raises(EvidenceRejected):
            verify_attestation(_flip(data, offset), at=at, max_age=GENEROUS_AGE)


def test_accepts_the_tagged_cose_form(asset, expected):
    data, facts = _sample(asset, expected, "base_nitro_validator.cbor")
    tagged = b"\xd2" + data  # tag 18 (RFC 9052 §4.2) around the same array
    result = verify_attestation(
        tagged, at=from_rfc3339(facts["recommended_fixed_now"]), max_age=GENEROUS_AGE
    )
    assert result.module_id == facts["module_id"]


def test_rejects_trailing_bytes(asset, expected):
    data, facts = _sample(asset, expected, "base_nitro_validator.cbor")
    with pytest.raises(EvidenceRejected) as caught:
        verify_attestation(
            data + b"\x00", at=from_rfc3339(facts["recommended_fixed_now"]), max_age=GENEROUS_AGE
        )
    assert caught.value.reason == "malformed-evidence"


def test_rejects_re_encoded_protected_header(asset, expected):
    data, facts = _sample(asset, expected, "base_nitro_validator.cbor")
    protected, unprotected, payload, signature = cbor2.loads(data)
    # Same map {1: -35}, but with a non-minimal integer encoding: the bytes differ.
    reencoded = b"\xa1\x01\x39\x00\x22"
    assert cbor2.loads(reencoded) == cbor2.loads(protected)
    forged = cbor2.dumps([reencoded, unprotected, payload, signature])
    with pytest.raises(EvidenceRejected) as caught:
        verify_attestation(
            forged, at=from_rfc3339(facts["recommended_fixed_now"]), max_age=GENEROUS_AGE
        )
    assert caught.value.reason == "bad-signature"


def test_rejects_other_algorithms(asset, expected):
    data, facts = _sample(asset, expected, "base_nitro_validator.cbor")
    _, unprotected, payload, signature = cbor2.loads(data)
    es256 = cbor2.dumps([cbor2.dumps({1: -7}), unprotected, payload, signature])
    with pytest.raises(EvidenceRejected) as caught:
        verify_attestation(
            es256, at=from_rfc3339(facts["recommended_fixed_now"]), max_age=GENEROUS_AGE
        )
    assert caught.value.reason == "unsupported-algorithm"


@pytest.mark.parametrize("garbage", [b"", b"\x00", b"\x83\x40\xa0\x40", b"\x84\x40\xa0\x40\x40"])
def test_rejects_garbage_as_malformed(garbage):
    with pytest.raises(EvidenceRejected) as caught:
        verify_attestation(garbage, at=from_rfc3339("2024-11-30T18:06:40Z"), max_age=GENEROUS_AGE)
    assert caught.value.reason in {"malformed-evidence", "unsupported-algorithm"}
