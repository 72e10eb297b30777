"""HTTP clients that sign every request with a wallet's key (RFC 9421, docs/identity.md).

The commands that call a party's protected API (sign-in links, privacy jobs) take the
wallet of one of its operators; its passphrase comes from ``CORRIDOR_WALLET_PASSPHRASE``
or a prompt, never from the command line where other users could read it.
"""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import typer

from corridor.clock import SystemClock
from corridor.crypto import did_key_from_public
from corridor.identity import RequestSigner, did_key_url, open_wallet
from corridor.transport import build_http_client

PASSPHRASE_ENV = "CORRIDOR_WALLET_PASSPHRASE"  # noqa: S105  # the variable's name, not a secret


def wallet_client(wallet: Path, *, timeout_seconds: float) -> httpx.Client:
    """A client whose requests carry the wallet key's signature (raises CorridorError)."""
    passphrase = os.environ.get(PASSPHRASE_ENV)
    if passphrase is None:
        passphrase = typer.prompt("wallet passphrase", hide_input=True)
    key = open_wallet(wallet, passphrase.encode())
    signer = RequestSigner(
        key, kid=did_key_url(did_key_from_public(key.public)), clock=SystemClock()
    )
    return build_http_client(timeout_seconds=timeout_seconds, auth=signer)
