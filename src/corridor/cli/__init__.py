"""The ``corridor`` command: one Typer root with a sub-app per domain.

The CLI is the only layer that prints; every command is a thin adapter over services.
"""

from __future__ import annotations

import sys

import typer

from corridor.cli import (
    attest,
    compliance,
    consent,
    deid,
    demo,
    identity,
    ledger,
    privacy,
    records,
    serve,
    wallet,
    web,
)
from corridor.errors import CorridorError

app = typer.Typer(
    name="corridor",
    help="Trusted cross-border data circulation: run parties, the demo corridor and verifiers.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.command("serve")(serve.serve)
app.command("demo")(demo.demo)
# One sub-app per domain; each module defines ``app``.
app.add_typer(ledger.app, name="ledger")
app.add_typer(consent.app, name="consent")
app.add_typer(attest.app, name="attest")
app.add_typer(identity.app, name="identity")
app.add_typer(wallet.app, name="wallet")
app.add_typer(compliance.app, name="compliance")
app.add_typer(privacy.app, name="privacy")
app.add_typer(web.app, name="web")
app.add_typer(deid.app, name="deid")
app.add_typer(records.app, name="records")


def main() -> None:
    """Entry point of the ``corridor`` script; errors become one clear line and exit 1."""
    try:
        app()
    except CorridorError as exc:
        print(f"error: {exc.diagnostics()}", file=sys.stderr)
        sys.exit(1)
