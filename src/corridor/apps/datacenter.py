"""Composition root of the trusted joint data center: log, vault, key broker, enclave host."""

from __future__ import annotations

import httpx
from cryptography.hazmat.primitives import serialization
from fastapi import FastAPI

from corridor.apps.factory import create_base_app
from corridor.apps.node import build_node
from corridor.clock import Clock
from corridor.config import Settings
from corridor.enclave import BrokerContext, SimulatedEnclaveBackend, SimulatedRoot
from corridor.enclave.program import PROGRAM_MODULE
from corridor.identity import FileKeyStore, did_web_for_url
from corridor.ledger import LedgerContext, LocalLedger
from corridor.ledger.routes import router as ledger_router
from corridor.transfers import CenterContext
from corridor.transfers.routes import center_router
from corridor.vault import FilesystemVault, VaultContext
from corridor.vault.routes import router as vault_router


def create_app(
    settings: Settings, *, transport: httpx.BaseTransport | None = None, clock: Clock | None = None
) -> FastAPI:
    """Build the data center's app from its settings."""
    node = build_node(settings, transport=transport, clock=clock)
    passphrase = settings.key_passphrase.get_secret_value().encode()
    log_key = FileKeyStore(settings.state_dir / "keys", passphrase).named_signing_key("log")
    ledger = LedgerContext(
        database=node.database,
        resolver=node.resolver,
        log_key=log_key,
        origin=settings.ledger_origin,
        clock=node.clock,
        batch_size=settings.ledger_batch_size,
    )
    local_ledger = LocalLedger(ledger)
    vault = VaultContext(
        database=node.database, store=FilesystemVault(settings.state_dir / "vault")
    )
    root = SimulatedRoot.load_or_create(
        settings.state_dir / "enclave", passphrase, now=node.clock.now()
    )
    backend = SimulatedEnclaveBackend(PROGRAM_MODULE, {"profiles": ["treatment"]}, root, node.clock)
    broker = BrokerContext(
        database=node.database,
        broker_keys=node.keys.agreement,
        trusted_roots=[root.root_certificate],
        reference_values=frozenset({backend.measurement}),
        clock=node.clock,
        evidence_format="simulated",
    )
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
        required_regulators=frozenset(
            did_web_for_url(peer.url) for peer in settings.peers_of_kind("regulator")
        ),
        attestation_root_pem=root.root_certificate.public_bytes(
            serialization.Encoding.PEM
        ).decode(),
    )
    app.include_router(ledger_router)
    app.include_router(vault_router)
    app.include_router(center_router)
    return app
