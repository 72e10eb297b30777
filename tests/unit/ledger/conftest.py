"""Fixtures for the ledger tests: an actor with a did:web key, signed entries, a log context."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import anyio.from_thread
import httpx
import pytest
from fastapi import FastAPI
from ledger_support import ACTOR, ORIGIN, Actor, AppTransport, HostRouter, WitnessNode  # type: ignore[import-not-found]

from corridor.apps.problems import install_problem_handlers
from corridor.clock import FixedClock
from corridor.crypto.keys import SigningKeyPair
from corridor.identity import DidKeys, StaticDidResolver
from corridor.ledger.evidence import EvidenceStatement, SignedEntry, sign_statement
from corridor.ledger.note import CosignatureV1Signer
from corridor.ledger.routes import router
from corridor.ledger.service import LedgerContext
from corridor.ledger.witness_routes import router as witness_router
from corridor.ledger.witness_service import WitnessContext, witness_name_for
from corridor.storage import Database, create_database, upgrade_database
from corridor.types import Did


@pytest.fixture
def actor() -> Actor:
    return Actor(did=ACTOR, kid=f"{ACTOR}#key-1", key=SigningKeyPair.generate())


@pytest.fixture
def resolver(actor: Actor) -> StaticDidResolver:
    keys = DidKeys(
        did=Did(actor.did), signing=actor.key.public, agreement=None, signing_kid=actor.kid
    )
    return StaticDidResolver({actor.did: keys})


@pytest.fixture
def log_key() -> SigningKeyPair:
    return SigningKeyPair.generate()


@pytest.fixture
def make_entry(actor: Actor) -> Callable[..., SignedEntry]:
    def _make(
        number: int,
        *,
        entry_type: str = "record.uploaded",
        transfer: str = "transfer-0001",
        digests: dict[str, str] | None = None,
    ) -> SignedEntry:
        digest = "sha256:" + hashlib.sha256(str(number).encode()).hexdigest()
        statement = EvidenceStatement(
            type=entry_type,
            transfer=transfer,
            actor=actor.did,
            time="2025-03-01T08:00:00Z",
            jurisdiction="CN",
            digests=digests if digests is not None else {"record": digest},
        )
        return sign_statement(statement, actor.key, kid=actor.kid)

    return _make


@pytest.fixture
def ledger_context(
    database: Database, resolver: StaticDidResolver, log_key: SigningKeyPair
) -> LedgerContext:
    return LedgerContext(
        database=database,
        resolver=resolver,
        log_key=log_key,
        origin=ORIGIN,
        clock=FixedClock(datetime(2025, 3, 1, 8, 0, tzinfo=UTC)),
        batch_size=64,
    )


@pytest.fixture
def ledger_app(ledger_context: LedgerContext) -> FastAPI:
    app = FastAPI()
    app.include_router(router)
    install_problem_handlers(app)
    app.state.ledger = ledger_context
    return app


@pytest.fixture
def http(ledger_app: FastAPI) -> Iterator[httpx.Client]:
    """An httpx client whose requests reach ``ledger_app`` in-process at http://log.test."""
    with (
        anyio.from_thread.start_blocking_portal() as portal,
        httpx.Client(
            transport=AppTransport(portal, ledger_app), base_url="http://log.test"
        ) as client,
    ):
        yield client


@pytest.fixture
def host_router() -> Iterator[HostRouter]:
    with anyio.from_thread.start_blocking_portal() as portal:
        yield HostRouter(portal)


@pytest.fixture
def make_witness(
    database_urls: Callable[[str], str], host_router: HostRouter
) -> Iterator[Callable[..., WitnessNode]]:
    databases: list[Database] = []

    def _make(
        name: str,
        *,
        pinned_logs: dict[str, str] | None = None,
        discover_log: Callable[[], tuple[str, str]] | None = None,
    ) -> WitnessNode:
        database = create_database(database_urls(name))
        upgrade_database(database)
        databases.append(database)
        url = f"http://{name}.test"
        context = WitnessContext(
            database=database,
            signer=CosignatureV1Signer(witness_name_for(url), SigningKeyPair.generate()),
            clock=FixedClock(datetime(2025, 3, 1, 8, 0, tzinfo=UTC)),
            pinned_logs=pinned_logs or {},
            discover_log=discover_log,
        )
        app = FastAPI()
        app.include_router(witness_router)
        install_problem_handlers(app)
        app.state.witness = context
        host_router.mount(url, app)
        return WitnessNode(url, context, app)

    yield _make
    for database in databases:
        database.dispose()


@pytest.fixture
def make_log(
    database_urls: Callable[[str], str], resolver: StaticDidResolver, log_key: SigningKeyPair
) -> Iterator[Callable[..., LedgerContext]]:
    """Log contexts on their own databases (same origin and key: one log, or a forked one)."""
    databases: list[Database] = []

    def _make(name: str = "log", *, quorum: int = 0) -> LedgerContext:
        database = create_database(database_urls(name))
        upgrade_database(database)
        databases.append(database)
        return LedgerContext(
            database=database,
            resolver=resolver,
            log_key=log_key,
            origin=ORIGIN,
            clock=FixedClock(datetime(2025, 3, 1, 8, 0, tzinfo=UTC)),
            batch_size=512,
            quorum=quorum,
        )

    yield _make
    for database in databases:
        database.dispose()
