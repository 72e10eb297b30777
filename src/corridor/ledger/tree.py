"""The log's Merkle tree in the database: leaves and every complete interior node.

Each batch stores its leaves and the nodes they complete (see
:func:`corridor.ledger.merkle.nodes_completed_by`), so any root, proof or tlog-tiles tile
is a handful of indexed reads. This is the storage half of the log: no signatures, no
evidence rules; :mod:`corridor.ledger.service` adds those around it.
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Mapping, Sequence
from typing import NamedTuple, cast

from sqlalchemy import (
    CompoundSelect,
    Connection,
    Integer,
    Select,
    Table,
    and_,
    bindparam,
    false,
    literal_column,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import Session

from corridor.ledger.merkle import NodeKey, frontier, nodes_completed_by, root_hash
from corridor.ledger.tables import LeafRow, NodeRow
from corridor.storage.errors import StorageError

# The mapped classes' tables, for Core inserts (see append_to_tree).
_LEAVES = cast("Table", LeafRow.__table__)
_NODES = cast("Table", NodeRow.__table__)


_MAX_CACHED_SHAPES = 130  # a proof needs at most 64 nodes; a root or frontier fewer


@functools.lru_cache(maxsize=_MAX_CACHED_SHAPES)
def _nodes_query(pairs: int) -> CompoundSelect[int, int, bytes]:
    """Every node a root or proof needs, in one statement compiled once per pair count.

    Leaves come from their table by an expanding IN; interior nodes by an OR of
    ``(level = ? AND idx = ?)``, which SQLite ("MULTI-INDEX OR") and PostgreSQL (bitmap
    OR) answer with one primary-key probe per pair, so a proof costs O(log n) probes.
    """
    leaves: Select[int, int, bytes] = select(
        literal_column("0", Integer).label("level"), LeafRow.idx, LeafRow.leaf_hash.label("hash")
    ).where(LeafRow.idx.in_(bindparam("leaves", expanding=True)))
    inner = select(NodeRow.level, NodeRow.idx, NodeRow.hash).where(
        or_(
            false(),
            *(
                and_(NodeRow.level == bindparam(f"l{k}"), NodeRow.idx == bindparam(f"i{k}"))
                for k in range(pairs)
            ),
        )
    )
    return union_all(leaves, inner)


class SqlNodeReader:
    """Reads stored nodes: level 0 from the leaves, the rest from the nodes table.

    Takes a Core connection (reads) or the session of the append transaction; either way
    the lookups bypass the ORM, whose per-statement work would dominate a proof.
    """

    def __init__(
        self, source: Session | Connection, overlay: Mapping[NodeKey, bytes] | None = None
    ) -> None:
        self._connection = source.connection() if isinstance(source, Session) else source
        self._overlay = overlay or {}

    def node_hashes(self, keys: Collection[NodeKey]) -> Mapping[NodeKey, bytes]:
        """Fetch the requested nodes in one query."""
        found = {key: self._overlay[key] for key in keys if key in self._overlay}
        wanted = set(keys) - set(found)
        if wanted:
            inner = sorted(key for key in wanted if key[0] > 0)
            params: dict[str, object] = {"leaves": [index for level, index in wanted if level == 0]}
            for k, (level, idx) in enumerate(inner):
                params[f"l{k}"] = level
                params[f"i{k}"] = idx
            rows = self._connection.execute(_nodes_query(len(inner)), params)
            found.update({(level, idx): value for level, idx, value in rows})
        if len(found) != len(set(keys)):
            missing = sorted(set(keys) - set(found))[:4]
            raise StorageError(f"the log's stored tree lacks nodes {missing}")
        return found


class LeafInput(NamedTuple):
    """One row of ``ledger_leaves``, in column order (it is handed to the driver as is)."""

    idx: int
    leaf: bytes
    leaf_hash: bytes
    transfer: str
    entry_type: str
    actor: str


def _insert_sql(connection: Connection, table: Table) -> str:
    """``INSERT INTO t (a, b) VALUES (?, ?)`` in the driver's own parameter style."""
    style = connection.dialect.paramstyle
    marker = {"qmark": "?", "format": "%s", "pyformat": "%s", "numeric": ":{}"}.get(style)
    if marker is None:
        raise StorageError(f"unsupported DB-API parameter style {style!r}")
    columns = [column.name for column in table.columns]
    markers = ", ".join(marker.format(i + 1) for i in range(len(columns)))
    return f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({markers})"  # noqa: S608


def append_to_tree(session: Session, *, size: int, leaves: Sequence[LeafInput]) -> bytes:
    """Insert leaf rows and the interior nodes they complete; return the new root.

    ``size`` is the tree size before the batch, read under the caller's write lock, and
    ``leaves`` must be numbered from it. The rows go to the driver's ``executemany`` as
    plain tuples: SQLAlchemy's per-row parameter processing would cost more than the
    insert itself at tens of thousands of rows per second (docs/performance.md).
    """
    connection = session.connection()
    hashes = [leaf.leaf_hash for leaf in leaves]
    completed = nodes_completed_by(
        size, hashes, SqlNodeReader(connection).node_hashes(frontier(size))
    )
    root = root_hash(SqlNodeReader(connection, overlay=completed), size + len(leaves))
    connection.exec_driver_sql(_insert_sql(connection, _LEAVES), list(leaves))
    inner = [(level, idx, value) for (level, idx), value in completed.items() if level > 0]
    if inner:
        connection.exec_driver_sql(_insert_sql(connection, _NODES), inner)
    return root
