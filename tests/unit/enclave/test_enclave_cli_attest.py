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
