"""Web pages of every party: server-rendered, in zh-Hans, zh-Hant and English.

Each party's composition root calls :func:`install_pages` with a :class:`WebContext`;
the pages call the domains' service functions (never their tables) with the contexts the
app already holds in ``app.state``. See docs/web.md.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from corridor.clock import Clock
from corridor.config import Settings
from corridor.identity import DidResolver, did_web_for_url
from corridor.storage.database import Database
from corridor.web import access, datacenter, hospital, portal, regulator
from corridor.web.client import HttpWebClient
from corridor.web.evidence import EvidenceSource, HostedLog, RemoteLog
from corridor.web.sessions import ROLES, STAFF_ROLES_BY_PARTY, WebSession
from corridor.web.site import Institution, WebContext

_STATIC = Path(__file__).with_name("static")
_PARTY_ROUTERS = {
    "portal": portal.router,
    "hospital": hospital.router,
    "datacenter": datacenter.router,
    "regulator": regulator.router,
}

__all__ = [
    "ROLES",
    "STAFF_ROLES_BY_PARTY",
    "EvidenceSource",
    "HostedLog",
    "HttpWebClient",
    "Institution",
    "RemoteLog",
    "WebContext",
    "WebSession",
    "build_web_context",
    "install_pages",
]


def build_web_context(
    *,
    settings: Settings,
    database: Database,
    clock: Clock,
    did: str,
    resolver: DidResolver,
    evidence: EvidenceSource,
) -> WebContext:
    """The pages' view of a node, from its settings and runtime."""
    return WebContext(
        database=database,
        clock=clock,
        party=settings.party,
        name=settings.name,
        display_name=settings.display_name,
        did=did,
        jurisdiction=settings.jurisdiction,
        public_url=settings.public_url,
        resolver=resolver,
        evidence=evidence,
        directory=tuple(
            Institution(
                name=peer.name,
                kind=peer.kind,
                did=did_web_for_url(peer.url),
                jurisdiction=peer.jurisdiction,
                display_name=peer.display_name,
            )
            for peer in settings.peers
        )
        # A regulator also knows the institutions it licenses, by DID and name.
        + tuple(
            Institution(
                name=item.name or item.did,
                kind="datacenter" if item.credential == "AccreditedDataCenter" else "hospital",
                did=item.did,
                jurisdiction=settings.jurisdiction,
                display_name=item.name,
            )
            for item in settings.licensed_institutions
            if item.did not in {did_web_for_url(peer.url) for peer in settings.peers}
        ),
    )


def install_pages(app: FastAPI, context: WebContext) -> None:
    """Serve the party's pages, the shared sign-in routes and the static assets."""
    app.state.web = context
    app.include_router(access.router)
    app.include_router(access.api)
    app.include_router(_PARTY_ROUTERS[context.party])
    app.mount("/static", StaticFiles(directory=_STATIC), name="static")
