"""``corridor web``: sign-in links for a node's pages, asked for with a signed request.

An operator's wallet asks its node for a staff member's link (``--role``, ``--name``); a
patient's wallet asks the portal for his own. The request is signed with the wallet's
key (RFC 9421), which the node checks against its operators or takes as a patient.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from corridor.cli.signing import wallet_client
from corridor.errors import CorridorError
from corridor.web import HttpWebClient

app = typer.Typer(
    name="web",
    help="The parties' web pages: sign-in links for staff and patients.",
    no_args_is_help=True,
)


@app.callback()
def web() -> None:
    """Ask a node for sign-in links to its pages."""


@app.command("sign-in-link")
def sign_in_link(  # noqa: PLR0917  # Typer maps each parameter to an argument or option
    url: Annotated[str, typer.Argument(help="the node's public URL")],
    wallet: Annotated[Path, typer.Option("--wallet", "-w", help="the signing wallet file")],
    role: Annotated[
        str, typer.Option(help="staff role: desk, clinician, operator or officer (none: patient)")
    ] = "",
    name: Annotated[str, typer.Option(help="the staff member the link is for")] = "",
    uses: Annotated[int, typer.Option(help="how many times the link may be used")] = 1,
    minutes: Annotated[int, typer.Option(help="how long the link stays valid")] = 15,
) -> None:
    """Print a sign-in link (the wallet must be an operator's of that node, or a patient's)."""
    try:
        with wallet_client(wallet, timeout_seconds=30.0) as client:
            link = HttpWebClient(client, url).sign_in_link(
                role=role, name=name, uses=uses, lifetime_minutes=minutes
            )
    except CorridorError as exc:
        print(f"error: {exc.diagnostics()}", file=sys.stderr)
        raise typer.Exit(code=1) from exc
    print(json.dumps({"url": link}, indent=2))
