"""Auditing a log from its tiles: checkpoints, trees, entries and growth, and what fails."""

from __future__ import annotations

import pytest

from corridor.crypto.keys import SigningKeyPair
from corridor.ledger.auditor import (
    audit_checkpoint,
    read_entries,
    verify_extension,
    verify_tree,
)
from corridor.ledger.errors import InvalidNote, InvalidProof
from corridor.ledger.merkle import MemoryTree
from corridor.ledger.note import (
    Checkpoint,
    CosignatureV1Signer,
    Ed25519NoteSigner,
    format_note,
)
from corridor.ledger.receipt import TrustPolicy
from corridor.ledger.tiles import TileRef, encode_bundle, parse_tile_path

ORIGIN = "audit.test/log"


class TileStore:
    """A folder-like store of a tree's tiles and bundles, as a mirror would hold them."""

    def __init__(self, entries: list[bytes]) -> None:
        self.entries = entries
        self.tree = MemoryTree()
        for entry in entries:
            self.tree.append(entry)

    def fetch(self, path: str) -> bytes:
        ref = parse_tile_path(path)
        level, first, count = ref.node_range()
        if ref.is_entries:
            return encode_bundle(self.entries[first : first + count])
        keys = [(level, first + i) for i in range(count)]
        hashes = self.tree.node_hashes(keys)
        return b"".join(hashes[key] for key in keys)


@pytest.fixture
def log() -> Ed25519NoteSigner:
    return Ed25519NoteSigner(ORIGIN, SigningKeyPair.generate())


@pytest.fixture
def witness() -> CosignatureV1Signer:
    return CosignatureV1Signer("witness.test/w", SigningKeyPair.generate())


def _note(log: Ed25519NoteSigner, checkpoint: Checkpoint, *cosigners: CosignatureV1Signer) -> str:
    body = checkpoint.body()
    return format_note(
        body, [log.sign(body), *(w.cosign(body, timestamp=1_700_000_000) for w in cosigners)]
    )


def _trust(log, witness, quorum=1) -> TrustPolicy:
    return TrustPolicy(ORIGIN, log.verifier_key, (witness.verifier_key,), quorum)


def test_audits_a_cosigned_checkpoint_and_reads_every_entry(log, witness):
    store = TileStore([f"entry {i}".encode() for i in range(300)])
    checkpoint = Checkpoint(ORIGIN, 300, store.tree.root())
    audited = audit_checkpoint(_note(log, checkpoint, witness), _trust(log, witness))
    assert audited.has_quorum
    assert audited.cosigners == (witness.name,)
    verify_tree(store.fetch, audited.checkpoint)
    entries = list(read_entries(store.fetch, checkpoint, start=250))
    assert [index for index, _ in entries] == list(range(250, 300))
    assert entries[0][1] == b"entry 250"


def test_a_checkpoint_without_the_quorum_is_reported(log, witness):
    checkpoint = Checkpoint(ORIGIN, 0, MemoryTree().root())
    assert not audit_checkpoint(_note(log, checkpoint), _trust(log, witness)).has_quorum


def test_refuses_checkpoints_of_another_key_or_origin(log, witness):
    other = Ed25519NoteSigner(ORIGIN, SigningKeyPair.generate())
    checkpoint = Checkpoint(ORIGIN, 0, MemoryTree().root())
    with pytest.raises(InvalidNote):
        audit_checkpoint(_note(other, checkpoint), _trust(log, witness))
    renamed = Ed25519NoteSigner("elsewhere.test/log", log.key)
    trust = TrustPolicy("elsewhere.test/log", renamed.verifier_key, (witness.verifier_key,), 0)
    with pytest.raises(InvalidNote, match="not"):
        audit_checkpoint(_note(renamed, Checkpoint(ORIGIN, 0, checkpoint.root_hash)), trust)


def test_tiles_that_do_not_match_the_signed_root_are_caught(log):
    store = TileStore([f"entry {i}".encode() for i in range(40)])
    forged = Checkpoint(ORIGIN, 40, bytes(32))
    with pytest.raises(InvalidProof):
        verify_tree(store.fetch, forged)


def test_an_entry_that_does_not_hash_to_its_tile_is_caught():
    store = TileStore([f"entry {i}".encode() for i in range(10)])
    checkpoint = Checkpoint(ORIGIN, 10, store.tree.root())
    honest = store.fetch

    def tampered(path: str) -> bytes:
        if path == TileRef(None, 0, 10).path:
            return encode_bundle([b"forged", *store.entries[1:]])
        return honest(path)

    with pytest.raises(InvalidProof, match="entry 0"):
        list(read_entries(tampered, checkpoint))


def test_growth_is_proved_and_a_rewritten_history_is_caught():
    entries = [f"entry {i}".encode() for i in range(700)]
    store = TileStore(entries)
    old = Checkpoint(ORIGIN, 300, store.tree.root(300))
    new = Checkpoint(ORIGIN, 700, store.tree.root(700))
    verify_extension(store.fetch, old, new)
    rewritten = TileStore([b"rewritten", *entries[1:]])
    forked = Checkpoint(ORIGIN, 700, rewritten.tree.root(700))
    with pytest.raises(InvalidProof):
        verify_extension(rewritten.fetch, old, forked)
