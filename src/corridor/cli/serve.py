"""``corridor serve PARTY --config FILE``: run one party's node with uvicorn."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

import typer
import uvicorn
from fastapi import FastAPI

from corridor.config import Settings, load_settings
from corridor.errors import ConfigurationError

PartyName = Literal["hospital", "datacenter", "regulator", "portal"]


def build_party_app(party: str, settings: Settings) -> FastAPI:
    """Dispatch to the party's composition root."""
    if settings.party != party:
        raise ConfigurationError(f"the settings file describes a {settings.party}, not a {party}")
    if party == "hospital":
        from corridor.apps import hospital  # noqa: PLC0415  # import only the root we run

        return hospital.create_app(settings)
    if party == "datacenter":
        from corridor.apps import datacenter  # noqa: PLC0415

        return datacenter.create_app(settings)
    if party == "regulator":
        from corridor.apps import regulator  # noqa: PLC0415

        return regulator.create_app(settings)
    if party == "portal":
        from corridor.apps import portal  # noqa: PLC0415

        return portal.create_app(settings)
    raise ConfigurationError(f"unknown party {party!r}")


def serve(
    party: Annotated[str, typer.Argument(help="hospital, datacenter, regulator or portal")],
    config: Annotated[Path, typer.Option("--config", help="the party's TOML settings file")],
    host: Annotated[str, typer.Option(help="interface to bind")] = "127.0.0.1",
    port: Annotated[int | None, typer.Option(help="port (default: from public_url)")] = None,
) -> None:
    """Run one party's node until interrupted."""
    settings = load_settings(config)
    app = build_party_app(party, settings)
    bind_port = port if port is not None else _port_of(settings.public_url)
    uvicorn.run(app, host=host, port=bind_port, log_level="warning", access_log=False)


def _port_of(url: str) -> int:
    parts = urlsplit(url)
    return parts.port or (443 if parts.scheme == "https" else 80)
