import base64
import json

import pytest
from cryptography.hazmat.primitives import serialization
from typer.testing import CliRunner

from corridor.cli.attest import app, read_evidence

SAMPLES = [
    "brave_cose_unittest.b64",
    "sui_fixed_valid_attestation.hex",
    "base_nitro_validator.cbor",
]


@pytest.fixture
def expected(asset):
    return json.loads(asset("tee/nitro/expected.json").read_text())


@pytest.mark.parametrize("name", SAMPLES)
def test_cli_output_matches_expected_values(asset, expected, name):
    facts = expected[name]
    result = CliRunner().invoke(
        app,
        [
            "verify",
            str(asset(f"tee/nitro/{name}")),
            "--at",
            facts["recommended_fixed_now"],
            "--allow-debug",
        ],
    )
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    assert printed["verified"] is True
    assert printed["module_id"] == facts["module_id"]
    assert printed["digest"] == "SHA384"
    assert printed["pcrs"]["0"] == facts["pcr0"]
    for index, value in facts["pcrs_nonzero"].items():
        assert printed["pcrs"][index] == value
    for field in ("public_key", "user_data", "nonce"):
        assert printed[field] == facts[field]
    assert printed["valid_from"] == facts["chain_valid_from"].replace("+00:00", "Z")
    assert printed["valid_until"] == facts["chain_valid_until"].replace("+00:00", "Z")


@pytest.mark.parametrize("name", SAMPLES)
def test_cli_exits_non_zero_after_chain_expiry(asset, expected, name):
    facts = expected[name]
    result = CliRunner().invoke(
        app,
        ["verify", str(asset(f"tee/nitro/{name}")), "--at", facts["expired_at"], "--allow-debug"],
    )
    assert result.exit_code == 1
    assert json.loads(result.stdout)["reason"] == "expired-chain"


def test_cli_refuses_debug_enclave_by_default(asset, expected):
    facts = expected["sui_fixed_valid_attestation.hex"]
    result = CliRunner().invoke(
        app,
        [
            "verify",
            str(asset("tee/nitro/sui_fixed_valid_attestation.hex")),
            "--at",
            facts["recommended_fixed_now"],
        ],
    )
    assert result.exit_code == 1
    assert json.loads(result.stdout)["reason"] == "debug-mode"


def test_cli_verifies_simulated_evidence_under_the_install_root(
    enclave_session, simulated_root, tmp_path
):
    evidence = tmp_path / "evidence.b64"
    evidence.write_bytes(base64.b64encode(enclave_session.evidence(b"n" * 32)))
    root = tmp_path / "root.pem"
    root.write_bytes(simulated_root.root_certificate.public_bytes(serialization.Encoding.PEM))
    result = CliRunner().invoke(
        app, ["verify", str(evidence), "--format", "simulated", "--root", str(root)]
    )
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    assert printed["format"] == "simulated"
    assert printed["nonce"] == (b"n" * 32).hex()
    assert printed["pcrs"]["0"] == enclave_session.measurement


def test_cli_needs_a_root_for_simulated_evidence(asset):
    result = CliRunner().invoke(
        app, ["verify", str(asset("tee/nitro/base_nitro_validator.cbor")), "--format", "simulated"]
    )
    assert result.exit_code == 2


def test_reads_cbor_hex_and_base64_alike(asset):
    raw = asset("tee/nitro/base_nitro_validator.cbor").read_bytes()
    assert read_evidence(raw) == raw
    assert read_evidence(raw.hex().encode() + b"\n") == raw
    assert read_evidence(base64.b64encode(raw)) == raw
    assert read_evidence(base64.urlsafe_b64encode(raw).rstrip(b"=")) == raw


TDX_COLLATERAL = (
    "sample_tcbInfo_response",
    "sample_qeIdentity_response",
    "tcbInfoIssuerChain.pem",
    "pckcrl",
    "rootcrl.der",
)


def _tdx_command(asset, at):
    collateral = [
        option
        for name in TDX_COLLATERAL
        for option in ("--collateral", str(asset(f"tee/tdx/{name}")))
    ]
    evidence = str(asset("tee/tdx/tdx_prod_quote_SPR_E4.dat"))
    return ["verify", evidence, "--format", "tdx", "--at", at, *collateral]


def test_cli_prints_the_tdx_quote_fields_expected_json_lists(asset):
    facts = json.loads(asset("tee/tdx/expected_tdx_prod_quote_SPR_E4.json").read_text())
    result = CliRunner().invoke(app, _tdx_command(asset, "2023-07-01T01:00:00Z"))
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    assert printed["verified"] is True
    assert printed["format"] == "tdx"
    report = printed["report"]
    for name in ("version", "att_key_type", "tee_type", "qe_vendor_id", "attestation_key"):
        assert report[name] == facts[name], name
    for name in ("qe_auth_data", "qe_report_mrenclave", "qe_report_mrsigner"):
        assert report[name] == facts[name], name
    assert (report["qe_isvprodid"], report["qe_isvsvn"]) == (
        facts["qe_isvprodid"],
        facts["qe_isvsvn"],
    )
    for name, value in facts["body"].items():
        assert report[name] == value, name
    assert printed["measurements"]["0"] == facts["body"]["mrtd"]
    assert printed["user_data"] == facts["body"]["report_data"]
    assert report["trailing_bytes"] == facts["trailing_bytes"]


def test_cli_tdx_fails_one_second_after_the_pck_chain_expires(asset):
    result = CliRunner().invoke(app, _tdx_command(asset, "2029-09-20T13:20:32Z"))
    assert result.exit_code == 1
    assert json.loads(result.stdout)["reason"] == "expired-chain"


def test_cli_reads_tdx_collateral_from_a_folder(asset, tmp_path):
    for name in TDX_COLLATERAL:
        (tmp_path / name).write_bytes(asset(f"tee/tdx/{name}").read_bytes())
    evidence = asset("tee/tdx/tdx_prod_quote_SPR_E4.dat")
    at = ["--at", "2023-07-01T01:00:00Z"]
    result = CliRunner().invoke(
        app, ["verify", str(evidence), "--format", "tdx", *at, "--collateral", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output


def _snp_command(asset, at, *extra):
    return [
        "verify",
        str(asset("tee/sev-snp/attestation.bin")),
        "--format",
        "sev-snp",
        "--at",
        at,
        "--collateral",
        str(asset("tee/sev-snp/vcek.der")),
        "--collateral",
        str(asset("tee/sev-snp/ask_ark_milan.pem")),
        *extra,
    ]


def test_cli_prints_the_snp_report_fields_expected_json_lists(asset):
    facts = json.loads(asset("tee/sev-snp/expected_attestation.json").read_text())
    result = CliRunner().invoke(app, _snp_command(asset, "2022-09-24T01:00:00Z", "--allow-debug"))
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    assert printed["format"] == "sev-snp"
    assert printed["measurements"]["0"] == facts["measurement"]
    assert printed["root_sha256"] == facts["ark_sha256"]
    skipped = {"signature_ok", "vcek_hwid_matches_chip_id", "chain", "ark_sha256"}
    for name, value in facts.items():
        if name not in skipped:
            assert printed["report"][name] == value, name
    assert printed["valid_until"] == facts["chain"][0]["na"].replace("+00:00", "Z")


def test_cli_snp_fails_one_second_after_the_vcek_expires(asset):
    result = CliRunner().invoke(app, _snp_command(asset, "2029-09-24T00:55:29Z", "--allow-debug"))
    assert result.exit_code == 1
    assert json.loads(result.stdout)["reason"] == "expired-chain"


def test_cli_snp_refuses_a_debuggable_guest_by_default(asset):
    result = CliRunner().invoke(app, _snp_command(asset, "2022-09-24T01:00:00Z"))
    assert result.exit_code == 1
    assert json.loads(result.stdout)["reason"] == "debug-mode"


def test_cli_accepts_the_tdx_quote_as_hex_and_base64(asset, tmp_path):
    raw = asset("tee/tdx/tdx_prod_quote_SPR_E4.dat").read_bytes()
    assert read_evidence(raw) == raw
    assert read_evidence(raw.hex().encode()) == raw
    assert read_evidence(base64.b64encode(raw)) == raw
