"""Audit a log from its C2SP tlog-tiles resources alone, as a mirror or monitor would.

Pure: resources come through a ``fetch(path) -> bytes`` callable (HTTP, a mirror, a
folder), and nothing fetched is trusted until it is tied to a checkpoint that the trust
policy accepts: the log's key signed it, its origin is the trusted one and (for a final
checkpoint) the witness quorum cosigned it. The tiles must then reproduce its root, and
each entry must hash to the level-0 tile hash at its index. Between two checkpoints the
auditor proves consistency from tiles, so a log that rewrote history is caught.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from corridor.ledger.errors import InvalidNote, InvalidProof
from corridor.ledger.merkle import consistency_proof, leaf_hash, root_hash, verify_consistency
from corridor.ledger.note import (
    Checkpoint,
    CosignatureV1Verifier,
    open_note,
    parse_checkpoint,
    parse_verifier_key,
)
from corridor.ledger.receipt import TrustPolicy
from corridor.ledger.tiles import (
    TILE_WIDTH,
    TileNodeReader,
    TileRef,
    decode_bundle,
    split_hashes,
    tile_for,
)

Fetch = Callable[[str], bytes]


@dataclass(frozen=True)
class AuditedCheckpoint:
    """A checkpoint the log signed, with the trusted witnesses that cosigned it."""

    checkpoint: Checkpoint
    cosigners: tuple[str, ...]
    quorum: int

    @property
    def has_quorum(self) -> bool:
        """Whether enough trusted witnesses cosigned it for it to be final."""
        return len(self.cosigners) >= self.quorum


def audit_checkpoint(note: str | bytes, trust: TrustPolicy) -> AuditedCheckpoint:
    """Verify the log's signature and origin; count the trusted witnesses' cosignatures."""
    log = parse_verifier_key(trust.log_key)
    if isinstance(log, CosignatureV1Verifier):
        # A cosignature vouches for a checkpoint; it cannot stand for the log's signature.
        raise InvalidNote("the trusted log key is a witness cosignature key")
    witnesses = [parse_verifier_key(key) for key in trust.witness_keys]
    opened = open_note(note, [log, *witnesses])
    signed = {(s.name, s.key_id) for s in opened.verified}
    if (log.name, log.key_id) not in signed:
        raise InvalidNote("checkpoint is not signed by the trusted log key")
    checkpoint = parse_checkpoint(opened.text)
    if checkpoint.origin != trust.origin:
        raise InvalidNote(f"checkpoint is from log {checkpoint.origin!r}, not {trust.origin!r}")
    cosigners = tuple(sorted({w.name for w in witnesses if (w.name, w.key_id) in signed}))
    return AuditedCheckpoint(checkpoint, cosigners, trust.quorum)


def verify_tree(fetch: Fetch, checkpoint: Checkpoint) -> None:
    """Raise :class:`InvalidProof` unless the hash tiles reproduce the checkpoint's root."""
    if root_hash(TileNodeReader(fetch, checkpoint.size), checkpoint.size) != checkpoint.root_hash:
        raise InvalidProof(f"the tiles do not lead to the root of size {checkpoint.size}")


def verify_extension(fetch: Fetch, old: Checkpoint, new: Checkpoint) -> None:
    """Raise :class:`InvalidProof` unless ``new`` extends ``old`` (proof built from tiles)."""
    proof = consistency_proof(TileNodeReader(fetch, new.size), old.size, new.size)
    verify_consistency(
        old_size=old.size,
        new_size=new.size,
        old_root=old.root_hash,
        new_root=new.root_hash,
        proof=proof,
    )


def read_entries(
    fetch: Fetch, checkpoint: Checkpoint, start: int = 0
) -> Iterator[tuple[int, bytes]]:
    """Entries ``start`` to the checkpoint's size, each checked against its level-0 tile.

    Call :func:`verify_tree` first: it ties the level-0 tiles to the signed root.
    """
    size = checkpoint.size
    for bundle_index in range(start // TILE_WIDTH, (size + TILE_WIDTH - 1) // TILE_WIDTH):
        tile = tile_for(0, bundle_index, size)
        try:
            hashes = split_hashes(fetch(tile.path), tile.width)
            entries = decode_bundle(fetch(TileRef(None, bundle_index, tile.width).path))
        except ValueError as exc:
            raise InvalidProof(f"tile or bundle {bundle_index} is malformed: {exc}") from exc
        if len(entries) != tile.width:
            raise InvalidProof(f"entry bundle {bundle_index} holds {len(entries)} entries")
        for offset, (entry, expected) in enumerate(zip(entries, hashes, strict=True)):
            index = bundle_index * TILE_WIDTH + offset
            if index < start:
                continue
            if leaf_hash(entry) != expected:
                raise InvalidProof(f"entry {index} does not hash to its tile")
            yield index, entry
