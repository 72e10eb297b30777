"""What the ledger tests share besides fixtures: names, an actor, in-process transports."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
from anyio.from_thread import BlockingPortal
from fastapi import FastAPI

from corridor.crypto.keys import SigningKeyPair
from corridor.ledger.witness_service import WitnessContext

ORIGIN = "datacenter.test/log"
ACTOR = "did:web:hospital-a.test"


@dataclass(frozen=True)
class Actor:
    did: str
    kid: str
    key: SigningKeyPair


class AppTransport(httpx.BaseTransport):
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


class HostRouter(httpx.BaseTransport):
    """Synchronous transport to several in-process ASGI apps, chosen by the URL's host."""

    def __init__(self, portal: BlockingPortal) -> None:
        self._portal = portal
        self._apps: dict[str, AppTransport] = {}

    def mount(self, url: str, app: FastAPI) -> None:
        self._apps[httpx.URL(url).host] = AppTransport(self._portal, app)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        transport = self._apps.get(request.url.host)
        if transport is None:
            raise httpx.ConnectError(f"nothing at {request.url.host}", request=request)
        return transport.handle_request(request)


@dataclass
class WitnessNode:
    """A regulator's witness: its own database, key and app, mounted at ``url``."""

    url: str
    context: WitnessContext
    app: FastAPI
