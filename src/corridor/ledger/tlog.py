"""Serve the log as C2SP tlog-tiles resources, read straight from the stored tree.

Hash tiles are ranges of stored nodes (level 0 from the leaves), entry bundles ranges of
leaf bytes: one indexed range query each, never a recomputation. A resource is served only
when the stored tree contains all of it; its bytes can then never change, so mirrors and
caches may keep it forever (tlog-tiles §Merkle Tree: "This endpoint is immutable").
"""

from __future__ import annotations

from sqlalchemy import select

from corridor.ledger.errors import EntryNotFound
from corridor.ledger.merkle import HASH_SIZE
from corridor.ledger.service import LedgerContext, tree_size
from corridor.ledger.tables import LeafRow, NodeRow
from corridor.ledger.tiles import TileRef, encode_bundle
from corridor.storage.unit_of_work import UnitOfWork


def read_tile(*, context: LedgerContext, ref: TileRef) -> bytes:
    """The bytes of a hash tile or entry bundle; :class:`EntryNotFound` if not all stored."""
    size = tree_size(context=context)
    if ref.leaves_needed() > size:
        raise EntryNotFound(f"{ref.path} is beyond the log's {size} entries")
    level, first, count = ref.node_range()
    last = first + count - 1
    with UnitOfWork(context.database.sessions) as uow:
        session = uow.session
        if ref.is_entries:
            leaves = session.execute(
                select(LeafRow.leaf).where(LeafRow.idx.between(first, last)).order_by(LeafRow.idx)
            ).scalars()
            return encode_bundle(leaves)
        if level == 0:
            hashes = session.execute(
                select(LeafRow.leaf_hash)
                .where(LeafRow.idx.between(first, last))
                .order_by(LeafRow.idx)
            ).scalars()
        else:
            hashes = session.execute(
                select(NodeRow.hash)
                .where(NodeRow.level == level, NodeRow.idx.between(first, last))
                .order_by(NodeRow.idx)
            ).scalars()
        data = b"".join(hashes)
    if len(data) != count * HASH_SIZE:
        raise EntryNotFound(f"{ref.path} is not fully stored")
    return data
