"""Fixtures of the browser tests: real parties in subprocesses and Debian's Chromium."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from browser_corridor import (  # type: ignore[import-not-found]
    ARTIFACTS,
    AXE,
    CHROMIUM,
    LAUNCH_ARGS,
    LiveCorridor,
    require,
)

from corridor.apps.demo import DEMO_PARTIES
from corridor.apps.demo_pages import demo_sign_in_links, operator_signers
from corridor.apps.launcher import run_parties


@pytest.fixture(scope="module")
def live_corridor(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveCorridor]:
    require(CHROMIUM, "Debian's Chromium")
    require(AXE, "axe-core")
    workdir = tmp_path_factory.mktemp("corridor")
    bundle = Path(__file__).resolve().parents[2] / "src/corridor/apps/data/demo-patient.json"
    with run_parties(workdir, DEMO_PARTIES) as parties:
        with httpx.Client(timeout=60, auth=operator_signers(parties, workdir)) as client:
            # The record is at hospital A already (imported by its own staff, not a page).
            imported = client.post(
                f"{parties['hospital-a'].url}/api/records/bundles",
                content=bundle.read_bytes(),
                headers={"content-type": "application/fhir+json"},
            )
            imported.raise_for_status()
            links = demo_sign_in_links(client, parties, patient=False)
        corridor = LiveCorridor(
            parties=parties,
            links={link.party: link for link in links},
            patient_id=str(imported.json()["patient_id"]),
        )
        yield corridor
        corridor.check_alive()


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    require(CHROMIUM, "Debian's Chromium")
    from playwright.sync_api import sync_playwright  # noqa: PLC0415  # only browser tests need it

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=LAUNCH_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    if ARTIFACTS.exists():
        shutil.rmtree(ARTIFACTS)
    ARTIFACTS.mkdir(parents=True)
    return ARTIFACTS
