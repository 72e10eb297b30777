"""``corridor demo`` as a user runs it: real processes, real HTTP on loopback, SQLite files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

_SHARED_FHIR = Path(__file__).resolve().parents[3] / "shared" / "data" / "fhir"
_NOT_PATIENTS = {
    "hospitalInformation1583281853074.json",
    "practitionerInformation1583281853074.json",
}


def _patient_bundles() -> list[Path]:
    if not _SHARED_FHIR.is_dir():
        return []
    return sorted(path for path in _SHARED_FHIR.rglob("*.json") if path.name not in _NOT_PATIENTS)


def _run_demo(workdir: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "160"}
    return subprocess.run(
        [sys.executable, "-m", "corridor", "demo", "--workdir", str(workdir), *extra],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        check=False,
    )


def _identifiers(bundle: Path) -> list[str]:
    data = json.loads(bundle.read_text())
    patient = next(
        e["resource"] for e in data["entry"] if e["resource"]["resourceType"] == "Patient"
    )
    values = [n["family"] for n in patient.get("name", []) if "family" in n]
    values += [i["value"] for i in patient.get("identifier", []) if len(i.get("value", "")) > 4]
    values += [t["value"] for t in patient.get("telecom", []) if len(t.get("value", "")) > 4]
    values += [line for a in patient.get("address", []) for line in a.get("line", [])]
    return values


def _files_containing(folder: Path, needles: list[str]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path in folder.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            hits = [n for n in needles if n.encode() in data]
            if hits:
                found[str(path.relative_to(folder))] = hits
    return found


@pytest.fixture(scope="module")
def demo_run(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, subprocess.CompletedProcess[str]]:
    workdir = tmp_path_factory.mktemp("demo")
    return workdir, _run_demo(workdir)


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
    needles = _identifiers(shipped)
    assert len(needles) >= 6
    assert _files_containing(workdir / "datacenter", needles) == {}


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


@pytest.mark.integration
@pytest.mark.slow
@pytest.mark.parametrize("bundle", _patient_bundles(), ids=lambda p: p.stem[:24])
def test_demo_moves_every_shared_patient_bundle(bundle: Path, tmp_path: Path):
    result = _run_demo(tmp_path, "--patient", str(bundle))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert _files_containing(tmp_path / "datacenter", _identifiers(bundle)) == {}


def test_the_shared_patient_bundles_are_present_in_ci():
    if os.environ.get("CI"):
        assert len(_patient_bundles()) >= 15, f"shared FHIR bundles missing under {_SHARED_FHIR}"
