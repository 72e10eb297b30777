"""Composition root of a regulator node (regulator A or B): filings, decisions, evidence."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from corridor.apps.factory import create_base_app
from corridor.apps.node import build_node
from corridor.clock import Clock
from corridor.compliance import ComplianceContext
from corridor.compliance.routes import router as compliance_router
from corridor.config import Settings
from corridor.ledger import HttpLedgerClient


def create_app(
    settings: Settings, *, transport: httpx.BaseTransport | None = None, clock: Clock | None = None
) -> FastAPI:
    """Build the regulator's app from its settings."""
    node = build_node(settings, transport=transport, clock=clock)
    ledger = HttpLedgerClient(node.http, settings.peer("datacenter").url)
    app = create_base_app(node, title=f"Corridor regulator ({settings.name})")
    app.state.compliance = ComplianceContext(
        database=node.database,
        recorder=node.recorder(ledger),
        key=node.signing,
        did=node.did,
        kid=node.kid,
        jurisdiction=settings.jurisdiction,
        clock=node.clock,
    )
    app.include_router(compliance_router)
    return app
