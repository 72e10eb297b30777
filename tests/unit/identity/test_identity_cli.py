from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from corridor.cli import identity, wallet
from corridor.cli.consent import app as consent_app
from corridor.identity import FileKeyStore

_RUNNER = CliRunner()
HOSPITAL_A = "did:web:hospital-a.test"
HOSPITAL_B = "did:web:hospital-b.test"


@pytest.fixture
def passphrase(monkeypatch) -> str:
    monkeypatch.setenv(wallet.PASSPHRASE_ENV, "a long wallet passphrase")
    return "a long wallet passphrase"


def _run(app, *args: str):
    result = _RUNNER.invoke(app, list(args))
    return result, (json.loads(result.stdout) if result.exit_code == 0 else None)


def _signed_consent(tmp_path: Path, *extra: str) -> tuple[Path, Path]:
    path = tmp_path / "wallet.json"
    _run(wallet.app, "create", "--wallet", str(path))
    consent = tmp_path / "consent.json"
    result, _ = _run(
        wallet.app,
        "sign-consent",
        "--wallet",
        str(path),
        "--custodian",
        HOSPITAL_A,
        "--recipient",
        HOSPITAL_B,
        "--type",
        "Condition",
        "--type",
        "Observation",
        "--data-from",
        "2015-01-01",
        "--out",
        str(consent),
        *extra,
    )
    assert result.exit_code == 0, result.output
    return path, consent


@pytest.mark.usefixtures("passphrase")
def test_create_then_show_prints_the_same_did_key(tmp_path):
    path = tmp_path / "wallet.json"
    created, first = _run(wallet.app, "create", "--wallet", str(path))
    assert created.exit_code == 0, created.output
    assert first["did"].startswith("did:key:z6Mk")
    _, shown = _run(wallet.app, "show", "--wallet", str(path))
    assert shown["did"] == first["did"]
    again, _ = _run(wallet.app, "create", "--wallet", str(path))
    assert again.exit_code == 1
    assert "never overwritten" in again.output


@pytest.mark.usefixtures("passphrase")
def test_a_consent_signed_with_the_wallet_passes_consent_verify(tmp_path):
    path, consent = _signed_consent(tmp_path)
    verified, summary = _run(consent_app, "verify", str(consent), "--recipient", HOSPITAL_B)
    assert verified.exit_code == 0, verified.output
    _, shown = _run(wallet.app, "show", "--wallet", str(path))
    assert summary["patient"] == shown["did"]
    assert summary["scope"]["data_from"] == "2015-01-01"
    checked, report = _run(wallet.app, "verify", str(consent), "--wallet", str(path))
    assert checked.exit_code == 0
    assert report["kind"] == "consent"


@pytest.mark.usefixtures("passphrase")
def test_a_consent_may_name_the_records_it_covers(tmp_path):
    _, consent = _signed_consent(tmp_path, "--record", "Condition/c-1", "--record", "Condition/c-2")
    verified, summary = _run(consent_app, "verify", str(consent), "--recipient", HOSPITAL_B)
    assert verified.exit_code == 0, verified.output
    assert summary["scope"]["record_ids"] == ["Condition/c-1", "Condition/c-2"]
    refused, _ = _run(
        wallet.app,
        "sign-consent",
        "--wallet",
        str(tmp_path / "wallet.json"),
        "--custodian",
        HOSPITAL_A,
        "--recipient",
        HOSPITAL_B,
        "--type",
        "Condition",
        "--record",
        "Procedure/p-1",
        "--out",
        str(tmp_path / "other.json"),
    )
    assert refused.exit_code == 1
    assert "not of a consented type" in refused.output


@pytest.mark.usefixtures("passphrase")
def test_a_revocation_verifies_against_its_consent_and_wallet(tmp_path):
    path, consent = _signed_consent(tmp_path)
    revocation = tmp_path / "revocation.json"
    result, _ = _run(
        wallet.app,
        "revoke",
        str(consent),
        "--wallet",
        str(path),
        "--reason",
        "changed my mind",
        "--out",
        str(revocation),
    )
    assert result.exit_code == 0, result.output
    checked, report = _run(
        wallet.app, "verify", str(revocation), "--consent", str(consent), "--wallet", str(path)
    )
    assert checked.exit_code == 0, checked.output
    assert report["kind"] == "revocation"


@pytest.mark.usefixtures("passphrase")
def test_a_document_from_another_wallet_is_refused(tmp_path):
    _path, consent = _signed_consent(tmp_path)
    other = tmp_path / "other.json"
    _run(wallet.app, "create", "--wallet", str(other))
    checked, _ = _run(wallet.app, "verify", str(consent), "--wallet", str(other))
    assert checked.exit_code == 1
    assert "not signed by the wallet" in checked.output


def test_a_wrong_passphrase_cannot_sign(tmp_path, monkeypatch):
    monkeypatch.setenv(wallet.PASSPHRASE_ENV, "right")
    path, consent = _signed_consent(tmp_path)
    monkeypatch.setenv(wallet.PASSPHRASE_ENV, "wrong")
    result, _ = _run(
        wallet.app, "revoke", str(consent), "--wallet", str(path), "--out", str(tmp_path / "r")
    )
    assert result.exit_code == 1
    assert "wrong passphrase" in result.output


def test_rotate_key_keeps_the_old_key_as_retired(tmp_path, monkeypatch):
    monkeypatch.setenv("CORRIDOR_KEY_PASSPHRASE", "node secret")
    config = tmp_path / "settings.toml"
    config.write_text(
        "\n".join(
            [
                'party = "hospital"',
                'name = "hospital-a"',
                'public_url = "http://127.0.0.1:9001"',
                f'state_dir = "{tmp_path / "state"}"',
                "key_kdf_memory_kib = 1024",
            ]
        )
    )
    FileKeyStore(tmp_path / "state" / "keys", b"node secret", memory_kib=1024).load_or_create()
    result, rotated = _run(identity.app, "rotate-key", "--config", str(config))
    assert result.exit_code == 0, result.output
    assert rotated["signing_key"].endswith("#key-2")
    assert rotated["retired_keys"] == ["did:web:127.0.0.1%3A9001#key-1"]
    _, shown = _run(identity.app, "show", "--config", str(config))
    assert shown == rotated
