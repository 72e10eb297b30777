"""Running ``corridor demo`` as a user does, and scanning what it leaves behind."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

SHARED_FHIR = Path(__file__).resolve().parents[3] / "shared" / "data" / "fhir"
_NOT_PATIENTS = {
    "hospitalInformation1583281853074.json",
    "practitionerInformation1583281853074.json",
}


def patient_bundles() -> list[Path]:
    if not SHARED_FHIR.is_dir():
        return []
    return sorted(path for path in SHARED_FHIR.rglob("*.json") if path.name not in _NOT_PATIENTS)


def run_demo(workdir: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "160"}
    return subprocess.run(
        [sys.executable, "-m", "corridor", "demo", "--workdir", str(workdir), *extra],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        check=False,
    )


def identifiers(bundle: Path) -> list[str]:
    data = json.loads(bundle.read_text())
    patient = next(
        e["resource"] for e in data["entry"] if e["resource"]["resourceType"] == "Patient"
    )
    values = [n["family"] for n in patient.get("name", []) if "family" in n]
    values += [i["value"] for i in patient.get("identifier", []) if len(i.get("value", "")) > 4]
    values += [t["value"] for t in patient.get("telecom", []) if len(t.get("value", "")) > 4]
    values += [line for a in patient.get("address", []) for line in a.get("line", [])]
    return values


def files_containing(folder: Path, needles: list[str]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path in folder.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            hits = [n for n in needles if n.encode() in data]
            if hits:
                found[str(path.relative_to(folder))] = hits
    return found
