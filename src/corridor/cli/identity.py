"""``corridor identity``: a node's DID and signing keys (show, rotate)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from corridor.config import Settings, load_settings
from corridor.identity import FileKeyStore, SealedKeyStore, SqlKeyStore, did_web_for_url
from corridor.storage import create_database, upgrade_database

app = typer.Typer(
    name="identity",
    help="A node's DID and keys: show them, rotate the signing key.",
    no_args_is_help=True,
)

ConfigOption = Annotated[Path, typer.Option("--config", help="the node's settings file")]


@app.callback()
def identity() -> None:
    """Inspect and rotate a node's keys (run while the node is stopped)."""


def _store(settings: Settings) -> SealedKeyStore:
    passphrase = settings.key_passphrase.get_secret_value().encode()
    if settings.key_store == "database":
        database = create_database(settings.effective_database_url)
        upgrade_database(database)
        return SqlKeyStore(database, passphrase, memory_kib=settings.key_kdf_memory_kib)
    return FileKeyStore(
        settings.state_dir / "keys", passphrase, memory_kib=settings.key_kdf_memory_kib
    )


def _describe(settings: Settings, store: SealedKeyStore) -> dict[str, object]:
    keys = store.load_or_create()
    did = did_web_for_url(settings.public_url)
    return {
        "did": did,
        "signing_key": f"{did}#{keys.signing_fragment}",
        "retired_keys": [f"{did}#{fragment}" for fragment, _ in keys.retired_methods],
        "store": settings.key_store,
    }


@app.command("show")
def show(config: ConfigOption) -> None:
    """Print the node's DID and the DID URLs of its current and retired signing keys."""
    settings = load_settings(config)
    print(json.dumps(_describe(settings, _store(settings)), indent=2))


@app.command("rotate-key")
def rotate_key(config: ConfigOption) -> None:
    """Make a new signing key current; the old one stays in the DID document as retired.

    Requests are signed with the new key from the next start; evidence, decisions and
    credentials signed with the old key keep verifying by their ``kid``.
    """
    settings = load_settings(config)
    store = _store(settings)
    store.rotate_signing_key()
    print(json.dumps(_describe(settings, store), indent=2))
