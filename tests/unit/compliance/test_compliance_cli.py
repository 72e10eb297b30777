"""``corridor compliance evaluate`` answers every scenario; only bad input exits non-zero."""

from __future__ import annotations

import json
from pathlib import Path

from test_compliance_engine import check_expectation  # type: ignore[import-not-found]
from typer.testing import CliRunner

from corridor.cli import app
from corridor.compliance import Decision

_RUNNER = CliRunner()


def _evaluate(*args: str):
    return _RUNNER.invoke(app, ["compliance", "evaluate", *args, "--as-of", "2026-11-28"])


def test_every_shared_scenario_gets_the_expected_decision_through_the_cli(
    asset, scenarios_document
):
    scenarios = {s["id"]: s for s in scenarios_document["scenarios"]}
    failures = {}
    for code in ("CN", "HK", "EU"):
        result = _evaluate("--pack", code, "--facts", str(asset("compliance/scenarios.json")))
        assert result.exit_code == 0, result.output
        lines = [json.loads(line) for line in result.stdout.splitlines()]
        assert [line["id"] for line in lines] == list(scenarios)
        for line in lines:
            expectation = scenarios[line["id"]]
            if expectation["pack"] != code:
                continue
            assert line["pack"] == code
            problems = check_expectation(_decision(line), expectation["expected"])
            if problems:
                failures[line["id"]] = problems
    assert failures == {}


def _decision(line: dict):
    body = {key: value for key, value in line.items() if key != "id"}
    return Decision.from_json(body)


def test_one_facts_object_prints_one_decision_and_a_deny_still_exits_zero(tmp_path: Path):
    facts = tmp_path / "facts.json"
    facts.write_text(json.dumps({"has_sensitive_pi": True, "consents": []}))
    result = _evaluate("--pack", "CN", "--facts", str(facts))
    assert result.exit_code == 0, result.output
    decision = json.loads(result.stdout)
    assert decision["decision"] == "DENY"
    assert "CN-R30-SEPARATE-CONSENT-XB" in decision["rule_ids"]
    assert decision["pack_digest"].startswith("sha256:")


def test_the_importing_side_can_be_asked_for(tmp_path: Path):
    facts = tmp_path / "facts.json"
    facts.write_text(json.dumps({"has_health": True, "hk_purpose_directly_related": False}))
    result = _evaluate("--pack", "HK", "--role", "import", "--facts", str(facts))
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["mechanism"] == "PRESCRIBED_CONSENT"


def test_unknown_fact_keys_are_invalid_input(tmp_path: Path):
    facts = tmp_path / "facts.json"
    facts.write_text(json.dumps({"has_pii": True}))
    result = _evaluate("--pack", "CN", "--facts", str(facts))
    assert result.exit_code == 2
    assert "has_pii" in result.stderr


def test_unreadable_files_unknown_packs_and_non_json_are_invalid_input(tmp_path: Path):
    assert _evaluate("--pack", "CN", "--facts", str(tmp_path / "absent.json")).exit_code == 2
    garbage = tmp_path / "garbage.json"
    garbage.write_text("{not json")
    assert _evaluate("--pack", "CN", "--facts", str(garbage)).exit_code == 2
    empty = tmp_path / "empty.json"
    empty.write_text("{}")
    assert _evaluate("--pack", "SG", "--facts", str(empty)).exit_code == 2
    assert _evaluate("--pack", "CN", "--facts", str(empty), "--role", "transit").exit_code == 2


def test_packs_lists_versions_and_digests():
    result = _RUNNER.invoke(app, ["compliance", "packs"])
    assert result.exit_code == 0, result.output
    listed = json.loads(result.stdout)
    assert [p["pack"] for p in listed] == ["CN", "EU", "HK"]
    assert all(p["digest"].startswith("sha256:") for p in listed)
