"""`corridor demo --privacy`: joint jobs across the running hospitals, signed as operators."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_the_demo_runs_one_privacy_job_per_aggregation_mode(tmp_path: Path):
    result = subprocess.run(
        [sys.executable, "-m", "corridor", "demo", "--workdir", str(tmp_path), "--privacy"],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "COLUMNS": "200"},
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    out = result.stdout
    assert "loaded 80 WDBC patients (FHIR) into each hospital's store" in out
    for computation, mode in (
        ("count", "masking"),
        ("mean", "paillier"),
        ("logistic-regression", "enclave"),
    ):
        assert f"{computation} by {mode}:" in out, out[-3000:]
    accuracy = re.search(r"model accuracy (\d\.\d+) on the hold-out", out)
    assert accuracy is not None
    assert float(accuracy.group(1)) > 0.85  # WDBC logistic regression is ~0.95 centrally
