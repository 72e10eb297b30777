"""Records test data: the copied bundles, and a builder for small synthetic bundles."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

SYNTHEA = "fhir/Carolee951_Sanford861_d88f994a-5efa-421d-9c40-5f116d2114a6.json"
IPS = "fhir/bundle-minimal.json"


@pytest.fixture
def synthea_bytes(asset: Callable[[str], Path]) -> bytes:
    return asset(SYNTHEA).read_bytes()


@pytest.fixture
def synthea(synthea_bytes: bytes) -> dict[str, Any]:
    return json.loads(synthea_bytes)


@pytest.fixture
def ips(asset: Callable[[str], Path]) -> dict[str, Any]:
    return json.loads(asset(IPS).read_bytes())
