import json
from datetime import timedelta

import pytest
from cryptography import x509

from corridor.clock import from_rfc3339
from corridor.enclave import (
    EvidenceRejected,
    SnpCollateral,
    amd_ark_milan,
    load_collateral,
    verify_attestation,
)
from corridor.enclave.snp import REPORT_BYTES

DOCUMENTED = from_rfc3339("2022-09-24T01:00:00Z")


@pytest.fixture
def report(asset):
    return asset("tee/sev-snp/attestation.bin").read_bytes()


@pytest.fixture
def expected(asset):
    return json.loads(asset("tee/sev-snp/expected_attestation.json").read_text())


@pytest.fixture
def certificates(asset):
    return [asset(f"tee/sev-snp/{name}").read_bytes() for name in ("vcek.der", "ask_ark_milan.pem")]


def _verify(report, certificates, at=DOCUMENTED, *, allow_debug=True, **options):
    return verify_attestation(
        report,
        at=at,
        max_age=timedelta(0),
        evidence_format="sev-snp",
        collateral=load_collateral("sev-snp", certificates),
        allow_debug=allow_debug,
        **options,
    )


def _flip(data: bytes, offset: int, bit: int = 0) -> bytes:
    return data[:offset] + bytes([data[offset] ^ (1 << bit)]) + data[offset + 1 :]


def test_real_report_verifies_at_its_documented_time(report, certificates, expected):
    result = _verify(report, certificates)
    assert result.format == "sev-snp"
    assert result.measurement == expected["measurement"]
    assert result.user_data.hex() == expected["report_data"]
    assert result.root_sha256 == expected["ark_sha256"]
    for name in (
        "version",
        "guest_svn",
        "policy",
        "family_id",
        "image_id",
        "vmpl",
        "signature_algo",
        "current_tcb",
        "platform_info",
        "host_data",
        "id_key_digest",
        "author_key_digest",
        "report_id",
        "reported_tcb",
        "chip_id",
        "committed_tcb",
    ):
        assert result.report[name] == expected[name], name
    assert result.module_id == f"sev-snp-chip-{expected['chip_id']}"


def test_the_sample_guest_policy_allows_debugging_so_it_needs_allow_debug(report, certificates):
    assert _verify(report, certificates).debug
    with pytest.raises(EvidenceRejected) as caught:
        _verify(report, certificates, allow_debug=False)
    assert caught.value.reason == "debug-mode"


def test_real_report_fails_one_second_after_its_chain_expires(report, certificates, expected):
    after = from_rfc3339(expected["chain"][0]["na"]) + timedelta(seconds=1)
    with pytest.raises(EvidenceRejected) as caught:
        _verify(report, certificates, at=after)
    assert caught.value.reason == "expired-chain"


def test_report_before_its_vcek_was_issued_is_refused(report, certificates, expected):
    before = from_rfc3339(expected["chain"][0]["nb"]) - timedelta(seconds=1)
    with pytest.raises(EvidenceRejected) as caught:
        _verify(report, certificates, at=before)
    assert caught.value.reason == "chain-not-yet-valid"


def test_report_without_its_vcek_is_refused(report):
    with pytest.raises(EvidenceRejected) as caught:
        verify_attestation(report, at=DOCUMENTED, max_age=timedelta(0), evidence_format="sev-snp")
    assert caught.value.reason == "missing-collateral"


def test_report_under_another_root_is_refused(report, certificates, asset):
    other = x509.load_pem_x509_certificate(asset("tee/tdx/intel_sgx_root_ca.pem").read_bytes())
    with pytest.raises(EvidenceRejected) as caught:
        _verify(report, certificates, trusted_roots=[other])
    assert caught.value.reason == "unknown-root"


def test_the_shipped_ark_is_the_pinned_one(asset):
    shipped = x509.load_pem_x509_certificates(asset("tee/sev-snp/ask_ark_milan.pem").read_bytes())
    assert shipped[1] == amd_ark_milan()


@pytest.mark.parametrize(
    ("offset", "reason"),
    [
        (0x00, "bad-signature"),  # version 2 -> 3, a supported version, but signed
        (0x34, "unsupported-algorithm"),  # signature algorithm
        (0x08, "bad-signature"),  # policy
        (0x50, "bad-signature"),  # REPORT_DATA
        (0x90, "bad-signature"),  # MEASUREMENT
        (0x180, "tcb-mismatch"),  # REPORTED_TCB no longer matches the VCEK
        (0x1A0, "tcb-mismatch"),  # CHIP_ID no longer matches the VCEK's hwID
        (0x1F8, "bad-signature"),  # reserved, still signed
        (0x2A0, "bad-signature"),  # signature r
        (0x2A0 + 72, "bad-signature"),  # signature s
        (0x2A0 + 60, "malformed-evidence"),  # high half of r, reserved zero
        (REPORT_BYTES - 1, "malformed-evidence"),  # reserved tail
    ],
)
def test_a_flipped_bit_in_each_part_of_the_report_fails(report, certificates, offset, reason):
    with pytest.raises(EvidenceRejected) as caught:
        _verify(_flip(report, offset), certificates)
    assert caught.value.reason == reason


@pytest.mark.slow
def test_a_flipped_bit_in_every_byte_of_the_report_fails(report, certificates):
    for offset in range(len(report)):
        with pytest.raises(EvidenceRejected):
            _verify(_flip(report, offset, offset % 8), certificates)


def test_a_flipped_bit_anywhere_in_the_vcek_fails(report, certificates):
    vcek, chain = certificates
    for offset in range(0, len(vcek), 5):
        with pytest.raises(EvidenceRejected):
            _verify(report, [_flip(vcek, offset, offset % 8), chain])


def test_a_flipped_bit_in_the_ask_fails(report, certificates):
    vcek, chain = certificates
    inside_ask = chain.index(b"\n", 200) + 10  # base64 of the ASK's body, not a line break
    with pytest.raises(EvidenceRejected):
        _verify(report, [vcek, _flip(chain, inside_ask, 1)])


def test_a_wrong_length_report_is_malformed(report, certificates):
    with pytest.raises(EvidenceRejected) as caught:
        _verify(report + b"\x00", certificates)
    assert caught.value.reason == "malformed-evidence"


def test_collateral_needs_exactly_one_vcek_and_one_ask(certificates):
    vcek, chain = certificates
    assert isinstance(load_collateral("sev-snp", [chain, vcek]), SnpCollateral)
    with pytest.raises(EvidenceRejected) as caught:
        load_collateral("sev-snp", [chain])
    assert caught.value.reason == "missing-collateral"
