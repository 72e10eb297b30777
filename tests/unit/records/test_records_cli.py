from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from typer.testing import CliRunner

from corridor.cli.deid import app as deid_app
from corridor.cli.records import app as records_app

HIPAA = "fhir-anon/configs/r4-functionaltests-configuration-sample.json"


def test_deid_apply_reproduces_an_upstream_pair_at_the_given_date(
    asset: Callable[[str], Path], tmp_path: Path
) -> None:
    output = tmp_path / "out.json"
    result = CliRunner().invoke(
        deid_app,
        [
            "apply",
            "--config",
            str(asset("fhir-anon/configs/common-config.json")),
            str(asset("fhir-anon/cases/patient-special-content.json")),
            "--output",
            str(output),
            "--at",
            "2025-09-05",
        ],
    )
    assert result.exit_code == 0, result.output
    expected = json.loads(
        asset("fhir-anon/cases/patient-special-content-target.json").read_text("utf-8-sig")
    )
    assert json.loads(output.read_text()) == expected
    assert "elements changed with configuration sha256:" in result.stderr
    # Ten years later the 1940 birth date is over 89 and goes entirely.
    later = CliRunner().invoke(
        deid_app,
        [
            "apply",
            "--config",
            str(asset("fhir-anon/configs/common-config.json")),
            str(asset("fhir-anon/cases/patient-special-content.json")),
            "--at",
            "2035-01-01",
        ],
    )
    assert later.exit_code == 0, later.output
    assert "birthDate" not in json.loads(later.stdout)


def test_deid_apply_refuses_an_invalid_configuration_naming_the_rule(
    asset: Callable[[str], Path], tmp_path: Path
) -> None:
    config = tmp_path / "bad.json"
    config.write_text(json.dumps({"fhirPathRules": [{"path": "Patient.name", "method": "blur"}]}))
    result = CliRunner().invoke(
        deid_app,
        ["apply", "--config", str(config), str(asset("fhir-anon/cases/patient-basic.json"))],
    )
    assert result.exit_code == 1
    assert "fhirPathRules[0] ('Patient.name', blur)" in result.stderr
    bad_date = CliRunner().invoke(
        deid_app,
        [
            "apply",
            "--config",
            str(asset(HIPAA)),
            str(asset("fhir-anon/cases/patient-basic.json")),
            "--at",
            "soon",
        ],
    )
    assert bad_date.exit_code == 1
    assert "--at" in bad_date.stderr


def test_records_summary_shows_the_sections_of_a_bundle(asset: Callable[[str], Path]) -> None:
    result = CliRunner().invoke(
        records_app,
        [
            "summary",
            str(asset("fhir/Carolee951_Sanford861_d88f994a-5efa-421d-9c40-5f116d2114a6.json")),
        ],
        env={"COLUMNS": "200"},
    )
    assert result.exit_code == 0, result.output
    for title in ("International Patient Summary", "Problems", "Immunizations", "Results"):
        assert title in result.stdout
    assert "Allergies and Intolerances: Unavailable" in result.stdout


def test_records_summary_prints_the_ips_document_as_json(
    asset: Callable[[str], Path], tmp_path: Path
) -> None:
    result = CliRunner().invoke(
        records_app, ["summary", "--json", str(asset("fhir/bundle-minimal.json"))]
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    # An IPS document already: shown as it is.
    assert document["type"] == "document"
    saved = tmp_path / "ips.json"
    saved.write_text(result.stdout)
    again = CliRunner().invoke(records_app, ["summary", str(saved)], env={"COLUMNS": "200"})
    assert again.exit_code == 0, again.output
    missing = CliRunner().invoke(records_app, ["summary", str(tmp_path / "none.json")])
    assert missing.exit_code == 1
