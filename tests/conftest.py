"""Shared fixtures: test assets, databases on SQLite and (when configured) PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from corridor.storage import Database, create_database, upgrade_database

_ASSETS = Path(__file__).parent / "assets"
assert _ASSETS.is_dir(), "tests/assets is missing"
POSTGRES_URL_ENV = "CORRIDOR_TEST_POSTGRES_URL"


def pytest_report_header() -> list[str]:
    url = os.environ.get(POSTGRES_URL_ENV, "")
    return [f"postgres: {url or 'not configured (postgres-marked tests are skipped)'}"]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # In CI the PostgreSQL tests must run; a missing URL there is a failure, not a skip.
    if os.environ.get(POSTGRES_URL_ENV):
        return
    if os.environ.get("CI"):
        raise pytest.UsageError(f"CI=true but {POSTGRES_URL_ENV} is not set")
    skip = pytest.mark.skip(reason=f"{POSTGRES_URL_ENV} not set; run `make test`")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def asset():
    """Path of a file under tests/assets."""

    def _asset(name: str) -> Path:
        path = _ASSETS / name
        assert path.exists(), f"missing test asset {name}"
        return path

    return _asset


def _postgres_schema_database(base_url: str) -> Iterator[Database]:
    # One schema per test keeps tests independent on a shared throwaway server.
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_database(base_url)
    with admin.engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in base_url else "?"
    url = f"{base_url}{separator}options=-csearch_path%3D{schema}"
    database = create_database(url)
    try:
        yield database
    finally:
        database.dispose()
        with admin.engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(
    params=[
        pytest.param("sqlite", marks=pytest.mark.integration),
        pytest.param("postgres", marks=[pytest.mark.integration, pytest.mark.postgres]),
    ]
)
def database_urls(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[str], str]]:
    """A factory of empty database URLs, one per party name, on SQLite then PostgreSQL."""
    created: list[str] = []
    base = os.environ.get(POSTGRES_URL_ENV, "")

    def _url(name: str) -> str:
        if request.param == "sqlite":
            return f"sqlite:///{tmp_path / name / 'corridor.db'}"
        schema = f"t_{uuid.uuid4().hex[:12]}"
        admin = create_database(base)
        with admin.engine.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        admin.dispose()
        created.append(schema)
        separator = "&" if "?" in base else "?"
        return f"{base}{separator}options=-csearch_path%3D{schema}"

    _url.backend = request.param  # type: ignore[attr-defined]
    yield _url
    if created:
        admin = create_database(base)
        with admin.engine.begin() as conn:
            for schema in created:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(
    params=[
        pytest.param("sqlite", marks=pytest.mark.integration),
        pytest.param("postgres", marks=[pytest.mark.integration, pytest.mark.postgres]),
    ]
)
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A migrated, empty database: SQLite in a temp folder, then PostgreSQL."""
    if request.param == "sqlite":
        db = create_database(f"sqlite:///{tmp_path / 'test.db'}")
        upgrade_database(db)
        yield db
        db.dispose()
        return
    for db in _postgres_schema_database(os.environ[POSTGRES_URL_ENV]):
        upgrade_database(db)
        yield db
