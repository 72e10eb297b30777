"""The parties' pages over HTTP, in process: sign-in, the five steps, who may see what.

The browser walk (tests/browser) drives the same pages in Chromium; these tests check the
server side of every page and every refusal quickly, with each person's own cookie jar.
"""

from __future__ import annotations

import html
import json
import re
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from corridor_harness import URLS, Corridor  # type: ignore[import-not-found]

from corridor.consent import SignedConsent, sign_revocation, verify_signed_consent
from corridor.crypto import SigningKeyPair, b64url_encode, did_key_from_public
from corridor.web import HttpWebClient
from corridor.web.sessions import challenge_message

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _browser(corridor: Corridor, party: str) -> httpx.Client:
    return httpx.Client(
        transport=corridor.http._transport, base_url=URLS[party], timeout=60, follow_redirects=False
    )


def _csrf(page: httpx.Response) -> str:
    match = re.search(r'name="csrf-token" content="([^"]+)"', page.text)
    assert match, page.text[:500]
    return match.group(1)


def _staff(corridor: Corridor, party: str, role: str, name: str) -> httpx.Client:
    link = HttpWebClient(corridor.http, URLS[party]).sign_in_link(role=role, name=name)
    token = parse_qs(urlsplit(link).query)["token"][0]
    browser = _browser(corridor, party)
    confirm = browser.get(f"/sign-in/link?token={token}")
    assert confirm.status_code == 200
    signed_in = browser.post("/sign-in/link", data={"token": token})
    assert signed_in.status_code == 303, signed_in.text
    return browser


def _patient(corridor: Corridor, key: SigningKeyPair) -> httpx.Client:
    browser = _browser(corridor, "portal")
    challenge = browser.post("/sign-in/challenge").json()
    assert challenge["audience"] == URLS["portal"]
    signature = key.sign(
        challenge_message(audience=challenge["audience"], nonce=challenge["nonce"])
    )
    answer = browser.post(
        "/sign-in/key",
        json={
            "nonce": challenge["nonce"],
            "did": did_key_from_public(key.public),
            "signature": b64url_encode(signature),
        },
    )
    assert answer.status_code == 200, answer.text
    return browser


def _request_through_pages(corridor: Corridor, patient: httpx.Client, patient_id: str) -> str:
    form = patient.get("/requests/new")
    assert form.status_code == 200
    review = patient.post(
        "/requests/review",
        data={
            "csrf": _csrf(form),
            "custodian": corridor.did("hospital-a"),
            "recipient": corridor.did("hospital-b"),
            "patient_ref": patient_id,
            "purpose": "TREAT",
            "types": ["Condition", "Observation", "Immunization"],
            "retention_days": "90",
            "valid_days": "30",
            "cross_border": "yes",
            "sensitive": "yes",
        },
    )
    assert review.status_code == 200, review.text
    resource = json.loads(
        re.search(r'id="consent-resource">(.*?)</script>', review.text, re.DOTALL).group(1)  # type: ignore[union-attr]
    )
    # What the browser's script does: sign the canonical resource with the device key.
    from corridor.consent.signing import CONSENT_JWS_TYPE  # noqa: PLC0415
    from corridor.crypto import canonical_json  # noqa: PLC0415
    from corridor.crypto.signing import sign_detached_jws  # noqa: PLC0415

    did = did_key_from_public(corridor.wallet.public)
    jws = sign_detached_jws(
        canonical_json(resource),
        corridor.wallet,
        kid=f"{did}#{did.removeprefix('did:key:')}",
        extra={"typ": CONSENT_JWS_TYPE},
    )
    sent = patient.post(
        "/requests",
        json={"consent": {"resource": resource, "jws": jws}, "patient_ref": patient_id},
        headers={"x-csrf-token": _csrf(review), "accept": "application/json"},
    )
    assert sent.status_code == 200, sent.text
    return str(sent.json()["url"]).rsplit("/", 1)[-1]


def _shows_five_steps_done_naming_the_regulators(page: str, corridor: Corridor) -> None:
    """Every step is done, and the regulators who decided are named, not bare DIDs."""
    assert page.count('data-state="done"') == 5
    for regulator in ("regulator-a", "regulator-b"):
        assert f"<td>{regulator}</td>" in page
        assert f"<td>{corridor.did(regulator)}</td>" not in page


def test_people_move_a_record_through_the_pages_and_lose_access_after_revocation(
    sqlite_corridor: Corridor, patient_bundle: bytes
):
    corridor = sqlite_corridor
    patient_id = corridor.enrol(patient_bundle)
    patient = _patient(corridor, corridor.wallet)
    transfer = _request_through_pages(corridor, patient, patient_id)

    desk = _staff(corridor, "hospital-a", "desk", "desk-officer-li")
    page = desk.get("/desk")
    assert transfer in page.text
    assert (
        desk.post(f"/desk/transfers/{transfer}/file", data={"csrf": _csrf(page)}).status_code == 303
    )
    assert (
        desk.post(f"/desk/transfers/{transfer}/upload", data={"csrf": _csrf(page)}).status_code
        == 303
    )
    detail = desk.get(f"/desk/transfers/{transfer}")
    assert "PERMIT" in detail.text

    operator = _staff(corridor, "datacenter", "operator", "ops-wong")
    console = operator.get("/")
    assert transfer in console.text
    processed = operator.post(
        f"/console/transfers/{transfer}/process", data={"csrf": _csrf(console)}
    )
    assert processed.status_code == 303

    clinician = _staff(corridor, "hospital-b", "clinician", "dr-chan")
    listing = clinician.get("/viewer")
    opened = clinician.post(f"/viewer/transfers/{transfer}/open", data={"csrf": _csrf(listing)})
    assert opened.status_code == 200, opened.text
    assert 'data-section="problems"' in opened.text
    assert "Attestation verified" in opened.text

    officer = _staff(corridor, "regulator-a", "officer", "officer-zhang")
    assert transfer in officer.get("/").text
    filing = officer.get(f"/filings/{transfer}")
    assert filing.status_code == 200
    first = re.search(rf"/filings/{transfer}/evidence/(\d+)/receipt", filing.text)
    assert first is not None
    receipt = officer.get(first.group(0))
    assert receipt.text.startswith("c2sp.org/tlog-proof@v1")

    timeline = patient.get(f"/transfers/{transfer}")
    _shows_five_steps_done_naming_the_regulators(timeline.text, corridor)
    shown = re.search(r'id="signed-consent">(.*?)</pre>', timeline.text, re.DOTALL)
    assert shown is not None
    consent = verify_signed_consent(SignedConsent.from_json(json.loads(html.unescape(shown[1]))))
    revocation = sign_revocation(
        consent, corridor.wallet, revoked_at=corridor.clock.now(), reason=""
    )
    revoked = patient.post(
        f"/transfers/{transfer}/revocation",
        json={"revocation": revocation.to_json()},
        headers={"x-csrf-token": _csrf(timeline), "accept": "application/json"},
    )
    assert revoked.status_code == 200, revoked.text
    pipia = officer.get(f"/filings/{transfer}/pipia")
    assert pipia.status_code == 200
    assert "PIPIA" in pipia.text
    page = officer.get(f"/filings/{transfer}")
    without_reason = {"csrf": _csrf(page), "outcome": "reject", "reason": ""}
    assert officer.post(f"/filings/{transfer}/review", data=without_reason).status_code == 400
    with_reason = {**without_reason, "reason": "contract annex missing"}
    assert officer.post(f"/filings/{transfer}/review", data=with_reason).status_code == 303
    assert "contract annex missing" in officer.get(f"/filings/{transfer}").text

    refused = clinician.post(f"/viewer/transfers/{transfer}/open", data={"csrf": _csrf(listing)})
    assert refused.status_code == 403
    assert "data-section" not in refused.text


def test_pages_refuse_strangers_other_roles_missing_csrf_and_other_patients(
    sqlite_corridor: Corridor, patient_bundle: bytes
):
    corridor = sqlite_corridor
    patient_id = corridor.enrol(patient_bundle)
    patient = _patient(corridor, corridor.wallet)
    transfer = _request_through_pages(corridor, patient, patient_id)

    stranger = _browser(corridor, "hospital-a")
    assert stranger.get("/desk").headers["location"].startswith("/sign-in")
    clinician_at_a = _staff(corridor, "hospital-a", "clinician", "dr-ho")
    assert clinician_at_a.get("/desk").status_code == 403
    desk = _staff(corridor, "hospital-a", "desk", "desk-officer-li")
    assert desk.post(f"/desk/transfers/{transfer}/file", data={"csrf": "forged"}).status_code == 403
    page = desk.get("/desk")
    cross_site = desk.post(
        f"/desk/transfers/{transfer}/file",
        data={"csrf": _csrf(page)},
        headers={"origin": URLS["hospital-b"]},
    )
    assert cross_site.status_code == 403

    other = _patient(corridor, SigningKeyPair.generate())
    assert other.get(f"/transfers/{transfer}").status_code == 404
    assert transfer not in other.get("/").text
    with pytest.raises(Exception, match="no staff role"):
        HttpWebClient(corridor.http, URLS["hospital-a"]).sign_in_link(role="officer", name="x")
    used = HttpWebClient(corridor.http, URLS["regulator-a"]).sign_in_link(role="officer", name="y")
    token = parse_qs(urlsplit(used).query)["token"][0]
    browser = _browser(corridor, "regulator-a")
    assert browser.post("/sign-in/link", data={"token": token}).status_code == 303
    assert (
        _browser(corridor, "regulator-a").post("/sign-in/link", data={"token": token}).status_code
        == 401
    )
