"""``corridor demo`` as a user runs it: real processes, real HTTP on loopback, SQLite files."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from demo_runs import files_containing, identifiers, run_demo  # type: ignore[import-not-found]


@pytest.fixture(scope="module")
def demo_run(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, subprocess.CompletedProcess[str]]:
    workdir = tmp_path_factory.mktemp("demo")
    return workdir, run_demo(workdir)


@pytest.mark.integration
@pytest.mark.slow
def test_demo_prints_the_five_steps_and_exits_zero(demo_run):
    _workdir, result = demo_run
    assert result.returncode == 0, result.stdout + result.stderr
    for step in ("step 1 (request)", "step 2 (filing)", "step 3", "step 4", "step 5", "proof"):
        assert step in result.stdout
    assert "every inclusion proof verified" in result.stdout


@pytest.mark.integration
@pytest.mark.slow
def test_demo_keeps_each_partys_state_in_its_own_folder(demo_run):
    workdir, _result = demo_run
    for name in ("hospital-a", "hospital-b", "datacenter", "regulator-a", "regulator-b", "portal"):
        assert (workdir / name / "corridor.db").is_file()
    assert (workdir / "evidence" / "consent.json").is_file()
    assert (workdir / "evidence" / "trust.json").is_file()
    assert len(list((workdir / "evidence" / "receipts").iterdir())) == 11


@pytest.mark.integration
@pytest.mark.slow
def test_no_file_of_the_data_center_holds_a_direct_identifier(demo_run):
    workdir, _result = demo_run
    shipped = Path(__file__).resolve().parents[2] / "src/corridor/apps/data/demo-patient.json"
    needles = identifiers(shipped)
    assert len(needles) >= 6
    assert files_containing(workdir / "datacenter", needles) == {}


@pytest.mark.integration
@pytest.mark.slow
def test_every_receipt_verifies_offline_and_fails_after_any_change(demo_run, tmp_path):
    workdir, _result = demo_run
    trust = workdir / "evidence" / "trust.json"
    receipts = sorted((workdir / "evidence" / "receipts").iterdir())
    for receipt in receipts:
        ok = subprocess.run(
            [
                sys.executable,
                "-m",
                "corridor",
                "ledger",
                "verify-receipt",
                str(receipt),
                "--trust",
                str(trust),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        assert ok.returncode == 0, ok.stderr
    tampered = tmp_path / "tampered.txt"
    data = bytearray(receipts[0].read_bytes())
    data[len(data) // 2] ^= 0x01
    tampered.write_bytes(bytes(data))
    bad = subprocess.run(
        [
            sys.executable,
            "-m",
            "corridor",
            "ledger",
            "verify-receipt",
            str(tampered),
            "--trust",
            str(trust),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode != 0


@pytest.mark.integration
@pytest.mark.slow
def test_the_signed_consent_verifies_offline(demo_run):
    workdir, _result = demo_run
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "corridor",
            "consent",
            "verify",
            str(workdir / "evidence" / "consent.json"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
