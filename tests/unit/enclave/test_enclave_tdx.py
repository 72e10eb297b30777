import json
from datetime import timedelta

import pytest
from cryptography import x509

from corridor.clock import from_rfc3339
from corridor.enclave import (
    EvidenceRejected,
    TdxCollateral,
    intel_sgx_root,
    load_collateral,
    verify_attestation,
)
from corridor.enclave.tdx import parse_quote

DOCUMENTED = from_rfc3339("2023-07-01T01:00:00Z")
COLLATERAL_FILES = (
    "sample_tcbInfo_response",
    "sample_qeIdentity_response",
    "tcbInfoIssuerChain.pem",
    "pckcrl",
    "rootcrl.der",
)
_SIGNED_END = 4935  # 632 bytes of header and body, 4 of length, 4299 of signature data


@pytest.fixture
def quote(asset):
    return asset("tee/tdx/tdx_prod_quote_SPR_E4.dat").read_bytes()


@pytest.fixture
def expected(asset):
    return json.loads(asset("tee/tdx/expected_tdx_prod_quote_SPR_E4.json").read_text())


@pytest.fixture
def blobs(asset):
    return [asset(f"tee/tdx/{name}").read_bytes() for name in COLLATERAL_FILES]


def _verify(quote, blobs, at=DOCUMENTED, **options):
    return verify_attestation(
        quote,
        at=at,
        max_age=timedelta(0),
        evidence_format="tdx",
        collateral=load_collateral("tdx", blobs),
        **options,
    )


def _flip(data: bytes, offset: int, bit: int = 0) -> bytes:
    return data[:offset] + bytes([data[offset] ^ (1 << bit)]) + data[offset + 1 :]


def test_real_quote_verifies_at_its_documented_time(quote, blobs, expected):
    result = _verify(quote, blobs)
    body = expected["body"]
    assert result.format == "tdx"
    assert result.measurement == body["mrtd"]
    assert [result.measurements[i] for i in range(1, 5)] == [body[f"rtmr{i}"] for i in range(4)]
    assert result.user_data.hex() == body["report_data"]
    assert not result.debug
    assert result.root_sha256 == expected_root_sha256()
    for name, value in body.items():
        assert result.report[name] == value
    assert result.report["qe_report_mrsigner"] == expected["qe_report_mrsigner"]
    assert result.report["qe_isvsvn"] == expected["qe_isvsvn"]
    assert result.report["fmspc"] == "50806f000000"


def expected_root_sha256() -> str:
    return "44a0196b2b99f889b8e149e95b807a350e7424964399e885a7cbb8ccfab674d3"


def test_real_quote_reports_its_outdated_tcb_and_trailing_bytes_as_warnings(quote, blobs):
    result = _verify(quote, blobs)
    # The fixture's platform is older than every TCB level in its own TCB info.
    assert result.report["tcb_status"] == "NoMatchingLevel"
    assert result.report["qe_tcb_status"] == "UpToDate"
    assert result.warnings == ("tcb-no-matching-level", "trailing-bytes")
    assert result.report["trailing_bytes"] == len(quote) - _SIGNED_END


def test_real_quote_fails_one_second_after_its_chain_expires(quote, blobs, expected):
    after = from_rfc3339(expected["chain_valid_until"]) + timedelta(seconds=1)
    with pytest.raises(EvidenceRejected) as caught:
        _verify(quote, blobs, at=after)
    assert caught.value.reason == "expired-chain"


def test_quote_is_refused_once_the_collateral_is_stale(quote, blobs):
    result = _verify(quote, blobs)
    with pytest.raises(EvidenceRejected) as caught:
        _verify(quote, blobs, at=result.valid_until + timedelta(seconds=1))
    assert caught.value.reason == "stale-collateral"


def test_quote_before_its_collateral_was_issued_is_refused(quote, blobs):
    with pytest.raises(EvidenceRejected) as caught:
        _verify(quote, blobs, at=from_rfc3339("2023-06-01T00:00:00Z"))
    assert caught.value.reason == "stale-collateral"


def test_quote_without_collateral_is_refused(quote):
    with pytest.raises(EvidenceRejected) as caught:
        verify_attestation(quote, at=DOCUMENTED, max_age=timedelta(0), evidence_format="tdx")
    assert caught.value.reason == "missing-collateral"


def test_quote_under_another_root_is_refused(quote, blobs, asset):
    other = x509.load_pem_x509_certificate(asset("tee/nitro/aws_nitro_root_g1.pem").read_bytes())
    with pytest.raises(EvidenceRejected) as caught:
        _verify(quote, blobs, trusted_roots=[other])
    assert caught.value.reason == "unknown-root"


def test_the_shipped_intel_root_is_the_pinned_one(asset):
    shipped = x509.load_pem_x509_certificate(asset("tee/tdx/intel_sgx_root_ca.pem").read_bytes())
    assert shipped == intel_sgx_root()


def test_parser_finds_every_part_of_the_quote(quote, expected):
    parsed = parse_quote(quote)
    assert parsed.version == expected["version"]
    assert parsed.attestation_key.hex() == expected["attestation_key"]
    assert parsed.qe_auth_data.hex() == expected["qe_auth_data"]
    assert parsed.pck_chain.endswith(b"-----END CERTIFICATE-----\n")
    assert parsed.trailing_bytes == expected["trailing_bytes"]


@pytest.mark.parametrize(
    ("offset", "reason"),
    [
        (0, "unsupported-algorithm"),  # version
        (12, "malformed-evidence"),  # QE vendor id
        (48 + 100, "bad-signature"),  # TD report body (MRSEAM)
        (48 + 520, "bad-signature"),  # REPORTDATA
        (632, "malformed-evidence"),  # signature data length
        (636 + 10, "bad-signature"),  # quote signature
        (636 + 70, "bad-signature"),  # attestation key
        (636 + 134 + 200, "bad-signature"),  # QE report
        (636 + 134 + 384 + 5, "bad-signature"),  # QE report signature
        (636 + 134 + 450, "bad-signature"),  # QE auth data
    ],
)
def test_a_flipped_bit_in_each_part_of_the_quote_fails(quote, blobs, offset, reason):
    with pytest.raises(EvidenceRejected) as caught:
        _verify(_flip(quote, offset), blobs)
    assert caught.value.reason == reason


def test_a_flipped_bit_anywhere_in_the_signed_quote_fails(quote, blobs):
    # Every 7th byte, a different bit each time: all parts, the PEM chain included.
    for offset in range(0, _SIGNED_END, 7):
        with pytest.raises(EvidenceRejected):
            _verify(_flip(quote, offset, offset % 8), blobs)


@pytest.mark.slow
def test_a_flipped_bit_in_every_byte_of_the_signed_quote_fails(quote, blobs):
    # Two bits of every byte (all eight were swept once by hand: no flip survives).
    for offset in range(_SIGNED_END):
        for bit in (offset % 8, (offset + 4) % 8):
            with pytest.raises(EvidenceRejected):
                _verify(_flip(quote, offset, bit), blobs)


def test_a_line_break_changed_in_the_pem_chain_fails(quote, blobs):
    newline = quote.index(b"\n", quote.index(b"-----BEGIN CERTIFICATE-----"))
    with pytest.raises(EvidenceRejected) as caught:
        _verify(quote[:newline] + b"\r" + quote[newline:], blobs)
    assert caught.value.reason in {"bad-chain", "malformed-evidence"}


@pytest.mark.parametrize("index", range(len(COLLATERAL_FILES)))
def test_a_flipped_bit_in_each_collateral_document_fails(quote, blobs, index):
    changed = list(blobs)
    document = changed[index]
    # The middle of each document; for the issuer chain, inside the signing certificate
    # (its second certificate is a copy of the root, which is pinned and never read).
    offset = 400 if COLLATERAL_FILES[index].endswith(".pem") else len(document) // 2
    changed[index] = _flip(document, offset, 2)
    with pytest.raises(EvidenceRejected):
        _verify(quote, changed)


def test_collateral_signature_must_be_the_served_lower_case_hex(quote, blobs):
    changed = list(blobs)
    text = changed[0].decode()
    head, signature = text.rsplit('"signature":"', 1)
    changed[0] = (head + '"signature":"' + signature.upper().replace('"}', '"}')).encode()
    with pytest.raises(EvidenceRejected) as caught:
        _verify(quote, changed)
    assert caught.value.reason == "bad-collateral"


def test_collateral_with_a_member_repeated_is_refused(quote, blobs):
    changed = list(blobs)
    changed[1] = changed[1].replace(b'{"enclaveIdentity":', b'{"signature":"00","enclaveIdentity":')
    with pytest.raises(EvidenceRejected) as caught:
        _verify(quote, changed)
    assert caught.value.reason == "bad-collateral"


@pytest.mark.parametrize("missing", ["sample_tcbInfo_response", "pckcrl", "rootcrl.der"])
def test_collateral_missing_a_part_is_refused(asset, quote, missing):
    blobs = [asset(f"tee/tdx/{name}").read_bytes() for name in COLLATERAL_FILES if name != missing]
    with pytest.raises(EvidenceRejected) as caught:
        _verify(quote, blobs)
    assert caught.value.reason == "missing-collateral"


def test_collateral_order_does_not_matter(quote, blobs, asset):
    shuffled = [*reversed(blobs), asset("tee/tdx/intel_sgx_root_ca.pem").read_bytes()]
    assert _verify(quote, shuffled).measurement == _verify(quote, blobs).measurement


def test_collateral_files_are_recognised_by_content(blobs):
    collateral = load_collateral("tdx", blobs)
    assert isinstance(collateral, TdxCollateral)
    assert collateral.tcb_info == blobs[0]
    assert len(collateral.crls) == 2
