"""The whole corridor as people walk it, in Chromium, in Simplified Chinese and in English.

The patient signs in with a key his browser makes and keeps, hospital A's desk links that
key to his record, he requests and signs; the desk files and uploads; the data center's
operator processes; the clinician at hospital B opens the summary; the regulator sees the
flow and verifies its entries in the page; the patient verifies, then revokes, and the
clinician is refused. Every page is screenshotted and checked with axe-core.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from browser_corridor import (  # type: ignore[import-not-found]
    AXE,
    LiveCorridor,
    axe_violations,
    describe,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# Browser locale → the language the pages must answer in (Accept-Language negotiation).
LANGUAGES = {"zh-CN": ("zh-Hans", "我的转移"), "en-US": ("en", "My transfers")}


class Walk:
    """One person's tab, with the checks every page gets."""

    def __init__(self, page: Any, corridor: LiveCorridor, folder: Path, prefix: str) -> None:
        self.page = page
        self.corridor = corridor
        self.folder = folder
        self.prefix = prefix
        self.errors: list[str] = []
        page.on("pageerror", lambda error: self.errors.append(str(error)))

    def check(self, name: str, language: str) -> None:
        """Screenshot, language, accessibility and script errors of the page shown now."""
        self.corridor.check_alive()
        self.page.wait_for_load_state("networkidle")
        self.page.screenshot(path=str(self.folder / f"{self.prefix}-{name}.png"), full_page=True)
        assert self.page.evaluate("document.documentElement.lang") == language
        violations = axe_violations(self.page)
        assert not violations, f"{name}: {describe(violations)}"
        assert not self.errors, f"{name}: script errors {self.errors}"

    def sign_in_with_link(self, party: str) -> None:
        self.page.goto(self.corridor.links[party].link)
        self.page.locator("main button[type=submit]").click()
        self.page.wait_for_load_state()


def _wait_verified(page: Any, selector: str) -> None:
    """Wait for the page's own verification to finish; fail with what it said if it failed."""
    status = page.locator(selector)
    page.locator(f"{selector}[data-kind=ok], {selector}[data-kind=error]").wait_for(timeout=60_000)
    assert status.get_attribute("data-kind") == "ok", status.inner_text()


@dataclass
class People:
    """Everyone's tab in one browser context, and what the walk has learnt so far."""

    corridor: LiveCorridor
    language: str
    patient: Walk
    desk: Walk
    operator: Walk
    clinician: Walk
    regulator: Walk
    did: str = ""
    transfer: str = ""


def _patient_signs_in_with_a_key_his_browser_keeps(people: People, home_heading: str) -> None:
    patient, portal = people.patient, people.corridor.url("portal")
    patient.page.goto(portal + "/")
    patient.check("01-sign-in", people.language)
    patient.page.locator("[data-action=sign-in]").click()
    patient.page.wait_for_url(portal + "/")
    assert patient.page.locator("h1").inner_text() == home_heading
    people.did = patient.page.evaluate("document.body.dataset.subject")
    assert people.did.startswith("did:key:z")
    patient.check("02-home", people.language)


def _desk_links_his_key_to_his_record(people: People) -> None:
    desk = people.desk
    desk.sign_in_with_link("hospital-a")
    desk.page.select_option("#patient_id", people.corridor.patient_id)
    desk.page.fill("#did", people.did)
    desk.page.locator("form[action='/desk/patients/link'] button").click()
    desk.page.wait_for_load_state()
    desk.check("01-desk", people.language)


def _patient_requests_reads_and_signs(people: People) -> None:
    patient, portal = people.patient, people.corridor.url("portal")
    patient.page.goto(portal + "/requests/new")
    patient.page.fill("#patient_ref", people.corridor.patient_id)
    patient.check("03-request", people.language)
    patient.page.locator("form[action='/requests/review'] button[type=submit]").click()
    patient.page.wait_for_load_state()
    assert "Hospital B (Hong Kong)" in patient.page.locator(".summary-plain").inner_text()
    patient.check("04-review", people.language)
    patient.page.locator("[data-action=sign-consent]").click()
    patient.page.wait_for_url(re.compile(r".*/transfers/[0-9a-f-]{36}$"))
    people.transfer = patient.page.url.rsplit("/", 1)[-1]
    assert patient.page.locator("li[data-step='1'][data-state=done]").count() == 1
    patient.check("05-requested", people.language)


def _desk_files_and_uploads(people: People) -> None:
    desk, transfer = people.desk, people.transfer
    desk.page.goto(people.corridor.url("hospital-a") + "/desk")
    desk.page.locator(f"tr[data-transfer='{transfer}'] button").click()
    desk.page.wait_for_url(re.compile(rf".*/desk/transfers/{transfer}$"))
    desk.page.locator(f"form[action='/desk/transfers/{transfer}/upload'] button").click()
    desk.page.wait_for_load_state()
    assert desk.page.locator("li[data-step='3'][data-state=done]").count() == 1
    desk.check("02-transfer", people.language)


def _datacenter_attests_and_processes(people: People) -> None:
    operator, transfer = people.operator, people.transfer
    operator.sign_in_with_link("datacenter")
    operator.page.locator(f"tr[data-transfer='{transfer}'] button").click()
    operator.page.wait_for_load_state()
    assert operator.page.locator(f"tr[data-transfer='{transfer}'] button").count() == 0
    operator.check("01-console", people.language)


def _clinician_opens_the_summary(people: People) -> None:
    clinician, transfer = people.clinician, people.transfer
    clinician.sign_in_with_link("hospital-b")
    clinician.check("01-received", people.language)
    clinician.page.locator(f"tr[data-transfer='{transfer}'] button").click()
    clinician.page.wait_for_load_state()
    assert clinician.page.locator("[data-section=problems]").count() == 1
    assert clinician.page.locator(".legend .badge.ok").count() >= 3
    clinician.check("02-summary", people.language)


def _regulator_sees_the_flow_and_verifies_it(people: People) -> None:
    regulator, transfer = people.regulator, people.transfer
    base = people.corridor.url("regulator-a")
    regulator.sign_in_with_link("regulator-a")
    assert regulator.page.locator(f"tr[data-transfer='{transfer}']").count() == 1
    assert regulator.page.locator("svg.chart rect").count() >= 1
    regulator.check("01-console", people.language)
    regulator.page.goto(f"{base}/filings/{transfer}")
    regulator.page.locator("#verify-all").click()
    _wait_verified(regulator.page, "#verify-summary")
    assert regulator.page.locator("tr[data-verified=true]").count() >= 10
    regulator.check("02-filing-verified", people.language)
    regulator.page.goto(f"{base}/chain")
    regulator.page.locator("#verify-checkpoint").click()
    _wait_verified(regulator.page, "#checkpoint-status")
    regulator.check("03-chain", people.language)


def _patient_verifies_then_revokes(people: People) -> None:
    patient = people.patient
    patient.page.goto(f"{people.corridor.url('portal')}/transfers/{people.transfer}")
    assert patient.page.locator("li[data-state=done]").count() == 5
    patient.page.locator("#verify-all").click()
    _wait_verified(patient.page, "#verify-summary")
    patient.check("06-verified", people.language)
    patient.page.fill("#revoke-reason", "second opinion done")
    patient.page.locator("[data-action=revoke]").click()
    patient.page.wait_for_selector(".notice.bad")
    patient.check("07-revoked", people.language)


def _clinician_loses_access(people: People) -> None:
    clinician = people.clinician
    clinician.page.goto(people.corridor.url("hospital-b") + "/viewer")
    clinician.page.locator(f"tr[data-transfer='{people.transfer}'] button").click()
    clinician.page.wait_for_load_state()
    assert clinician.page.locator("[data-section]").count() == 0
    assert clinician.page.locator(".notice.bad").count() == 1
    clinician.check("03-refused", people.language)
    # Every page offers the switch to the other languages.
    other = "en" if people.language != "en" else "zh-Hant"
    clinician.page.locator(f"nav.languages a[hreflang='{other}']").click()
    clinician.page.wait_for_load_state()
    assert clinician.page.evaluate("document.documentElement.lang") == other


@pytest.mark.parametrize("locale", list(LANGUAGES))
def test_people_walk_the_corridor_in_the_browser(
    live_corridor: LiveCorridor, chromium: Any, screenshots: Path, locale: str
):
    language, home_heading = LANGUAGES[locale]
    context = chromium.new_context(locale=locale, viewport={"width": 1280, "height": 900})
    # axe-core comes in as an init script: DevTools injection, not subject to the pages' CSP.
    context.add_init_script(path=str(AXE))
    tabs = {
        who: Walk(context.new_page(), live_corridor, screenshots, f"{language}-{who}")
        for who in ("patient", "desk", "operator", "clinician", "regulator")
    }
    people = People(live_corridor, language, **tabs)
    _patient_signs_in_with_a_key_his_browser_keeps(people, home_heading)
    _desk_links_his_key_to_his_record(people)
    _patient_requests_reads_and_signs(people)  # step 1
    _desk_files_and_uploads(people)  # steps 2 and 3
    _datacenter_attests_and_processes(people)  # step 4
    _clinician_opens_the_summary(people)  # step 5
    _regulator_sees_the_flow_and_verifies_it(people)
    _patient_verifies_then_revokes(people)
    _clinician_loses_access(people)
    context.close()
