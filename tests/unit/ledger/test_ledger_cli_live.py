"""``corridor ledger inspect`` and ``tail`` against a live log served over loopback HTTP."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from ledger_support import ORIGIN, HostRouter  # type: ignore[import-not-found]
from typer.testing import CliRunner

from corridor.apps.problems import install_problem_handlers
from corridor.cli.ledger import app as cli
from corridor.crypto.keys import SigningKeyPair
from corridor.ledger.client import HttpWitnessClient
from corridor.ledger.cosigning import CosigningContext, collect_cosignatures, trust_policy
from corridor.ledger.evidence import SignedEntry
from corridor.ledger.note import CosignatureV1Signer, Ed25519NoteSigner
from corridor.ledger.routes import router
from corridor.ledger.service import LedgerContext, append_entries

runner = CliRunner()
MakeEntry = Callable[..., SignedEntry]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def witnessed(
    make_log, make_witness, host_router: HostRouter
) -> Iterator[tuple[LedgerContext, CosigningContext]]:
    """A log with a quorum of two witnesses, reached in-process."""
    log = make_log(quorum=2)
    a = make_witness("witness-a", pinned_logs={ORIGIN: log.verifier_key})
    b = make_witness("witness-b", pinned_logs={ORIGIN: log.verifier_key})
    with httpx.Client(transport=host_router) as http:
        yield (
            log,
            CosigningContext(
                ledger=log, witness_urls=(a.url, b.url), transport=HttpWitnessClient(http)
            ),
        )


@pytest.fixture
def served(witnessed) -> Iterator[str]:
    """The log's app on a real loopback port; yields its tlog-tiles prefix."""
    app = FastAPI()
    app.include_router(router)
    install_problem_handlers(app)
    app.state.ledger = witnessed[0]
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started, "uvicorn did not start"
    yield f"http://127.0.0.1:{port}/api/ledger/tlog/"
    server.should_exit = True
    thread.join(10)


def _grow(log: LedgerContext, cosigning: CosigningContext, entries: list[SignedEntry]) -> None:
    for first in range(0, len(entries), log.batch_size):
        chunk = entries[first : first + log.batch_size]
        append_entries(context=log, leaves=[entry.leaf for entry in chunk])
    assert collect_cosignatures(context=cosigning).final


def test_inspect_verifies_the_served_checkpoint_and_tiles(
    witnessed, served: str, make_entry: MakeEntry, tmp_path: Path
):
    log, cosigning = witnessed
    _grow(log, cosigning, [make_entry(i) for i in range(300)])
    trust = tmp_path / "trust.json"
    trust.write_text(json.dumps(trust_policy(context=log).to_json()))
    result = runner.invoke(cli, ["inspect", served, "--trust", str(trust)])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["size"] == 300
    assert summary["final"] is True
    assert len(summary["cosigners"]) == 2


def test_inspect_fails_without_the_witness_quorum(
    witnessed, served: str, make_entry: MakeEntry, tmp_path: Path
):
    log, cosigning = witnessed
    _grow(log, cosigning, [make_entry(1)])
    policy = trust_policy(context=log).to_json()
    third = CosignatureV1Signer("witness-c.test/witness", SigningKeyPair.generate())
    trust = tmp_path / "trust.json"
    trust.write_text(
        json.dumps({**policy, "witnesses": [*policy["witnesses"], third.verifier_key], "quorum": 3})
    )
    result = runner.invoke(cli, ["inspect", served, "--trust", str(trust)])
    assert result.exit_code == 1
    assert "2 of 3 cosignatures" in result.output
    impostor = Ed25519NoteSigner(ORIGIN, SigningKeyPair.generate())
    trust.write_text(json.dumps({**policy, "vkey": impostor.verifier_key}))
    assert runner.invoke(cli, ["inspect", served, "--trust", str(trust)]).exit_code == 1
    # A witness's cosignature key is not a log key, whatever the trust file says.
    trust.write_text(json.dumps({**policy, "vkey": policy["witnesses"][0]}))
    assert runner.invoke(cli, ["inspect", served, "--trust", str(trust)]).exit_code == 1


def test_tail_prints_verified_entries_and_follows_the_log(
    witnessed, served: str, make_entry: MakeEntry, tmp_path: Path
):
    log, cosigning = witnessed
    _grow(log, cosigning, [make_entry(i) for i in range(5)])
    trust = tmp_path / "trust.json"
    trust.write_text(json.dumps(trust_policy(context=log).to_json()))
    grower = threading.Timer(
        0.3, _grow, args=(log, cosigning, [make_entry(i) for i in range(5, 260)])
    )
    grower.start()
    result = runner.invoke(
        cli,
        [
            *("tail", served, "--trust", str(trust), "--from", "2", "--follow"),
            *("--interval", "1.5", "--polls", "1"),
        ],
    )
    grower.join()
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["index"] for line in lines] == list(range(2, 260))
    assert {line["type"] for line in lines} == {"record.uploaded"}
