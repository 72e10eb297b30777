"""Fixtures wiring every party's app together in one process (see corridor_harness)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import anyio.from_thread
import pytest
from corridor_harness import ASGIRouter, Corridor, build_corridor  # type: ignore[import-not-found]


@pytest.fixture
def asgi_router() -> Iterator[ASGIRouter]:
    with anyio.from_thread.start_blocking_portal() as portal:
        yield ASGIRouter(portal)


@pytest.fixture
def close_apps() -> Iterator[Callable[[Any], None]]:
    apps: list[Any] = []
    yield apps.append
    nodes = [app.state.node for app in apps if getattr(app.state, "node", None) is not None]
    # Every worker first (the collector calls the regulators' witnesses), then resources.
    for node in nodes:
        node.stop_workers()
    for node in nodes:
        node.close()


@pytest.fixture
def corridor(asgi_router, tmp_path, database_urls, close_apps) -> Iterator[Corridor]:
    built = build_corridor(asgi_router, tmp_path, database_urls, close_apps)
    yield built
    built.http.close()


@pytest.fixture
def sqlite_corridor(asgi_router, tmp_path, close_apps) -> Iterator[Corridor]:
    def _url(name: str) -> str:
        return f"sqlite:///{tmp_path / name / 'corridor.db'}"

    built = build_corridor(asgi_router, tmp_path, _url, close_apps)
    yield built
    built.http.close()


@pytest.fixture
def patient_bundle(asset) -> bytes:
    return asset(
        "fhir/Carolee951_Sanford861_d88f994a-5efa-421d-9c40-5f116d2114a6.json"
    ).read_bytes()
