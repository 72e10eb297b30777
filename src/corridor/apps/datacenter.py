"""Composition root of the trusted joint data center: log, vault, key broker, enclave host."""

from __future__ import annotations

import httpx
from cryptography.hazmat.primitives import serialization
from fastapi import FastAPI

from corridor.apps.factory import create_base_app
from corridor.apps.node import build_node
from corridor.clock import Clock
from corridor.config import Settings
from corridor.enclave import SimulatedRoot
from corridor.enclave.hosting import host_simulated_enclave, key_broker_service
from corridor.enclave.routes import kbs_router, offer_router
from corridor.identity import did_web_for_url
from corridor.identity.gate import allow
from corridor.ledger import HttpWitnessClient, LedgerContext, LocalLedger, start_witnessing
from corridor.ledger.routes import router as ledger_router
from corridor.privacy.hosting import build_coordinator
from corridor.privacy.routes import center_router as privacy_center_router
from corridor.transfers import CenterContext
from corridor.transfers.center import CenterReleaseGate
from corridor.transfers.routes import center_router
from corridor.vault import FilesystemVault, VaultContext
from corridor.vault.routes import router as vault_router
from corridor.web import HostedLog


def create_app(
    settings: Settings, *, transport: httpx.BaseTransport | None = None, clock: Clock | None = None
) -> FastAPI:
    """Build the data center's app from its settings."""
    node = build_node(settings, transport=transport, clock=clock)
    passphrase = settings.key_passphrase.get_secret_value().encode()
    log_key = node.key_store.named_signing_key("log")
    regulators = settings.peers_of_kind("regulator")
    ledger = LedgerContext(
        database=node.database,
        resolver=node.resolver,
        log_key=log_key,
        origin=settings.ledger_origin,
        clock=node.clock,
        batch_size=settings.ledger_batch_size,
        quorum=len(regulators)
        if settings.ledger_witness_quorum is None
        else settings.ledger_witness_quorum,
    )
    # Every regulator runs a witness; batches are cosigned off the request path.
    ledger, collector = start_witnessing(
        ledger, witness_urls=[p.url for p in regulators], transport=HttpWitnessClient(node.http)
    )
    node.closers.append(collector.close)
    local_ledger = LocalLedger(ledger)
    vault = VaultContext(
        database=node.database, store=FilesystemVault(settings.state_dir / "vault")
    )
    root = SimulatedRoot.load_or_create(
        settings.state_dir / "enclave", passphrase, now=node.clock.now()
    )
    # The key broker accepts only measurements both regulators approved (docs/enclave.md).
    enclave = host_simulated_enclave(
        database=node.database,
        resolver=node.resolver,
        clock=node.clock,
        http=node.http,
        root=root,
        broker_keys=node.keys.agreement,
        regulators={did_web_for_url(peer.url): peer.url for peer in regulators},
        config={"profiles": ["treatment"]},
    )
    node.closers.append(enclave.close)
    backend, broker = enclave.backend, enclave.broker
    app = create_base_app(node, title="Corridor joint data center")
    app.state.ledger = ledger
    app.state.vault = vault
    app.state.center = CenterContext(
        database=node.database,
        vault=vault,
        broker=broker,
        backend=backend,
        ledger=local_ledger,
        recorder=node.recorder(local_ledger),
        resolver=node.resolver,
        clock=node.clock,
        required_regulators=frozenset(did_web_for_url(peer.url) for peer in regulators),
        attestation_root_pem=root.root_certificate.public_bytes(
            serialization.Encoding.PEM
        ).decode(),
    )
    app.state.kbs = key_broker_service(
        broker=broker,
        gate=CenterReleaseGate(app.state.center),
        signing=node.signing,
        did=node.did,
        kid=node.kid,
    )
    app.state.offers = enclave.offers
    # Signed calls (docs/identity.md): parties that write evidence may append, every log
    # read stays public; only licensed hospitals and the center's operators reach the vault.
    app.include_router(
        ledger_router,
        dependencies=[
            allow(peers=("regulator", "portal"), licensed=("hospital",), methods=("POST",))
        ],
    )
    app.include_router(vault_router, dependencies=[allow(licensed=("hospital",), operator=True)])
    app.include_router(center_router)
    app.include_router(kbs_router)
    app.include_router(offer_router)
    # Privacy jobs (docs/privacy.md): a second, separately measured enclave program.
    app.state.privacy = build_coordinator(
        database=node.database,
        recorder=node.recorder(local_ledger),
        resolver=node.resolver,
        clock=node.clock,
        did=node.did,
        signing=node.signing,
        http=node.http,
        root=root,
    )
    # Jobs are submitted and run by the center's operators; licensed hospitals may read them.
    app.include_router(
        privacy_center_router, dependencies=[allow(licensed=("hospital",), operator=True)]
    )
    # Pages for the people of this party (docs/web.md).
    node.install_pages(app, HostedLog(ledger))
    return app
