"""Fixtures of the compliance tests: the shipped packs (loaded once) and the scenarios."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from compliance_world import World, build_world  # type: ignore[import-not-found]

from corridor.compliance import PackSet, load_packs


@pytest.fixture(scope="session")
def packs() -> PackSet:
    return load_packs()


@pytest.fixture(scope="session")
def scenarios_document() -> dict[str, Any]:
    path = Path(__file__).parents[2] / "assets" / "compliance" / "scenarios.json"
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture
def world(database) -> World:
    return build_world(database)
