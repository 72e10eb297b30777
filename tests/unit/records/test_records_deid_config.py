from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from corridor.records import InvalidDeidConfig, load_profile
from corridor.records.deid import load_config, read_config_json
from corridor.records.deid.config import MethodSettings


def _config(*rules: dict[str, Any], **top: Any) -> dict[str, Any]:
    return {"fhirVersion": "R4", "fhirPathRules": list(rules), **top}


def test_loads_every_shared_configuration(asset: Callable[[str], Path]) -> None:
    folder = asset("fhir-anon/configs")
    for path in sorted(folder.glob("*.json")):
        config = load_config(read_config_json(path.read_bytes()))
        assert config.rules, path.name
        assert config.digest.startswith("sha256:")


def test_the_hipaa_sample_has_its_193_rules(asset: Callable[[str], Path]) -> None:
    data = asset("fhir-anon/configs/r4-hipaa-safe-harbor-configuration-sample.json").read_bytes()
    config = load_config(read_config_json(data))
    assert len(config.rules) == 193
    assert config.parameters.partial_dates
    assert "036" in config.parameters.restricted_zip_prefixes


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ({"path": "Patient.name", "method": "scramble"}, "'scramble' is not supported"),
        ({"path": "Patient.name.where(", "method": "redact"}, "FHIRPath syntax error"),
        ({"path": "Patient.name.fooBar()", "method": "redact"}, "unknown FHIRPath function"),
        ({"path": "Patient.name", "method": "substitute"}, "substitute needs replaceWith"),
        ({"path": "Patient.name", "method": "substitute", "replaceWith": [1]}, "replaceWith"),
        ({"path": "Observation.value", "method": "perturb"}, "perturb needs a span"),
        ({"path": "Observation.value", "method": "perturb", "span": -1}, "non-negative"),
        (
            {"path": "Observation.value", "method": "perturb", "span": 1, "roundTo": 29},
            "roundTo",
        ),
        (
            {"path": "Observation.value", "method": "perturb", "span": 1, "rangeType": "wide"},
            "rangeType",
        ),
        ({"path": "Patient.gender", "method": "generalize"}, "needs a cases object"),
        (
            {"path": "Patient.gender", "method": "generalize", "cases": {"$this = ": "'x'"}},
            "invalid case",
        ),
        (
            {"path": "Patient.gender", "method": "generalize", "cases": {}, "otherValues": "x"},
            "otherValues",
        ),
        ({"path": "Patient.name", "method": "redact", "replaceWith": "x"}, "unknown settings"),
        ({"method": "redact"}, "needs a path and a method"),
    ],
)
def test_refuses_an_invalid_rule_and_names_it(rule: dict[str, Any], message: str) -> None:
    config = _config({"path": "Patient.id", "method": "cryptoHash"}, rule)
    with pytest.raises(InvalidDeidConfig, match=message) as caught:
        load_config(config)
    assert "fhirPathRules[1]" in caught.value.message
    if "path" in rule:
        assert repr(rule["path"]) in caught.value.message


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"fhirPathRules": [], "fhirVersion": "Stu3"}, "fhirVersion"),
        ({"fhirPathRules": [], "processingErrors": "ignore"}, "processingErrors"),
        ({"fhirVersion": "R4"}, "fhirPathRules array"),
        ({"fhirPathRules": [], "rules": []}, "unknown configuration keys"),
        ({"fhirPathRules": [], "parameters": {"encryptKey": "short"}}, "AES needs"),
        ({"fhirPathRules": [], "parameters": {"dateShiftScope": "galaxy"}}, "dateShiftScope"),
        ({"fhirPathRules": [], "parameters": {"cryptoHashKey": 5}}, "cryptoHashKey"),
        ({"fhirPathRules": [], "parameters": {"enablePartialDatesForRedact": "yes"}}, "true or"),
        ({"fhirPathRules": [], "parameters": {"dateShiftFixedOffsetInDays": "7"}}, "integer"),
        ({"fhirPathRules": [], "parameters": {"dateShiftKeys": ""}}, "unknown parameters"),
        ({"fhirPathRules": ["Patient.name"]}, "must be an object"),
    ],
)
def test_refuses_invalid_configuration_keys(config: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidDeidConfig, match=message):
        load_config(config)


def test_reads_a_byte_order_mark_and_refuses_duplicate_keys() -> None:
    text = '\ufeff{"fhirPathRules": []}'
    assert read_config_json(text.encode()) == {"fhirPathRules": []}
    with pytest.raises(InvalidDeidConfig, match="duplicate keys"):
        read_config_json(b'{"fhirPathRules": [], "fhirPathRules": []}')
    with pytest.raises(InvalidDeidConfig, match="not valid JSON"):
        read_config_json(b"{")
    with pytest.raises(InvalidDeidConfig, match="JSON object"):
        read_config_json(b"[]")


def test_custom_methods_are_refused_unless_declared_and_their_settings_checked() -> None:
    rule = {"path": "nodesByType('Narrative').div", "method": "scrubText", "entities": ["X"]}
    with pytest.raises(InvalidDeidConfig, match="not supported"):
        load_config(_config(rule))
    declared = {
        "scrubText": MethodSettings(
            keys=frozenset({"entities"}),
            check=lambda settings: "bad entities" if settings["entities"] == ["X"] else None,
        )
    }
    with pytest.raises(InvalidDeidConfig, match=r"fhirPathRules\[0\].*bad entities"):
        load_config(_config(rule), custom_methods=declared)
    assert load_config(_config({**rule, "entities": ["Y"]}), custom_methods=declared).rules


def test_the_digest_follows_the_content_not_the_formatting() -> None:
    config = _config({"path": "Patient.name", "method": "redact"})
    pretty = json.dumps(config, indent=4)
    assert load_config(read_config_json(pretty)).digest == load_config(config).digest
    other = _config({"path": "Patient.name", "method": "keep"})
    assert load_config(other).digest != load_config(config).digest


def test_the_shipped_profiles_load_and_refuse_misspelt_entities() -> None:
    treatment = load_profile("treatment")
    assert treatment.digest == treatment.config.digest
    assert any(rule.method == "scrubtext" for rule in treatment.config.rules)
    from corridor.records.destinations import CUSTOM_METHODS  # noqa: PLC0415

    bad = _config({"path": "Patient.text.div", "method": "scrubText", "entities": ["PHONE"]})
    with pytest.raises(InvalidDeidConfig, match="unknown entities"):
        load_config(bad, custom_methods=CUSTOM_METHODS)
