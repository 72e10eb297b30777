"""The base every party's app is built on: problem details, the DID document, health."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request

from corridor import __version__
from corridor.apps.node import Node
from corridor.apps.problems import install_problem_handlers
from corridor.identity.routes import holder_router


def create_base_app(node: Node, *, title: str) -> FastAPI:
    """A FastAPI app with the routes every party serves; the root adds its domains."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        node.close()

    app = FastAPI(title=title, version=__version__, lifespan=lifespan)
    app.state.node = node
    # Signed requests (RFC 9421): routes between parties declare who may call them with
    # corridor.identity.gate.allow(...), which verifies through this gate. Routes that
    # declare nothing (DID document, presentation, health, public reads) stay unsigned.
    app.state.gate = node.gate
    app.state.holder = node.holder
    install_problem_handlers(app)
    app.include_router(holder_router)

    @app.get("/.well-known/did.json", tags=["identity"])
    def did_document() -> dict[str, Any]:
        """This node's DID document (did:web method §3.2)."""
        return node.did_document()

    @app.get("/healthz", tags=["health"])
    def health(request: Request) -> dict[str, str]:
        """Liveness: the node's name, party kind and DID."""
        del request
        return {
            "status": "ok",
            "name": node.settings.name,
            "party": node.settings.party,
            "did": node.did,
        }

    return app
