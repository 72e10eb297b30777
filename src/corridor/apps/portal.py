"""Composition root of the patient portal: consent intake, revocation, evidence trail."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from corridor.apps.factory import create_base_app
from corridor.apps.node import build_node
from corridor.clock import Clock
from corridor.config import Settings
from corridor.identity import did_web_for_url
from corridor.ledger import HttpLedgerClient
from corridor.transfers import HttpHospitalClient, PortalContext
from corridor.transfers.routes import portal_router
from corridor.web import RemoteLog


def create_app(
    settings: Settings, *, transport: httpx.BaseTransport | None = None, clock: Clock | None = None
) -> FastAPI:
    """Build the portal's app from its settings."""
    node = build_node(settings, transport=transport, clock=clock)
    ledger = HttpLedgerClient(node.http, settings.peer("datacenter").url)
    hospitals = {
        did_web_for_url(peer.url): HttpHospitalClient(node.http, peer.url)
        for peer in settings.peers_of_kind("hospital")
    }
    app = create_base_app(node, title="Corridor patient portal")
    app.state.portal = PortalContext(
        database=node.database,
        recorder=node.recorder(ledger),
        clock=node.clock,
        hospitals=hospitals,
    )
    app.include_router(portal_router)
    # Pages for the people of this party (docs/web.md).
    node.install_pages(app, RemoteLog(ledger))
    return app
