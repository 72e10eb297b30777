"""Witnessing end to end: the log asks two witnesses over HTTP, checkpoints become final."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx
import pytest
from ledger_support import ORIGIN, HostRouter, WitnessNode  # type: ignore[import-not-found]
from sqlalchemy import delete

from corridor.ledger.client import HttpWitnessClient
from corridor.ledger.collector import start_witnessing
from corridor.ledger.cosigning import CosigningContext, collect_cosignatures, trust_policy
from corridor.ledger.errors import LogUnavailable, NotYetFinal
from corridor.ledger.evidence import SignedEntry
from corridor.ledger.note import open_checkpoint, parse_verifier_key
from corridor.ledger.receipt import verify_receipt
from corridor.ledger.service import (
    LedgerContext,
    append_entries,
    build_receipt,
    latest_checkpoint,
)
from corridor.ledger.tables import CosignatureRow
from corridor.ledger.witness import AddCheckpointRequest
from corridor.ledger.witness_service import witness_alerts, witnessed_logs
from corridor.storage.unit_of_work import UnitOfWork

MakeEntry = Callable[..., SignedEntry]


@dataclass
class Witnessed:
    log: LedgerContext
    a: WitnessNode
    b: WitnessNode
    http: httpx.Client
    cosigning: CosigningContext

    def append(self, make_entry: MakeEntry, numbers: range) -> None:
        append_entries(context=self.log, leaves=[make_entry(i).leaf for i in numbers])


@pytest.fixture
def witnessed(make_log, make_witness, host_router: HostRouter) -> Witnessed:
    log = make_log(quorum=2)
    a = make_witness("witness-a", pinned_logs={ORIGIN: log.verifier_key})
    b = make_witness("witness-b", pinned_logs={ORIGIN: log.verifier_key})
    http = httpx.Client(transport=host_router)
    cosigning = CosigningContext(
        ledger=log, witness_urls=(a.url, b.url), transport=HttpWitnessClient(http)
    )
    return Witnessed(log, a, b, http, cosigning)


def test_a_batch_is_final_once_both_witnesses_cosigned_it(witnessed: Witnessed, make_entry):
    witnessed.append(make_entry, range(5))
    assert (
        open_checkpoint(
            latest_checkpoint(context=witnessed.log),
            [parse_verifier_key(witnessed.log.verifier_key)],
        ).checkpoint.size
        == 0
    )
    with pytest.raises(NotYetFinal):
        build_receipt(context=witnessed.log, index=3)

    outcome = collect_cosignatures(context=witnessed.cosigning)

    assert outcome.final
    assert outcome.size == 5
    assert outcome.cosigners == sorted([witnessed.a.context.name, witnessed.b.context.name])
    trust = trust_policy(context=witnessed.log)
    assert trust.quorum == 2
    assert sorted(trust.witness_keys) == sorted(
        [witnessed.a.context.verifier_key, witnessed.b.context.verifier_key]
    )
    verified = verify_receipt(build_receipt(context=witnessed.log, index=3), trust)
    assert verified.checkpoint.size == 5
    assert len(verified.cosigners) == 2


def test_successive_batches_are_cosigned_with_consistency_proofs(witnessed: Witnessed, make_entry):
    for numbers in (range(3), range(3, 6), range(6, 9), range(9, 40)):
        witnessed.append(make_entry, numbers)
        assert collect_cosignatures(context=witnessed.cosigning).final
    for witness in (witnessed.a, witnessed.b):
        (log,) = witnessed_logs(context=witness.context)
        assert (log.origin, log.size) == (ORIGIN, 40)
    assert witness_alerts(context=witnessed.a.context) == []


def test_a_checkpoint_missing_a_witness_is_not_final(
    make_log, make_witness, host_router: HostRouter, make_entry
):
    log = make_log(quorum=2)
    a = make_witness("witness-a", pinned_logs={ORIGIN: log.verifier_key})
    http = httpx.Client(transport=host_router)
    cosigning = CosigningContext(
        ledger=log,
        witness_urls=(a.url, "http://witness-down.test"),
        transport=HttpWitnessClient(http),
    )
    append_entries(context=log, leaves=[make_entry(1).leaf])
    outcome = collect_cosignatures(context=cosigning)
    assert not outcome.final
    assert outcome.cosigners == [a.context.name]
    assert "http://witness-down.test" in outcome.failures
    with pytest.raises(LogUnavailable):
        trust_policy(context=log)  # one witness key known, two needed
    with pytest.raises(NotYetFinal):
        build_receipt(context=log, index=0)


def test_the_log_catches_up_from_the_size_a_witness_reports(witnessed: Witnessed, make_entry):
    witnessed.append(make_entry, range(4))
    collect_cosignatures(context=witnessed.cosigning)
    # The log forgets what witness A cosigned (e.g. restored from an older backup).
    with UnitOfWork(witnessed.log.database.sessions) as uow:
        uow.session.execute(
            delete(CosignatureRow).where(CosignatureRow.witness == witnessed.a.context.name)
        )
        uow.commit()
    witnessed.append(make_entry, range(4, 9))
    outcome = collect_cosignatures(context=witnessed.cosigning)
    assert outcome.final  # A answered 409 "4", the log retried from size 4
    assert outcome.size == 9


def test_the_witness_answers_a_stale_old_size_with_its_size_as_text(
    witnessed: Witnessed, make_entry
):
    witnessed.append(make_entry, range(3))
    collect_cosignatures(context=witnessed.cosigning)
    note = latest_checkpoint(context=witnessed.log)
    response = witnessed.http.post(
        f"{witnessed.a.url}/api/ledger/witness/add-checkpoint",
        content=AddCheckpointRequest(1, (), note).body(),
    )
    assert response.status_code == 409
    assert response.headers["content-type"] == "text/x.tlog.size"
    assert response.text == "3\n"


def test_witness_pins_the_log_key_the_log_publishes_on_first_use(
    make_log, make_witness, host_router: HostRouter, make_entry
):
    log = make_log()
    published = {"origin": ORIGIN}
    witness = make_witness(
        "witness-tofu", discover_log=lambda: (published["origin"], log.verifier_key)
    )
    append_entries(context=log, leaves=[make_entry(1).leaf])
    request = AddCheckpointRequest(0, (), latest_checkpoint(context=log)).body()
    url = f"{witness.url}/api/ledger/witness/add-checkpoint"
    with httpx.Client(transport=host_router) as http:
        published["origin"] = "another.test/log"
        assert http.post(url, content=request).status_code == 404
        published["origin"] = ORIGIN
        answer = http.post(url, content=request)
        assert answer.status_code == 200, answer.text
        described = http.get(f"{witness.url}/api/ledger/witness").json()
    assert described["logs"][0]["vkey"] == log.verifier_key
    assert described["logs"][0]["size"] == 1


def test_the_collector_thread_finalises_batches_after_they_are_announced(
    witnessed: Witnessed, make_entry
):
    log, collector = start_witnessing(
        witnessed.log,
        witness_urls=witnessed.cosigning.witness_urls,
        transport=witnessed.cosigning.transport,
    )
    try:
        for batch in range(3):
            append_entries(context=log, leaves=[make_entry(batch * 10 + i).leaf for i in range(10)])
        deadline = time.monotonic() + 20
        receipt = None
        while receipt is None and time.monotonic() < deadline:
            try:
                receipt = build_receipt(context=log, index=29)
            except NotYetFinal:
                time.sleep(0.05)
        assert receipt is not None, "the last batch never became final"
        assert verify_receipt(receipt, trust_policy(context=log)).checkpoint.size == 30
    finally:
        collector.close()
