"""Sign-in for the demo's pages: one staff member per party, and the demo patient.

The demo acts as every party's operator (``launcher.ensure_operators``): with each
operator's key it asks its node for a sign-in link for a named staff member, exactly as
``corridor web sign-in-link`` does, and with the patient's wallet it asks the portal for
his own (docs/web.md). The links last a day and may be opened a few times, so that a
newcomer can come back to them while the demo runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx

from corridor.apps.launcher import RunningParty, demo_passphrase, operator_wallet
from corridor.clock import SystemClock
from corridor.crypto import SigningKeyPair, did_key_from_public
from corridor.identity import RequestSigner, SignerByOrigin, did_key_url, open_wallet
from corridor.web import HttpWebClient

DEMO_STAFF: dict[str, tuple[str, str]] = {
    "hospital-a": ("desk", "Li Wei (transfer desk)"),
    "hospital-b": ("clinician", "Dr Chan Tai Man"),
    "datacenter": ("operator", "Wong Ka Yan (operations)"),
    "regulator-a": ("officer", "Zhang Min (CAC officer)"),
    "regulator-b": ("officer", "Ho Siu Ming (PCPD officer)"),
}
"""Who the demo signs in at each staff party: role and name."""
LINK_LIFETIME = timedelta(hours=24)
LINK_USES = 20


@dataclass(frozen=True)
class SignInLink:
    """A party's pages and the link that signs someone in to them."""

    party: str
    role: str
    who: str
    url: str
    link: str


def operator_signers(
    parties: dict[str, RunningParty], workdir: Path, patient: SigningKeyPair | None = None
) -> SignerByOrigin:
    """Sign each request as the operator of the party it goes to (at the portal: the patient)."""
    passphrase = demo_passphrase(workdir).encode()
    clock = SystemClock()
    signers = {}
    for name, party in parties.items():
        key = (
            patient
            if name == "portal" and patient is not None
            else open_wallet(operator_wallet(workdir, name), passphrase)
        )
        signers[party.url] = RequestSigner(
            key, kid=did_key_url(did_key_from_public(key.public)), clock=clock
        )
    return SignerByOrigin(signers)


def demo_sign_in_links(
    client: httpx.Client, parties: dict[str, RunningParty], *, patient: bool = True
) -> list[SignInLink]:
    """Ask every staff party for its demo staff member's link, and the portal for the patient's.

    ``client`` must sign as each party's operator (and as the patient at the portal).
    """
    minutes = int(LINK_LIFETIME.total_seconds() // 60)
    links = []
    for name, (role, who) in DEMO_STAFF.items():
        if name not in parties:
            continue
        url = parties[name].url
        link = HttpWebClient(client, url).sign_in_link(
            role=role, name=who, uses=LINK_USES, lifetime_minutes=minutes
        )
        links.append(SignInLink(name, role, who, url, link))
    if patient and "portal" in parties:
        url = parties["portal"].url
        link = HttpWebClient(client, url).sign_in_link(uses=LINK_USES, lifetime_minutes=minutes)
        links.append(SignInLink("portal", "patient", "the demo patient (wallet)", url, link))
    return links
