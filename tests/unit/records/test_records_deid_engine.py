from __future__ import annotations

import base64
import copy
import random
from datetime import date
from typing import Any

import pytest
from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from corridor.records import DeidProcessingFailed, InvalidDeidConfig
from corridor.records.deid import Anonymizer, load_config

AT = date(2025, 9, 5)


def _engine(*rules: dict[str, Any], seed: int = 1, **parameters: Any) -> Anonymizer:
    config: dict[str, Any] = {"fhirPathRules": list(rules)}
    if parameters:
        config["parameters"] = parameters
    return Anonymizer(load_config(config), rng=random.Random(seed))  # noqa: S311  # seeded: reproducible, not secret


def _patient(**extra: Any) -> dict[str, Any]:
    return {
        "resourceType": "Patient",
        "id": "example",
        "name": [{"use": "official", "family": "Chan", "given": ["Tai", "Man"]}],
        "birthDate": "1970-03-04",
        **extra,
    }


def _labels(resource: dict[str, Any]) -> list[str]:
    return [label["code"] for label in resource.get("meta", {}).get("security", [])]


def test_the_age_over_89_rule_uses_the_evaluation_date_not_the_clock() -> None:
    engine = _engine(
        {"path": "nodesByType('date')", "method": "dateShift"},
        dateShiftKey="123",
        enablePartialDatesForRedact=True,
    )
    born_1940 = _patient(birthDate="1940-01-01")
    assert engine.anonymize(born_1940, at=date(2025, 9, 5)).resource["birthDate"] == "1940-02-11"
    # At 90 the date identifies (HIPAA §164.514(b)(2)(i)(C)): even the year goes.
    assert "birthDate" not in engine.anonymize(born_1940, at=date(2030, 1, 1)).resource


def test_partial_dates_keep_their_year_unless_over_89() -> None:
    engine = _engine(
        {"path": "nodesByType('date')", "method": "redact"}, enablePartialDatesForRedact=True
    )
    assert engine.anonymize(_patient(), at=AT).resource["birthDate"] == "1970"
    assert "birthDate" not in engine.anonymize(_patient(birthDate="1930-05"), at=AT).resource
    strict = _engine({"path": "nodesByType('date')", "method": "redact"})
    assert "birthDate" not in strict.anonymize(_patient(), at=AT).resource


def test_a_fixed_offset_shifts_every_date_alike_and_zeroes_the_time() -> None:
    engine = _engine(
        {"path": "nodesByType('dateTime')", "method": "dateShift"},
        {"path": "nodesByType('date')", "method": "dateShift"},
        dateShiftFixedOffsetInDays=7,
    )
    patient = _patient(deceasedDateTime="2020-12-30T10:11:12+08:00")
    result = engine.anonymize(patient, at=AT).resource
    assert result["birthDate"] == "1970-03-11"
    assert result["deceasedDateTime"] == "2021-01-06T00:00:00+08:00"
    assert _labels(result) == ["PERTURBED"]


def test_first_matching_rule_wins_so_keep_goes_first() -> None:
    engine = _engine(
        {"path": "Patient.name.family", "method": "keep"},
        {"path": "nodesByType('HumanName')", "method": "redact"},
    )
    result = engine.anonymize(_patient(), at=AT).resource
    assert result["name"] == [{"family": "Chan"}]
    reversed_order = _engine(
        {"path": "nodesByType('HumanName')", "method": "redact"},
        {"path": "Patient.name.family", "method": "keep"},
    )
    assert "name" not in reversed_order.anonymize(_patient(), at=AT).resource


def test_nodes_by_name_and_fhirpath_functions_select_elements() -> None:
    engine = _engine(
        {"path": "nodesByName('given')", "method": "redact"},
        {"path": "Patient.telecom.where(system = 'email').value", "method": "redact"},
    )
    patient = _patient(
        telecom=[{"system": "email", "value": "a@b.hk"}, {"system": "phone", "value": "123"}]
    )
    result = engine.anonymize(patient, at=AT).resource
    assert result["name"] == [{"use": "official", "family": "Chan"}]
    assert result["telecom"] == [{"system": "email"}, {"system": "phone", "value": "123"}]


def test_crypto_hash_keeps_references_linked_and_hashes_only_their_id() -> None:
    engine = _engine(
        {"path": "Resource.id", "method": "cryptoHash"},
        {"path": "nodesByType('Reference').reference", "method": "cryptoHash"},
        cryptoHashKey="k",
    )
    observation = {
        "resourceType": "Observation",
        "id": "o1",
        "status": "final",
        "code": {"text": "x"},
        "subject": {"reference": "Patient/example"},
        "performer": [{"reference": "urn:uuid:0b8e0b1c-1c1a-4d2b-9d2f-4a1f8b1c9d00"}],
    }
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {"resource": _patient()},
            {"resource": observation},
        ],
    }
    result = engine.anonymize(bundle, at=AT).resource
    patient, obs = (e["resource"] for e in result["entry"])
    assert obs["subject"]["reference"] == f"Patient/{patient['id']}"
    assert obs["performer"][0]["reference"].startswith("urn:uuid:")
    assert "0b8e0b1c" not in obs["performer"][0]["reference"]
    assert _labels(result) == ["CRYTOHASH"]  # a bundle carries its entries' labels


def test_without_keys_each_engine_hashes_with_its_own_random_key() -> None:
    rule = {"path": "Patient.id", "method": "cryptoHash"}
    first = _engine(rule, seed=1).anonymize(_patient(), at=AT).resource["id"]
    again = _engine(rule, seed=1).anonymize(_patient(), at=AT).resource["id"]
    other = _engine(rule, seed=2).anonymize(_patient(), at=AT).resource["id"]
    assert first == again
    assert first != other


def test_encrypt_is_aes_cbc_with_the_iv_in_front() -> None:
    key = "0123456789abcdef"
    engine = _engine({"path": "Patient.name.family", "method": "encrypt"}, encryptKey=key)
    result = engine.anonymize(_patient(), at=AT).resource
    sealed = base64.b64decode(result["name"][0]["family"])
    decryptor = Cipher(algorithms.AES(key.encode()), modes.CBC(sealed[:16])).decryptor()
    padded = decryptor.update(sealed[16:]) + decryptor.finalize()
    unpadder = padding.PKCS7(128).unpadder()
    assert unpadder.update(padded) + unpadder.finalize() == b"Chan"
    assert _labels(result) == ["MASKED"]


def test_perturb_adds_bounded_noise_and_rounds() -> None:
    engine = _engine(
        {"path": "Observation.value", "method": "perturb", "span": 10, "roundTo": 1},
        {
            "path": "Observation.component.value",
            "method": "perturb",
            "span": 0.5,
            "rangeType": "proportional",
            "roundTo": 0,
        },
    )
    observation = {
        "resourceType": "Observation",
        "status": "final",
        "code": {"text": "x"},
        "valueQuantity": {"value": 100, "unit": "mg"},
        "component": [{"code": {"text": "y"}, "valueInteger": 1}],
    }
    for seed in range(20):
        engine = Anonymizer(engine.config, rng=random.Random(seed))  # noqa: S311  # seeded: reproducible, not secret
        result = engine.anonymize(observation, at=AT).resource
        value = result["valueQuantity"]["value"]
        assert 95 <= value <= 105
        assert round(value, 1) == value
        assert isinstance(result["component"][0]["valueInteger"], int)
    assert _labels(result) == ["PERTURBED"]


def test_generalize_picks_the_first_case_that_holds() -> None:
    engine = _engine(
        {
            "path": "nodesByType('date')",
            "method": "generalize",
            "cases": {
                "$this >= @1990-01-01": "@1990-01-01",
                "$this >= @1960-01-01 and $this < @1990-01-01": "@1960-01-01",
            },
            "otherValues": "redact",
        },
        {
            "path": "Patient.address.postalCode",
            "method": "generalize",
            "cases": {"$this.startsWith('999')": "$this.substring(0,3)+'***'"},
            "otherValues": "keep",
        },
    )
    patient = _patient(address=[{"postalCode": "999077"}, {"postalCode": "518000"}])
    result = engine.anonymize(patient, at=AT).resource
    assert result["birthDate"] == "1960-01-01"
    assert [a["postalCode"] for a in result["address"]] == ["999***", "518000"]
    assert "birthDate" not in engine.anonymize(_patient(birthDate="1950-01-01"), at=AT).resource
    assert _labels(result) == ["GENERALIZED"]


def test_generalize_on_a_complex_element_is_a_configuration_error() -> None:
    engine = _engine({"path": "Patient.name", "method": "generalize", "cases": {"true": "1"}})
    with pytest.raises(InvalidDeidConfig, match="primitive elements only"):
        engine.anonymize(_patient(), at=AT)


def test_processing_errors_raise_or_empty_the_resource() -> None:
    rule = {"path": "Patient.name.family", "method": "generalize", "cases": {"$this > 0": "'x'"}}
    with pytest.raises(DeidProcessingFailed, match=r"fhirPathRules\[0\]"):
        _engine(rule).anonymize(_patient(), at=AT)
    skipping = Anonymizer(
        load_config({"processingErrors": "skip", "fhirPathRules": [rule]}),
        rng=random.Random(1),  # noqa: S311  # seeded: reproducible, not secret
    )
    empty = skipping.anonymize(_patient(), at=AT).resource
    assert empty == {
        "resourceType": "Patient",
        "meta": {
            "security": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/v3-ObservationValue",
                    "code": "REDACTED",
                    "display": "redacted",
                }
            ]
        },
    }


def test_redacted_values_go_but_primitive_extensions_stay_aligned() -> None:
    engine = _engine({"path": "Patient.name.given.first()", "method": "redact"})
    patient = _patient()
    patient["name"][0]["_given"] = [None, {"extension": [{"url": "urn:x", "valueString": "y"}]}]
    name = engine.anonymize(patient, at=AT).resource["name"][0]
    # FHIR R4 §2.6.2.7: "given" and "_given" stay the same length, item for item.
    assert name["given"] == ["Man"]
    assert name["_given"] == [{"extension": [{"url": "urn:x", "valueString": "y"}]}]
    everything = _engine({"path": "Patient.name.given", "method": "redact"})
    # A redacted primitive loses its extensions too (they are its children upstream).
    assert "_given" not in everything.anonymize(patient, at=AT).resource["name"][0]


def test_does_not_touch_its_input_and_counts_changes() -> None:
    patient = _patient()
    before = copy.deepcopy(patient)
    result = _engine({"path": "nodesByType('HumanName')", "method": "redact"}).anonymize(
        patient, at=AT
    )
    assert patient == before
    assert result.changed == 4  # use, family and two given names
    assert result.operations == frozenset({"REDACT"})


def test_existing_security_labels_are_kept_and_not_repeated() -> None:
    patient = _patient(meta={"security": [{"code": "redacted"}, {"code": "R"}]})
    result = _engine({"path": "Patient.name", "method": "redact"}).anonymize(patient, at=AT)
    assert _labels(result.resource) == ["redacted", "R"]


def test_an_unknown_custom_method_needs_an_implementation() -> None:
    from corridor.records.deid.config import MethodSettings  # noqa: PLC0415

    config = load_config(
        {"fhirPathRules": [{"path": "Patient.name", "method": "shout"}]},
        custom_methods={"shout": MethodSettings()},
    )
    with pytest.raises(InvalidDeidConfig, match="shout"):
        Anonymizer(config, rng=random.Random(1))  # noqa: S311  # seeded: reproducible, not secret
