"""The base every party's app is built on: problem details, the DID document, health."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request

from corridor import __version__
from corridor.apps.node import Node
from corridor.apps.problems import install_problem_handlers


def create_base_app(
    node: Node, *, title: str, on_close: Callable[[], None] | None = None
) -> FastAPI:
    """A FastAPI app with the routes every party serves; the root adds its domains."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        if on_close is not None:
            on_close()
        node.close()

    app = FastAPI(title=title, version=__version__, lifespan=lifespan)
    app.state.node = node
    install_problem_handlers(app)

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
