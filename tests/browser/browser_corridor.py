"""Helpers of the browser tests: the running corridor, Chromium's settings, axe-core.

The parties are the demo's six, started with ``corridor.apps.launcher.run_parties`` on
free loopback ports; a test fails with a party's server log if that party dies. Chromium
is Debian's (``scripts/browser-setup`` installs it; never ``playwright install``) and
every page gets axe-core from the npm registry (tests/browser/package.json).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from corridor.apps.demo_pages import SignInLink
from corridor.apps.launcher import RunningParty

CHROMIUM = Path("/usr/bin/chromium")
AXE = Path(__file__).with_name("node_modules") / "axe-core" / "axe.min.js"
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
LAUNCH_ARGS = [
    "--no-sandbox",  # CI runs as root, where Chromium's sandbox cannot start
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def require(path: Path, what: str) -> None:
    if path.exists():
        return
    message = f"{what} is missing ({path}); run `make browser` (scripts/browser-setup)"
    if os.environ.get("CI"):
        pytest.fail(message)  # in CI the browser walk must run, never skip
    pytest.skip(message)


@dataclass
class LiveCorridor:
    """The running parties, their staff's sign-in links and the enrolled patient."""

    parties: dict[str, RunningParty]
    links: dict[str, SignInLink]
    patient_id: str

    def url(self, name: str) -> str:
        return self.parties[name].url

    def check_alive(self) -> None:
        """Fail with the log of any party that died."""
        for name, party in self.parties.items():
            if party.process.poll() is not None:
                log = party.log.read_text(errors="replace")[-4000:]
                pytest.fail(f"{name} exited with code {party.process.returncode}:\n{log}")


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Serious and critical axe-core violations on the page as it is now."""
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:3]}
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def describe(violations: list[dict[str, Any]]) -> str:
    return json.dumps(violations, indent=1, ensure_ascii=False)
