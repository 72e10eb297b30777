"""Receipts (C2SP tlog-proof) built from an in-memory log and verified offline."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from corridor.crypto.keys import SigningKeyPair
from corridor.ledger.errors import InvalidReceipt, InvalidVerifierKey
from corridor.ledger.evidence import SignedEntry
from corridor.ledger.merkle import MemoryTree
from corridor.ledger.note import Checkpoint, CosignatureV1Signer, Ed25519NoteSigner, format_note
from corridor.ledger.receipt import (
    RECEIPT_HEADER,
    TrustPolicy,
    format_receipt,
    parse_receipt,
    verify_receipt,
)

MakeEntry = Callable[..., SignedEntry]
ORIGIN = "datacenter.test/log"


class _Log:
    def __init__(self, make_entry: MakeEntry, count: int = 6) -> None:
        self.signer = Ed25519NoteSigner(ORIGIN, SigningKeyPair.generate())
        self.witnesses = [
            CosignatureV1Signer(f"regulator-{name}.test/witness", SigningKeyPair.generate())
            for name in ("a", "b")
        ]
        self.entries = [make_entry(i) for i in range(count)]
        self.tree = MemoryTree()
        for entry in self.entries:
            self.tree.append(entry.leaf)

    def receipt(self, index: int, *, cosigners: int = 0) -> str:
        body = Checkpoint(ORIGIN, self.tree.size, self.tree.root()).body()
        signatures = [self.signer.sign(body)]
        signatures += [w.cosign(body, timestamp=1_740_000_000) for w in self.witnesses[:cosigners]]
        return format_receipt(
            leaf=self.entries[index].leaf,
            index=index,
            proof=self.tree.inclusion_proof(index),
            checkpoint_note=format_note(body, signatures),
        )

    def trust(self, quorum: int = 0) -> TrustPolicy:
        return TrustPolicy(
            origin=ORIGIN,
            log_key=self.signer.verifier_key,
            witness_keys=tuple(w.verifier_key for w in self.witnesses),
            quorum=quorum,
        )


@pytest.fixture
def log(make_entry: MakeEntry) -> _Log:
    return _Log(make_entry)


def test_receipt_has_the_tlog_proof_layout(log: _Log) -> None:
    text = log.receipt(3)
    lines = text.split("\n")
    assert lines[0] == RECEIPT_HEADER
    assert lines[1].startswith("extra ")
    assert lines[2] == "index 3"
    parsed = parse_receipt(text)
    assert parsed.leaf == log.entries[3].leaf
    assert list(parsed.proof) == log.tree.inclusion_proof(3)


def test_receipt_verifies_offline_with_its_entry_summary(log: _Log, actor: object) -> None:
    verified = verify_receipt(
        log.receipt(2),
        log.trust(),
        actor_key={actor.did: actor.key.public},  # type: ignore[attr-defined]
    )
    summary = verified.summary()
    assert summary["index"] == 2
    assert summary["tree_size"] == 6
    assert summary["entry"]["type"] == "record.uploaded"
    assert summary["entry_signature_checked"] is True


def test_any_single_byte_change_is_rejected(log: _Log) -> None:
    original = log.receipt(4, cosigners=2).encode("utf-8")
    trust = log.trust(quorum=2)
    verify_receipt(original, trust)
    for position in range(len(original)):
        for flip in (0x01, 0x20):
            mutated = bytearray(original)
            mutated[position] ^= flip
            with pytest.raises(InvalidReceipt):
                verify_receipt(bytes(mutated), trust)


def test_quorum_counts_distinct_trusted_witnesses(log: _Log) -> None:
    verify_receipt(log.receipt(0, cosigners=2), log.trust(quorum=2))
    with pytest.raises(InvalidReceipt, match="needs 2"):
        verify_receipt(log.receipt(0, cosigners=1), log.trust(quorum=2))
    assert verify_receipt(log.receipt(0, cosigners=1), log.trust(quorum=1)).cosigners == (
        "regulator-a.test/witness",
    )


def test_receipt_from_another_log_or_key_is_rejected(log: _Log, make_entry: MakeEntry) -> None:
    other = _Log(make_entry)
    with pytest.raises(InvalidReceipt):
        verify_receipt(other.receipt(0), log.trust())
    trust = TrustPolicy(origin="elsewhere.test/log", log_key=log.signer.verifier_key)
    with pytest.raises(InvalidReceipt, match="not 'elsewhere"):
        verify_receipt(log.receipt(0), trust)


def test_entry_signed_by_someone_else_is_rejected_when_keys_are_known(log: _Log) -> None:
    stranger = SigningKeyPair.generate()
    keys = {log.entries[1].statement.actor: stranger.public}
    with pytest.raises(InvalidReceipt, match="not validly signed"):
        verify_receipt(log.receipt(1), log.trust(), actor_key=keys)


def test_trust_files_are_checked() -> None:
    with pytest.raises(InvalidVerifierKey):
        TrustPolicy.from_json({"origin": "o", "vkey": "k", "witnesses": [], "quorum": 1})
    with pytest.raises(InvalidVerifierKey):
        TrustPolicy.from_json({"origin": "o"})
    with pytest.raises(InvalidVerifierKey):
        TrustPolicy.from_json([])
    policy = TrustPolicy(origin="o", log_key="k", witness_keys=("w",), quorum=1)
    assert TrustPolicy.from_json(policy.to_json()) == policy
