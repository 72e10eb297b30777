from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from corridor.cli.consent import app
from corridor.consent import SignedConsent

_RUNNER = CliRunner()


def _write(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "consent.json"
    path.write_bytes(data)
    return path


def test_verify_accepts_a_valid_consent_and_prints_its_terms(
    tmp_path: Path, signed: SignedConsent
) -> None:
    path = _write(tmp_path, signed.to_bytes())
    result = _RUNNER.invoke(app, ["verify", str(path), "--at", "2025-06-01T00:00:00Z"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["status"] == "valid"
    assert summary["recipient"] == "did:web:hospital-b.test"
    assert summary["digest"].startswith("sha256:")


def test_verify_rejects_an_expired_consent(tmp_path: Path, signed: SignedConsent) -> None:
    path = _write(tmp_path, signed.to_bytes())
    result = _RUNNER.invoke(app, ["verify", str(path), "--at", "2027-01-01T00:00:00Z"])
    assert result.exit_code == 1
    assert "expired" in result.stderr


def test_verify_rejects_a_consent_for_another_recipient(
    tmp_path: Path, signed: SignedConsent
) -> None:
    path = _write(tmp_path, signed.to_bytes())
    result = _RUNNER.invoke(
        app,
        ["verify", str(path), "--at", "2025-06-01T00:00:00Z", "--recipient", "did:web:x.test"],
    )
    assert result.exit_code == 1
    assert "recipient" in result.stderr


def test_verify_rejects_a_file_with_one_byte_changed(tmp_path: Path, signed: SignedConsent) -> None:
    data = bytearray(signed.to_bytes())
    position = data.index(b"hospital-b") + 2
    data[position] = ord("X")
    path = _write(tmp_path, bytes(data))
    result = _RUNNER.invoke(app, ["verify", str(path), "--at", "2025-06-01T00:00:00Z"])
    assert result.exit_code == 1
    assert "signature" in result.stderr


def test_verify_rejects_a_bad_time_and_a_missing_file(tmp_path: Path) -> None:
    missing = _RUNNER.invoke(app, ["verify", str(tmp_path / "none.json")])
    assert missing.exit_code == 1
    assert "cannot read" in missing.stderr
    path = _write(tmp_path, b"{}")
    bad_time = _RUNNER.invoke(app, ["verify", str(path), "--at", "yesterday"])
    assert bad_time.exit_code == 1
