"""The log service on a real database (SQLite, and PostgreSQL when configured)."""

from __future__ import annotations

import itertools
import json
import random
import threading
from collections.abc import Callable
from typing import Any

import pytest

from corridor.crypto.canonical import canonical_json
from corridor.crypto.keys import SigningKeyPair
from corridor.ledger.errors import (
    EntryNotFound,
    EntrySignatureInvalid,
    InvalidBatch,
    InvalidEntry,
    InvalidProofRequest,
    UnknownActor,
)
from corridor.ledger.evidence import SignedEntry, sign_statement
from corridor.ledger.merkle import (
    EMPTY_ROOT,
    MemoryTree,
    leaf_hash,
    verify_consistency,
    verify_inclusion,
)
from corridor.ledger.note import VerifiedCheckpoint, open_checkpoint, parse_verifier_key
from corridor.ledger.receipt import TrustPolicy, verify_receipt
from corridor.ledger.service import (
    LedgerContext,
    LocalLedger,
    append_entries,
    build_receipt,
    entries_for_transfer,
    find_entries,
    get_entry,
    latest_checkpoint,
    prove_consistency,
    prove_inclusion,
    require_entry,
    tree_size,
)

MakeEntry = Callable[..., SignedEntry]


def _open(context: LedgerContext, note: str) -> VerifiedCheckpoint:
    verifiers = [parse_verifier_key(context.verifier_key)]
    return open_checkpoint(note, verifiers, origin=context.origin)


def test_appends_a_batch_under_one_signed_checkpoint(
    ledger_context: LedgerContext, make_entry: MakeEntry
) -> None:
    entries = [make_entry(i) for i in range(3)]
    result = append_entries(context=ledger_context, leaves=[e.leaf for e in entries])
    assert [ref.index for ref in result.entries] == [0, 1, 2]
    assert result.entries[1].leaf_hash == leaf_hash(entries[1].leaf).hex()
    tree = MemoryTree()
    for entry in entries:
        tree.append(entry.leaf)
    checkpoint = _open(ledger_context, result.checkpoint).checkpoint
    assert (checkpoint.size, checkpoint.root_hash) == (3, tree.root())
    assert latest_checkpoint(context=ledger_context) == result.checkpoint
    assert require_entry(context=ledger_context, index=2) == entries[2].leaf


def test_empty_log_serves_a_signed_size_zero_checkpoint(ledger_context: LedgerContext) -> None:
    checkpoint = _open(ledger_context, latest_checkpoint(context=ledger_context)).checkpoint
    assert (checkpoint.size, checkpoint.root_hash) == (0, EMPTY_ROOT)
    assert get_entry(context=ledger_context, index=0) is None
    with pytest.raises(EntryNotFound):
        require_entry(context=ledger_context, index=0)


def test_appending_the_same_entries_again_returns_their_indexes(
    ledger_context: LedgerContext, make_entry: MakeEntry
) -> None:
    entries = [make_entry(i) for i in range(3)]
    first = append_entries(context=ledger_context, leaves=[e.leaf for e in entries])
    again = append_entries(context=ledger_context, leaves=[entries[2].leaf, entries[0].leaf])
    assert [ref.index for ref in again.entries] == [2, 0]
    assert again.checkpoint == first.checkpoint
    mixed = append_entries(
        context=ledger_context, leaves=[entries[1].leaf, make_entry(9).leaf, make_entry(9).leaf]
    )
    assert [ref.index for ref in mixed.entries] == [1, 3, 3]
    assert tree_size(context=ledger_context) == 4


@pytest.mark.parametrize("bad_position", [0, 1])
def test_a_bad_signature_refuses_the_whole_batch(
    ledger_context: LedgerContext, make_entry: MakeEntry, actor: Any, bad_position: int
) -> None:
    good = make_entry(1)
    forged = sign_statement(make_entry(2).statement, SigningKeyPair.generate(), kid=actor.kid)
    leaves = [good.leaf, forged.leaf] if bad_position else [forged.leaf, good.leaf]
    with pytest.raises(EntrySignatureInvalid) as raised:
        append_entries(context=ledger_context, leaves=leaves)
    assert raised.value.detail["entry"] == (1 if bad_position else 0)
    assert tree_size(context=ledger_context) == 0


def test_non_canonical_json_is_refused(
    ledger_context: LedgerContext, make_entry: MakeEntry
) -> None:
    leaf = json.dumps(json.loads(make_entry(1).leaf), indent=1).encode()
    with pytest.raises(InvalidEntry, match="canonical"):
        append_entries(context=ledger_context, leaves=[leaf])
    with pytest.raises(InvalidEntry):
        append_entries(context=ledger_context, leaves=[b"\xff not json"])


def test_oversize_entry_is_refused(ledger_context: LedgerContext) -> None:
    with pytest.raises(InvalidEntry, match="limit"):
        append_entries(context=ledger_context, leaves=[b"{" + b" " * (64 * 1024) + b"}"])


def test_unknown_entry_type_is_refused(
    ledger_context: LedgerContext, make_entry: MakeEntry
) -> None:
    value = json.loads(make_entry(1).leaf)
    value["statement"]["type"] = "record.shredded"
    with pytest.raises(InvalidEntry) as raised:
        append_entries(context=ledger_context, leaves=[canonical_json(value)])
    assert "unknown entry type" in str(raised.value.detail["problems"])


def test_unknown_actor_is_refused(ledger_context: LedgerContext, make_entry: MakeEntry) -> None:
    value = json.loads(make_entry(1).leaf)
    value["statement"]["actor"] = "did:web:stranger.test"
    value["kid"] = "did:web:stranger.test#key-1"
    with pytest.raises(UnknownActor):
        append_entries(context=ledger_context, leaves=[canonical_json(value)])


def test_batches_outside_the_size_limit_are_refused(
    ledger_context: LedgerContext, make_entry: MakeEntry
) -> None:
    with pytest.raises(InvalidBatch):
        append_entries(context=ledger_context, leaves=[])
    leaves = [make_entry(i).leaf for i in range(ledger_context.batch_size + 1)]
    with pytest.raises(InvalidBatch):
        append_entries(context=ledger_context, leaves=leaves)


def test_proofs_from_stored_nodes_equal_the_reference_tree(
    ledger_context: LedgerContext, make_entry: MakeEntry
) -> None:
    rng = random.Random(7)  # noqa: S311  # a reproducible sample, not a secret
    tree, checkpoints, number = MemoryTree(), [], 0
    for _ in range(6):
        batch = [make_entry(number + i) for i in range(rng.randint(1, 40))]
        number += len(batch)
        result = append_entries(context=ledger_context, leaves=[e.leaf for e in batch])
        for entry in batch:
            tree.append(entry.leaf)
        checkpoints.append(_open(ledger_context, result.checkpoint).checkpoint)
    for checkpoint in checkpoints:
        assert checkpoint.root_hash == tree.root(checkpoint.size)
        for index in rng.sample(range(checkpoint.size), min(10, checkpoint.size)):
            proof = prove_inclusion(context=ledger_context, index=index, tree_size=checkpoint.size)
            assert proof == tree.inclusion_proof(index, checkpoint.size)
            verify_inclusion(
                index=index,
                size=checkpoint.size,
                leaf=tree.node_hashes([(0, index)])[0, index],
                proof=proof,
                root=checkpoint.root_hash,
            )
    for old, new in itertools.pairwise(checkpoints):
        proof = prove_consistency(context=ledger_context, old=old.size, new=new.size)
        verify_consistency(
            old_size=old.size,
            new_size=new.size,
            old_root=old.root_hash,
            new_root=new.root_hash,
            proof=proof,
        )


def test_proof_requests_beyond_the_log_are_refused(
    ledger_context: LedgerContext, make_entry: MakeEntry
) -> None:
    append_entries(context=ledger_context, leaves=[make_entry(0).leaf])
    with pytest.raises(EntryNotFound):
        prove_inclusion(context=ledger_context, index=0, tree_size=2)
    with pytest.raises(InvalidProofRequest):
        prove_inclusion(context=ledger_context, index=1, tree_size=1)
    with pytest.raises(InvalidProofRequest):
        prove_consistency(context=ledger_context, old=2, new=1)
    with pytest.raises(EntryNotFound):
        build_receipt(context=ledger_context, index=1)


def test_entries_are_found_by_transfer_type_and_digest(
    ledger_context: LedgerContext, make_entry: MakeEntry
) -> None:
    consent = "sha256:" + "ab" * 32
    leaves = [
        make_entry(0).leaf,
        make_entry(1, transfer="transfer-0002").leaf,
        make_entry(2, entry_type="consent.revoked", digests={"consent": consent}).leaf,
        make_entry(3, entry_type="consent.revoked").leaf,
    ]
    append_entries(context=ledger_context, leaves=leaves)
    found = entries_for_transfer(context=ledger_context, transfer="transfer-0001")
    assert [index for index, _ in found] == [0, 2, 3]
    assert found[0][1].leaf == leaves[0]
    revoked = find_entries(
        context=ledger_context,
        entry_type="consent.revoked",
        transfer="transfer-0001",
        digest_name="consent",
        digest_value=consent,
    )
    assert [index for index, _ in revoked] == [2]


def test_receipts_verify_offline_against_the_trust_policy(
    ledger_context: LedgerContext, make_entry: MakeEntry, actor: Any
) -> None:
    ledger = LocalLedger(ledger_context)
    ledger.append([make_entry(i).leaf for i in range(5)])
    ledger.append([make_entry(i).leaf for i in range(5, 7)])
    trust = TrustPolicy(origin=ledger_context.origin, log_key=ledger_context.verifier_key)
    for index in range(7):
        verified = verify_receipt(
            ledger.receipt(index), trust, actor_key={actor.did: actor.key.public}
        )
        assert (verified.index, verified.checkpoint.size) == (index, 7)
        assert verified.entry_signature_checked


def test_concurrent_appends_never_share_an_index(
    ledger_context: LedgerContext, make_entry: MakeEntry
) -> None:
    errors: list[BaseException] = []
    indexes: list[int] = []
    guard = threading.Lock()

    def worker(first: int) -> None:
        try:
            for batch in range(3):
                start = first + batch * 4
                leaves = [make_entry(n).leaf for n in range(start, start + 4)]
                result = append_entries(context=ledger_context, leaves=leaves)
                with guard:
                    indexes.extend(ref.index for ref in result.entries)
        except BaseException as exc:  # noqa: BLE001  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(t * 100,)) for t in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert sorted(indexes) == list(range(48))
    checkpoint = _open(ledger_context, latest_checkpoint(context=ledger_context)).checkpoint
    assert checkpoint.size == 48
