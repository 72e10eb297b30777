"""kill -9 during batches: no acknowledged entry is lost, no checkpoint disagrees with the tree.

A real log process (``ledger_crash_writer.py``) appends signed batches to a SQLite file
(WAL, synchronous=FULL) or PostgreSQL and acknowledges each on stdout once the service has
returned. The test sends SIGKILL at a random moment inside a batch, twice, restarting
the writer on the same database each time, and then audits the database from scratch.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from ledger_crash_writer import ORIGIN, keys  # type: ignore[import-not-found]
from sqlalchemy import select

from corridor.ledger.evidence import entry_digest
from corridor.ledger.merkle import MemoryTree, leaf_hash
from corridor.ledger.note import Ed25519NoteSigner, open_checkpoint
from corridor.ledger.tables import CheckpointRow, LeafRow, LogStateRow, NodeRow
from corridor.storage import create_database, upgrade_database
from corridor.storage.unit_of_work import UnitOfWork

_WRITER = Path(__file__).with_name("ledger_crash_writer.py")
_SEED = "5eed" * 8
_ROUNDS = 2
_BATCH = 40


def _run_and_kill(url: str, first: int, rng: random.Random) -> list[tuple[int, str]]:
    """Start the writer, let it acknowledge a few batches, kill it inside the next one."""
    acknowledged: list[tuple[int, str]] = []
    begins = 0
    wanted = rng.randint(2, 5)
    deadline = time.monotonic() + 120
    with subprocess.Popen(
        [sys.executable, str(_WRITER), url, _SEED, str(first), str(_BATCH)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "PYTHONPATH": str(_WRITER.parent)},
    ) as process:
        assert process.stdout is not None
        try:
            for line in process.stdout:
                if time.monotonic() > deadline:
                    pytest.fail("the writer did not reach the batch to kill in time")
                message = json.loads(line)
                if "ack" in message:
                    acknowledged.extend((int(i), str(d)) for i, d in message["ack"])
                    continue
                begins += 1
                if begins > wanted:
                    # Inside a batch: verifying, writing or committing it.
                    time.sleep(rng.uniform(0, 0.03))
                    break
            else:
                pytest.fail("the writer stopped by itself")
        finally:
            os.kill(process.pid, signal.SIGKILL)
            process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL
    return acknowledged


def _audit(url: str, acknowledged: list[tuple[int, str]]) -> int:
    database = create_database(url)
    upgrade_database(database)
    try:
        with UnitOfWork(database.sessions) as uow:
            session = uow.session
            leaves = session.execute(
                select(LeafRow.idx, LeafRow.leaf, LeafRow.leaf_hash).order_by(LeafRow.idx)
            ).all()
            size = session.execute(select(LogStateRow.size)).scalar_one()
            checkpoints = session.execute(
                select(CheckpointRow.size, CheckpointRow.root_hash, CheckpointRow.note)
            ).all()
            nodes = session.execute(select(NodeRow.level, NodeRow.idx, NodeRow.hash)).all()
    finally:
        database.dispose()
    # The stored leaves are exactly 0..size-1, and every acknowledged entry is among them.
    assert [row.idx for row in leaves] == list(range(size))
    by_index = {row.idx: entry_digest(row.leaf) for row in leaves}
    for index, digest in acknowledged:
        assert by_index.get(index) == digest, f"acknowledged entry {index} was lost"
    # Recompute the tree from the leaf bytes alone and compare everything stored.
    tree = MemoryTree()
    for row in leaves:
        assert row.leaf_hash == leaf_hash(row.leaf)
        tree.append(row.leaf)
    assert all(tree.node_hashes([(r.level, r.idx)])[r.level, r.idx] == r.hash for r in nodes)
    _, log = keys(bytes.fromhex(_SEED))
    verifier = Ed25519NoteSigner(ORIGIN, log).verifier()
    assert max(c.size for c in checkpoints) == size
    for checkpoint in checkpoints:
        opened = open_checkpoint(checkpoint.note, [verifier], origin=ORIGIN).checkpoint
        assert (opened.size, opened.root_hash) == (checkpoint.size, checkpoint.root_hash)
        assert checkpoint.root_hash == tree.root(checkpoint.size)
    return size


@pytest.mark.slow
def test_kill_9_during_batches_loses_no_acknowledged_entry(
    database_urls: Callable[[str], str],
) -> None:
    url = database_urls("crash-log")
    rng = random.Random(9)  # noqa: S311  # reproducible timing, not a secret
    acknowledged: list[tuple[int, str]] = []
    sizes = []
    for round_ in range(_ROUNDS):
        acknowledged += _run_and_kill(url, first=round_ * 100_000, rng=rng)
        sizes.append(_audit(url, acknowledged))
    assert len(acknowledged) >= _ROUNDS * 2 * _BATCH
    assert sizes == sorted(sizes)
