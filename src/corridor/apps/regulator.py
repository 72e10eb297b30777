"""Composition root of a regulator node (regulator A or B): filings, decisions, evidence."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from corridor.apps.factory import create_base_app
from corridor.apps.node import build_node
from corridor.clock import Clock
from corridor.compliance import ComplianceContext, MonitorContext, MonitorLoop, load_packs
from corridor.compliance.routes import router as compliance_router
from corridor.config import Settings
from corridor.enclave.hosting import reference_approver
from corridor.enclave.routes import reference_router
from corridor.identity import IssuerContext, Licence
from corridor.identity.gate import allow
from corridor.identity.routes import issuer_router
from corridor.ledger import (
    CosignatureV1Signer,
    HttpLedgerClient,
    WitnessContext,
    pins_from_vkeys,
    witness_name_for,
)
from corridor.ledger.witness_routes import router as witness_router
from corridor.web import RemoteLog


def create_app(
    settings: Settings, *, transport: httpx.BaseTransport | None = None, clock: Clock | None = None
) -> FastAPI:
    """Build the regulator's app from its settings."""
    node = build_node(settings, transport=transport, clock=clock)
    ledger = HttpLedgerClient(node.http, settings.peer("datacenter").url)
    # The packs are validated here: a defective pack stops the node before it decides.
    packs = load_packs()
    # The regulator's monitor tails the data center's log (docs/compliance.md).
    monitor = MonitorContext(
        database=node.database,
        clock=node.clock,
        source=ledger,
        key_for=node.resolver.resolve_key,
        regulator=node.did,
        jurisdiction=settings.jurisdiction,
        pinned_vkey=settings.ledger_log_vkey,
    )
    loop = (
        MonitorLoop(monitor, settings.monitor_interval_seconds)
        if settings.monitor_interval_seconds > 0
        else None
    )
    app = create_base_app(
        node,
        title=f"Corridor regulator ({settings.name})",
    )
    app.state.compliance = ComplianceContext(
        database=node.database,
        recorder=node.recorder(ledger),
        key=node.signing,
        did=node.did,
        kid=node.kid,
        jurisdiction=settings.jurisdiction,
        clock=node.clock,
        packs=packs,
    )
    app.state.monitor = monitor
    # Signed calls (docs/identity.md): hospitals licensed by their own jurisdiction's
    # regulator, and this regulator's operators.
    app.include_router(
        compliance_router, dependencies=[allow(licensed=("hospital",), operator=True)]
    )
    # The regulator co-signs enclave reference values it reproduces (docs/enclave.md).
    app.state.reference_approver = reference_approver(
        database=node.database,
        recorder=node.recorder(ledger),
        signing=node.signing,
        did=node.did,
        kid=node.kid,
        clock=node.clock,
    )
    app.include_router(reference_router)
    if loop is not None:
        loop.start()
        node.closers.append(loop.stop)
    # The regulator issues credentials to the institutions its settings license.
    licences: dict[str, list[Licence]] = {}
    for item in settings.licensed_institutions:
        licences.setdefault(item.did, []).append(Licence(item.did, item.credential, item.name))
    app.state.issuer = IssuerContext(
        database=node.database,
        key=node.signing,
        kid=node.kid,
        did=node.did,
        jurisdiction=settings.jurisdiction,
        clock=node.clock,
        base_url=settings.public_url,
        licences={did: tuple(items) for did, items in licences.items()},
        validity_days=settings.credential_validity_days,
    )
    app.include_router(issuer_router)
    # The regulator's witness cosigns the data center's checkpoints (C2SP tlog-witness).
    witness_key = node.key_store.named_signing_key("witness")
    app.state.witness = WitnessContext(
        database=node.database,
        signer=CosignatureV1Signer(witness_name_for(settings.public_url), witness_key),
        clock=node.clock,
        pinned_logs=pins_from_vkeys([settings.ledger_log_vkey] if settings.ledger_log_vkey else []),
        discover_log=ledger.log_identity,
    )
    app.include_router(witness_router)
    # Pages for the people of this party (docs/web.md).
    node.install_pages(app, RemoteLog(ledger))
    return app
