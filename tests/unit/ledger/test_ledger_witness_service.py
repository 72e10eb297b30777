"""The regulator's witness on a real database: atomic check-and-persist, pinning, alerts."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from ledger_support import ORIGIN  # type: ignore[import-not-found]

from corridor.ledger.errors import ForkedCheckpoint, UnknownLogOrigin, WitnessSizeMismatch
from corridor.ledger.evidence import SignedEntry
from corridor.ledger.merkle import MemoryTree
from corridor.ledger.note import Checkpoint, format_note
from corridor.ledger.service import LedgerContext, append_entries, latest_signed_checkpoint
from corridor.ledger.witness import AddCheckpointRequest
from corridor.ledger.witness_service import (
    add_checkpoint,
    cosigned_checkpoint,
    origin_key,
    witness_alerts,
    witnessed_logs,
)

MakeEntry = Callable[..., SignedEntry]


def test_racing_requests_never_roll_the_witness_back(make_log, make_witness, make_entry):
    log: LedgerContext = make_log()
    witness = make_witness("witness-race", pinned_logs={ORIGIN: log.verifier_key})
    notes = []
    for batch in range(4):
        append_entries(context=log, leaves=[make_entry(batch * 5 + i).leaf for i in range(5)])
        notes.append(latest_signed_checkpoint(context=log))
    outcomes: list[str] = []

    def submit(note: str) -> None:
        try:
            add_checkpoint(context=witness.context, body=AddCheckpointRequest(0, (), note).body())
            outcomes.append("cosigned")
        except WitnessSizeMismatch:
            outcomes.append("conflict")

    threads = [threading.Thread(target=submit, args=(note,)) for note in notes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # All four claim the witness is at size 0: exactly one can be right.
    assert sorted(outcomes) == ["conflict", "conflict", "conflict", "cosigned"]
    (state,) = witnessed_logs(context=witness.context)
    assert state.size in {5, 10, 15, 20}
    assert cosigned_checkpoint(context=witness.context, origin_hash=origin_key(ORIGIN)) == (
        state.note
    )


def test_a_fork_is_refused_and_kept_as_an_alert_with_the_signed_checkpoint(
    make_log, make_witness, make_entry
):
    log: LedgerContext = make_log()
    witness = make_witness("witness-fork", pinned_logs={ORIGIN: log.verifier_key})
    append_entries(context=log, leaves=[make_entry(i).leaf for i in range(3)])
    add_checkpoint(
        context=witness.context,
        body=AddCheckpointRequest(0, (), latest_signed_checkpoint(context=log)).body(),
    )
    other = MemoryTree()
    for i in range(3):
        other.append(f"other {i}".encode())
    body = Checkpoint(ORIGIN, 3, other.root()).body()
    forked = format_note(body, [log.signer.sign(body)])
    with pytest.raises(ForkedCheckpoint):
        add_checkpoint(context=witness.context, body=AddCheckpointRequest(3, (), forked).body())
    (alert,) = witness_alerts(context=witness.context)
    assert (alert.origin, alert.kind, alert.note) == (ORIGIN, "fork", forked)
    assert witness_alerts(context=witness.context, origin="another.test/log") == []


def test_a_witness_without_a_pin_or_discovery_follows_no_log(make_log, make_witness, make_entry):
    log: LedgerContext = make_log()
    witness = make_witness("witness-unpinned")
    append_entries(context=log, leaves=[make_entry(1).leaf])
    with pytest.raises(UnknownLogOrigin):
        add_checkpoint(
            context=witness.context,
            body=AddCheckpointRequest(0, (), latest_signed_checkpoint(context=log)).body(),
        )
    assert witnessed_logs(context=witness.context) == []
