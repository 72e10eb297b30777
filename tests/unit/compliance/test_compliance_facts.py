import json

import pytest
from pydantic import ValidationError

from corridor.compliance import Facts


def test_fields_are_exactly_the_keys_of_the_scenario_defaults(asset):
    defaults = json.loads(asset("compliance/scenarios.json").read_text())["defaults"]
    assert set(Facts.model_fields) == set(defaults)
    assert Facts().model_dump(mode="json") == {
        key: (list(value) if isinstance(value, list) else value) for key, value in defaults.items()
    }


def test_unknown_keys_are_refused():
    with pytest.raises(ValidationError, match="extra"):
        Facts.model_validate({"origin": "CN", "typo_key": True})


def test_unknown_consent_codes_are_refused():
    with pytest.raises(ValidationError):
        Facts.model_validate({"consents": ["cn_whatever"]})
