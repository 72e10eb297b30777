"""``corridor ledger``: verify checkpoints and receipts offline; inspect and tail a live log."""

from __future__ import annotations

import base64
import json
import sys
import time
from pathlib import Path
from typing import Annotated

import httpx
import typer

from corridor.cli.common import fail, read_bytes
from corridor.errors import CorridorError
from corridor.ledger import (
    TrustPolicy,
    leaf_hash,
    open_checkpoint,
    parse_signed_entry,
    verifiers_from_keys,
    verify_receipt,
)
from corridor.ledger.auditor import (
    AuditedCheckpoint,
    audit_checkpoint,
    read_entries,
    verify_extension,
    verify_tree,
)

app = typer.Typer(
    name="ledger",
    help="Verify C2SP checkpoints and receipts offline; inspect and tail a live log's tiles.",
    no_args_is_help=True,
)


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
    data = read_bytes(file)
    try:
        verifiers = verifiers_from_keys(vkey)
        if not verifiers:
            raise fail("none of the given verifier keys is of a supported type")
        verified = open_checkpoint(data, verifiers, origin=origin)
    except CorridorError as exc:
        raise fail(exc.diagnostics()) from exc
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
    data = read_bytes(file)
    try:
        policy = TrustPolicy.from_json(json.loads(read_bytes(trust)))
    except ValueError as exc:
        raise fail(f"trust file {trust} is not JSON: {exc}") from exc
    except CorridorError as exc:
        raise fail(exc.diagnostics()) from exc
    try:
        verified = verify_receipt(data, policy)
    except CorridorError as exc:
        raise fail(exc.diagnostics()) from exc
    print(json.dumps(verified.summary(), indent=2))


# -- operators: read a live log through its tlog-tiles prefix ---------------------------

_DEFAULT_INTERVAL_SECONDS = 2.0


class _TileLog:
    """A log's tlog-tiles prefix over HTTP; every resource is verified by the auditor."""

    def __init__(self, client: httpx.Client, prefix: str) -> None:
        self._client = client
        self.prefix = prefix.rstrip("/") + "/"

    def fetch(self, path: str) -> bytes:
        try:
            response = self._client.get(self.prefix + path)
        except httpx.HTTPError as exc:
            raise fail(f"{self.prefix}{path} unreachable: {exc}") from exc
        if response.status_code != 200:  # noqa: PLR2004
            raise fail(f"{self.prefix}{path} answered {response.status_code}")
        return response.content

    def trust(self, trust_file: Path | None) -> TrustPolicy:
        if trust_file is not None:
            try:
                return TrustPolicy.from_json(json.loads(read_bytes(trust_file)))
            except ValueError as exc:
                raise fail(f"trust file {trust_file} is not JSON: {exc}") from exc
        # The node serving a Corridor log publishes its trust file beside the tiles.
        base = self.prefix.removesuffix("/").removesuffix("/api/ledger/tlog")
        print(
            f"warning: trusting the keys {base} publishes; pin them with --trust", file=sys.stderr
        )
        try:
            return TrustPolicy.from_json(
                json.loads(self._client.get(f"{base}/api/ledger/trust").content)
            )
        except (httpx.HTTPError, ValueError) as exc:
            raise fail(f"cannot read the trust file of {base}: {exc}") from exc

    def checkpoint(self, trust: TrustPolicy) -> AuditedCheckpoint:
        audited = audit_checkpoint(self.fetch("checkpoint"), trust)
        verify_tree(self.fetch, audited.checkpoint)
        return audited


PrefixArg = Annotated[
    str, typer.Argument(help="the log's tlog-tiles prefix, e.g. http://host/api/ledger/tlog/")
]
TrustOption = Annotated[
    Path | None,
    typer.Option("--trust", help="trust file to pin (default: the one the log's node serves)"),
]


@app.command("inspect")
def inspect(prefix: PrefixArg, trust: TrustOption = None) -> None:
    """Verify a log's latest checkpoint and tiles; print its state as JSON."""
    with httpx.Client(timeout=30.0) as client:
        log = _TileLog(client, prefix)
        policy = log.trust(trust)
        try:
            audited = log.checkpoint(policy)
        except CorridorError as exc:
            raise fail(exc.diagnostics()) from exc
    checkpoint = audited.checkpoint
    print(
        json.dumps(
            {
                "origin": checkpoint.origin,
                "size": checkpoint.size,
                "root_hash": base64.b64encode(checkpoint.root_hash).decode("ascii"),
                "cosigners": list(audited.cosigners),
                "quorum": audited.quorum,
                "final": audited.has_quorum,
                "tiles_verified": True,
            },
            indent=2,
        )
    )
    if not audited.has_quorum:
        raise fail(f"checkpoint has {len(audited.cosigners)} of {audited.quorum} cosignatures")


def _entry_line(index: int, leaf: bytes) -> str:
    try:
        statement = parse_signed_entry(leaf).statement
    except CorridorError:
        return json.dumps({"index": index, "leaf_hash": leaf_hash(leaf).hex(), "entry": None})
    return json.dumps(
        {
            "index": index,
            "type": statement.type,
            "transfer": statement.transfer,
            "actor": statement.actor,
            "time": statement.time,
            "leaf_hash": leaf_hash(leaf).hex(),
        }
    )


@app.command("tail")
def tail(  # noqa: PLR0917  # Typer maps each option to a parameter
    prefix: PrefixArg,
    trust: TrustOption = None,
    start: Annotated[int, typer.Option("--from", min=0, help="first entry index")] = 0,
    follow: Annotated[bool, typer.Option("--follow", help="keep polling for new entries")] = False,
    interval: Annotated[float, typer.Option(min=0.05, help="seconds between polls")] = (
        _DEFAULT_INTERVAL_SECONDS
    ),
    polls: Annotated[int, typer.Option(min=0, help="stop after this many polls (0: never)")] = 0,
) -> None:
    """Print verified entries as JSON lines; --follow checks each new checkpoint extends the old."""
    with httpx.Client(timeout=30.0) as client:
        log = _TileLog(client, prefix)
        policy = log.trust(trust)
        try:
            audited = log.checkpoint(policy)
            if not audited.has_quorum:
                raise fail("the served checkpoint lacks the witness quorum")
            for index, leaf in read_entries(log.fetch, audited.checkpoint, start):
                print(_entry_line(index, leaf), flush=True)
            done = 0
            while follow and (polls == 0 or done < polls):
                time.sleep(interval)
                done += 1
                newer = log.checkpoint(policy)
                old, new = audited.checkpoint, newer.checkpoint
                if new.size < old.size:
                    raise fail(f"rollback: the log went from size {old.size} to {new.size}")
                if not newer.has_quorum:
                    raise fail("the served checkpoint lacks the witness quorum")
                verify_extension(log.fetch, old, new)
                for index, leaf in read_entries(log.fetch, new, max(start, old.size)):
                    print(_entry_line(index, leaf), flush=True)
                audited = newer
        except CorridorError as exc:
            raise fail(exc.diagnostics()) from exc
