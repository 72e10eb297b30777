"""HttpLedgerClient against the real routes in-process, and its error translation."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from corridor.ledger.client import HttpLedgerClient
from corridor.ledger.errors import (
    EntryNotFound,
    EntrySignatureInvalid,
    InvalidBatch,
    InvalidProofRequest,
    LogUnavailable,
)
from corridor.ledger.evidence import SignedEntry
from corridor.ledger.interfaces import EvidenceLog, LedgerReader
from corridor.ledger.merkle import MemoryTree
from corridor.ledger.receipt import TrustPolicy, verify_receipt
from corridor.ledger.service import LedgerContext, LocalLedger

MakeEntry = Callable[..., SignedEntry]


@pytest.fixture
def ledger(http: httpx.Client) -> HttpLedgerClient:
    return HttpLedgerClient(http, "http://log.test/")


def test_client_and_local_adapter_give_the_same_answers(
    ledger: HttpLedgerClient, ledger_context: LedgerContext, make_entry: MakeEntry
) -> None:
    local = LocalLedger(ledger_context)
    logs: list[EvidenceLog] = [ledger, local]
    readers: list[LedgerReader] = [ledger, local]
    first = logs[0].append([make_entry(i).leaf for i in range(3)])
    second = logs[1].append([make_entry(i).leaf for i in range(2, 6)])
    assert [ref.index for ref in first.entries] == [0, 1, 2]
    assert [ref.index for ref in second.entries] == [2, 3, 4, 5]
    tree = MemoryTree()
    for i in range(6):
        tree.append(make_entry(i).leaf)
    trust = TrustPolicy(origin=ledger_context.origin, log_key=ledger_context.verifier_key)
    for reader in readers:
        assert reader.checkpoint() == second.checkpoint
        found = reader.entries_for_transfer("transfer-0001")
        assert [(index, entry.leaf) for index, entry in found] == [
            (i, make_entry(i).leaf) for i in range(6)
        ]
        assert reader.inclusion_proof(4, 6) == tree.inclusion_proof(4, 6)
        assert verify_receipt(reader.receipt(4), trust).index == 4
    assert ledger.consistency_proof(3, 6) == tree.consistency_proof(3, 6)
    assert ledger.entry(5) == make_entry(5).leaf


def test_problems_become_ledger_errors(ledger: HttpLedgerClient, make_entry: MakeEntry) -> None:
    ledger.append([make_entry(0).leaf])
    with pytest.raises(EntryNotFound):
        ledger.entry(9)
    with pytest.raises(InvalidProofRequest):
        ledger.inclusion_proof(3, 1)
    with pytest.raises(InvalidBatch):
        ledger.append([])
    forged = make_entry(1).leaf.replace(b'"sig":"', b'"sig":"AAAA', 1)
    with pytest.raises(EntrySignatureInvalid) as raised:
        ledger.append([forged])
    assert raised.value.detail["status"] == 422


def test_unreachable_log_is_unavailable() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    with (
        httpx.Client(transport=httpx.MockTransport(refuse)) as http,
        pytest.raises(LogUnavailable),
    ):
        HttpLedgerClient(http, "http://log.test").checkpoint()


def test_server_errors_and_garbage_are_unavailable() -> None:
    def broken(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/checkpoint"):
            return httpx.Response(503, text="down")
        return httpx.Response(200, text="not json")

    with httpx.Client(transport=httpx.MockTransport(broken)) as http:
        client = HttpLedgerClient(http, "http://log.test")
        with pytest.raises(LogUnavailable):
            client.checkpoint()
        with pytest.raises(LogUnavailable):
            client.inclusion_proof(0, 1)
