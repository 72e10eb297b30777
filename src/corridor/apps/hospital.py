"""Composition root of a hospital node (A or B: the same app, two configurations)."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from corridor.apps.factory import create_base_app
from corridor.apps.node import build_node
from corridor.clock import Clock
from corridor.compliance import HttpComplianceClient
from corridor.config import Settings
from corridor.enclave import DepositKeyContext, MeasurementApprovals
from corridor.enclave.client import HttpOfferClient
from corridor.identity import did_web_for_url
from corridor.identity.gate import allow
from corridor.ledger import HttpLedgerClient
from corridor.privacy.hosting import build_participant
from corridor.privacy.routes import hospital_router as privacy_hospital_router
from corridor.records import RecordsContext
from corridor.records.routes import router as records_router
from corridor.transfers import HospitalContext, RecipientContext, SenderContext
from corridor.transfers.assessment import SenderProfile
from corridor.transfers.client import HttpCenterClient
from corridor.transfers.routes import hospital_router
from corridor.vault import HttpVaultClient
from corridor.web import RemoteLog


def create_app(
    settings: Settings, *, transport: httpx.BaseTransport | None = None, clock: Clock | None = None
) -> FastAPI:
    """Build a hospital's app from its settings."""
    node = build_node(settings, transport=transport, clock=clock)
    center_url = settings.peer("datacenter").url
    ledger = HttpLedgerClient(node.http, center_url)
    recorder = node.recorder(ledger)
    center = HttpCenterClient(node.http, center_url)
    vault = HttpVaultClient(node.http, center_url)
    records = RecordsContext(database=node.database)
    # The other hospitals' jurisdictions: where A may send, and where B's deliveries come from.
    peer_hospitals: dict[str, str] = {
        did_web_for_url(peer.url): peer.jurisdiction for peer in settings.peers_of_kind("hospital")
    }
    export = settings.export
    # Deposits go to, and deliveries come from, enclaves these regulators all approved.
    regulators = frozenset(
        did_web_for_url(peer.url) for peer in settings.peers_of_kind("regulator")
    )
    offers = HttpOfferClient(node.http, center_url)
    sender = SenderContext(
        database=node.database,
        records=records,
        recorder=recorder,
        resolver=node.resolver,
        clock=node.clock,
        did=node.did,
        profile=SenderProfile(
            jurisdiction=settings.jurisdiction,
            mechanism=export.mechanism,
            contract_filed=export.contract_filed,
            in_mainland_gba=export.in_mainland_gba,
            is_ciio=export.is_ciio,
            pipia_done=export.pipia_done,
        ),
        regulators=[
            HttpComplianceClient(node.http, peer.url)
            for peer in settings.peers_of_kind("regulator")
        ],
        center=center,
        vault=vault,
        center_did=did_web_for_url(center_url),
        destinations=peer_hospitals,
        contract_ref=export.contract_ref,
        timezone=export.timezone,
        # Deposits are sealed to the enclave both regulators approved (docs/enclave.md).
        deposit_keys=DepositKeyContext(
            center=offers,
            resolver=node.resolver,
            regulators=regulators,
            trust_folder=settings.state_dir / "trust",
            clock=node.clock,
        ),
    )
    recipient = RecipientContext(
        database=node.database,
        recorder=recorder,
        clock=node.clock,
        did=node.did,
        agreement=node.keys.agreement,
        center=center,
        vault=vault,
        ledger=ledger,
        trust_folder=settings.state_dir / "trust",
        approvals=MeasurementApprovals(
            source=offers, resolver=node.resolver, regulators=regulators
        ),
        jurisdiction=settings.jurisdiction,
        origins=peer_hospitals,
    )
    app = create_base_app(node, title=f"Corridor hospital ({settings.name})")
    app.state.records = records
    app.state.hospital = HospitalContext(did=node.did, sender=sender, recipient=recipient)
    # The FHIR store serves patient data in the clear: the hospital's own staff only.
    app.include_router(records_router, dependencies=[allow(operator=True)])
    app.include_router(hospital_router)
    # Privacy jobs coordinated by the data center (docs/privacy.md).
    app.state.privacy = build_participant(
        database=node.database,
        records=records,
        recorder=recorder,
        resolver=node.resolver,
        clock=node.clock,
        did=node.did,
        kid=node.kid,
        signing=node.signing,
        trust_folder=settings.state_dir / "trust",
        coordinator=did_web_for_url(center_url),
    )
    # Only the coordinating data center asks a hospital to join a job or answer a round.
    app.include_router(privacy_hospital_router, dependencies=[allow(peers=("datacenter",))])
    # Pages for the people of this party (docs/web.md).
    node.install_pages(app, RemoteLog(ledger))
    return app
