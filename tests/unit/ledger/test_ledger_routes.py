"""The log's HTTP API in-process over httpx, with problem details for bad input."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable

import httpx
import pytest

from corridor.crypto.canonical import b64url_encode, canonical_json
from corridor.ledger.evidence import SignedEntry
from corridor.ledger.merkle import MemoryTree, leaf_hash
from corridor.ledger.note import open_checkpoint, parse_verifier_key
from corridor.ledger.receipt import TrustPolicy, verify_receipt
from corridor.ledger.service import LedgerContext

MakeEntry = Callable[..., SignedEntry]


@pytest.fixture
def client(http: httpx.Client) -> httpx.Client:
    return http


def _append(client: httpx.Client, entries: list[SignedEntry]) -> dict[str, object]:
    response = client.post(
        "/api/ledger/entries", json={"entries": [b64url_encode(e.leaf) for e in entries]}
    )
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body


def test_post_entries_answers_indexes_and_a_signed_checkpoint(
    client: httpx.Client, make_entry: MakeEntry, ledger_context: LedgerContext
) -> None:
    entries = [make_entry(i) for i in range(3)]
    body = _append(client, entries)
    assert body["entries"] == [
        {"index": i, "leaf_hash": leaf_hash(e.leaf).hex(), "digest": body["entries"][i]["digest"]}  # type: ignore[index]
        for i, e in enumerate(entries)
    ]
    checkpoint = client.get("/api/ledger/checkpoint")
    assert checkpoint.headers["content-type"].startswith("text/plain")
    assert checkpoint.text == body["checkpoint"]
    opened = open_checkpoint(checkpoint.text, [parse_verifier_key(ledger_context.verifier_key)])
    assert opened.checkpoint.size == 3


def test_entries_are_served_as_their_exact_bytes_and_by_transfer(
    client: httpx.Client, make_entry: MakeEntry
) -> None:
    entries = [make_entry(0), make_entry(1, transfer="transfer-0002")]
    _append(client, entries)
    response = client.get("/api/ledger/entries/1")
    assert response.headers["content-type"] == "application/json"
    assert response.content == entries[1].leaf
    listing = client.get("/api/ledger/entries", params={"transfer": "transfer-0002"}).json()
    assert listing == {"entries": [{"index": 1, "entry": json.loads(entries[1].leaf)}]}


def test_proofs_and_receipts_verify(
    client: httpx.Client, make_entry: MakeEntry, ledger_context: LedgerContext
) -> None:
    entries = [make_entry(i) for i in range(11)]
    _append(client, entries[:4])
    _append(client, entries[4:])
    tree = MemoryTree()
    for entry in entries:
        tree.append(entry.leaf)
    proof = client.get("/api/ledger/proofs/inclusion", params={"index": 5, "tree_size": 11}).json()
    assert proof["hashes"] == [base64.b64encode(h).decode() for h in tree.inclusion_proof(5, 11)]
    consistency = client.get("/api/ledger/proofs/consistency", params={"old": 4, "new": 11})
    assert consistency.json()["hashes"] == [
        base64.b64encode(h).decode() for h in tree.consistency_proof(4, 11)
    ]
    receipt = client.get("/api/ledger/receipts/5")
    assert receipt.headers["content-type"].startswith("text/plain")
    trust = TrustPolicy(origin=ledger_context.origin, log_key=ledger_context.verifier_key)
    assert verify_receipt(receipt.text, trust).index == 5


@pytest.mark.parametrize(
    ("request_body", "status", "code"),
    [
        ({"entries": []}, 422, "invalid-request"),
        ({"entries": ["!!not base64!!"]}, 400, "invalid-batch"),
        ({"entries": [b64url_encode(b'{"a": 1}')]}, 400, "invalid-entry"),
        ({"entries": [b64url_encode(b"x" * (64 * 1024 + 1))]}, 400, "invalid-entry"),
        ({"entries": "nope"}, 422, "invalid-request"),
    ],
)
def test_bad_append_requests_get_problem_details(
    client: httpx.Client, request_body: object, status: int, code: str
) -> None:
    response = client.post("/api/ledger/entries", json=request_body)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == code


def test_forged_entry_is_refused_with_422(client: httpx.Client, make_entry: MakeEntry) -> None:
    value = json.loads(make_entry(1).leaf)
    value["sig"] = b64url_encode(bytes(64))
    response = client.post(
        "/api/ledger/entries", json={"entries": [b64url_encode(canonical_json(value))]}
    )
    assert response.status_code == 422
    assert response.json()["code"] == "entry-signature-invalid"
    assert client.get("/api/ledger/entries/0").status_code == 404


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/api/ledger/entries/7", 404),
        ("/api/ledger/receipts/3", 404),
        ("/api/ledger/proofs/inclusion?index=0&tree_size=5", 404),
        ("/api/ledger/proofs/inclusion?index=3&tree_size=1", 400),
        ("/api/ledger/proofs/inclusion?index=-1&tree_size=1", 422),
        ("/api/ledger/proofs/consistency?old=2&new=1", 400),
        ("/api/ledger/entries", 422),
    ],
)
def test_bad_reads_get_problem_details(
    client: httpx.Client, make_entry: MakeEntry, path: str, status: int
) -> None:
    _append(client, [make_entry(0)])
    response = client.get(path)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
