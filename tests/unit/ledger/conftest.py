"""Fixtures for the ledger tests: an actor with a did:web key, signed entries, a log context."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import anyio.from_thread
import httpx
import pytest
from anyio.from_thread import BlockingPortal
from fastapi import FastAPI

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

ORIGIN = "datacenter.test/log"
ACTOR = "did:web:hospital-a.test"


@dataclass(frozen=True)
class Actor:
    did: str
    kid: str
    key: SigningKeyPair


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


class _AppTransport(httpx.BaseTransport):
    """Synchronous transport into one ASGI app (Starlette's TestClient warns about httpx)."""

    def __init__(self, portal: BlockingPortal, app: FastAPI) -> None:
        self._portal = portal
        self._inner = httpx.ASGITransport(app=app)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read()

        async def call() -> tuple[int, list[tuple[bytes, bytes]], bytes]:
            inner = httpx.Request(
                request.method, request.url, headers=request.headers, content=body
            )
            response = await self._inner.handle_async_request(inner)
            content = b"".join([part async for part in response.stream])  # type: ignore[union-attr]
            return response.status_code, response.headers.raw, content

        status, headers, content = self._portal.call(call)
        return httpx.Response(status, headers=headers, content=content, request=request)


@pytest.fixture
def http(ledger_app: FastAPI) -> Iterator[httpx.Client]:
    """An httpx client whose requests reach ``ledger_app`` in-process at http://log.test."""
    with (
        anyio.from_thread.start_blocking_portal() as portal,
        httpx.Client(
            transport=_AppTransport(portal, ledger_app), base_url="http://log.test"
        ) as client,
    ):
        yield client


class HostRouter(httpx.BaseTransport):
    """Synchronous transport to several in-process ASGI apps, chosen by the URL's host."""

    def __init__(self, portal: BlockingPortal) -> None:
        self._portal = portal
        self._apps: dict[str, _AppTransport] = {}

    def mount(self, url: str, app: FastAPI) -> None:
        self._apps[httpx.URL(url).host] = _AppTransport(self._portal, app)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        transport = self._apps.get(request.url.host)
        if transport is None:
            raise httpx.ConnectError(f"nothing at {request.url.host}", request=request)
        return transport.handle_request(request)


@pytest.fixture
def host_router() -> Iterator[HostRouter]:
    with anyio.from_thread.start_blocking_portal() as portal:
        yield HostRouter(portal)


@dataclass
class WitnessNode:
    """A regulator's witness: its own database, key and app, mounted at ``url``."""

    url: str
    context: WitnessContext
    app: FastAPI


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
