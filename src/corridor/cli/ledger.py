"""``corridor ledger``: verify the monitoring chain's checkpoints and receipts offline."""

from __future__ import annotations

import base64
import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from corridor.errors import CorridorError
from corridor.ledger import TrustPolicy, open_checkpoint, verifiers_from_keys, verify_receipt

app = typer.Typer(
    name="ledger",
    help="Verify C2SP checkpoints and tlog-proof receipts of a transparency log, offline.",
    no_args_is_help=True,
)


def _fail(reason: str) -> typer.Exit:
    print(f"error: {reason}", file=sys.stderr)
    return typer.Exit(code=1)


def _read(file: Path) -> bytes:
    try:
        return file.read_bytes()
    except OSError as exc:
        raise _fail(f"cannot read {file}: {exc.strerror}") from exc


@app.command("verify-checkpoint")
def verify_checkpoint(
    file: Annotated[Path, typer.Argument(help="a signed checkpoint note, as a log serves it")],
    vkey: Annotated[
        list[str],
        typer.Option("--vkey", help="a C2SP verifier key (name+keyid+key); repeat for several"),
    ],
    origin: Annotated[str | None, typer.Option(help="also require this origin")] = None,
) -> None:
    """Print origin, size and root hash when at least one given key's signature verifies."""
    data = _read(file)
    try:
        verifiers = verifiers_from_keys(vkey)
        if not verifiers:
            raise _fail("none of the given verifier keys is of a supported type")
        verified = open_checkpoint(data, verifiers, origin=origin)
    except CorridorError as exc:
        raise _fail(exc.diagnostics()) from exc
    checkpoint = verified.checkpoint
    summary = {
        "origin": checkpoint.origin,
        "size": checkpoint.size,
        "root_hash": base64.b64encode(checkpoint.root_hash).decode("ascii"),
        "verified_by": verified.note.verified_names(),
    }
    print(json.dumps(summary, indent=2))


@app.command("verify-receipt")
def verify_receipt_command(
    file: Annotated[Path, typer.Argument(help="a receipt (C2SP tlog-proof) for one entry")],
    trust: Annotated[
        Path,
        typer.Option(help='trust file: {"origin", "vkey", "witnesses": [...], "quorum": N}'),
    ],
) -> None:
    """Verify a receipt offline against a trust file; print the verified entry as JSON."""
    data = _read(file)
    try:
        policy = TrustPolicy.from_json(json.loads(_read(trust)))
    except ValueError as exc:
        raise _fail(f"trust file {trust} is not JSON: {exc}") from exc
    except CorridorError as exc:
        raise _fail(exc.diagnostics()) from exc
    try:
        verified = verify_receipt(data, policy)
    except CorridorError as exc:
        raise _fail(exc.diagnostics()) from exc
    print(json.dumps(verified.summary(), indent=2))
