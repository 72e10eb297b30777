"""Rows of the ledger domain.

On the log's node (the datacenter): leaves, stored tree nodes, checkpoints, cosignatures,
pinned witnesses and the lock row. On a witness's node (a regulator): the last checkpoint
cosigned per log and the alerts its refusals raised. Every party's database has all of
them (one migration branch), each node uses its own side.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, DateTime, Integer, LargeBinary, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from corridor.storage.base import Base


class LeafRow(Base):
    """One appended entry: the exact leaf bytes and what is needed to find it again."""

    __tablename__ = "ledger_leaves"

    # On SQLite an INTEGER primary key is the rowid itself: one B-tree fewer per append.
    idx: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=False
    )
    leaf: Mapped[bytes] = mapped_column(LargeBinary)
    # RFC 9162 leaf hash, also the idempotency key: an entry appended twice keeps its index.
    leaf_hash: Mapped[bytes] = mapped_column(LargeBinary, unique=True)
    transfer: Mapped[str] = mapped_column(String(64), index=True)
    entry_type: Mapped[str] = mapped_column(String(64), index=True)
    actor: Mapped[str] = mapped_column(String(255))


class NodeRow(Base):
    """A complete subtree above the leaves: hash of leaves [idx << level, (idx + 1) << level)."""

    __tablename__ = "ledger_nodes"
    # Clustered on (level, idx) in SQLite: the primary key is the table (no rowid B-tree).
    __table_args__ = {"sqlite_with_rowid": False}  # noqa: RUF012  # SQLAlchemy's own form

    level: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[bytes] = mapped_column(LargeBinary)


class CheckpointRow(Base):
    """A signed checkpoint, one per appended batch; final once the witness quorum cosigned."""

    __tablename__ = "ledger_checkpoints"

    size: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    root_hash: Mapped[bytes] = mapped_column(LargeBinary)
    note: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    is_final: Mapped[bool] = mapped_column(Boolean, server_default=false(), index=True)
    # The note with the log's signature and the quorum's cosignature lines, once final.
    cosigned_note: Mapped[str | None] = mapped_column(Text, nullable=True)


class LogStateRow(Base):
    """The single row every append updates first: it serialises writers and holds the size."""

    __tablename__ = "ledger_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    size: Mapped[int] = mapped_column(BigInteger)


class CosignatureRow(Base):
    """A witness's cosignature line (C2SP tlog-cosignature) on the checkpoint of one size."""

    __tablename__ = "ledger_cosignatures"

    size: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    witness: Mapped[str] = mapped_column(String(255), primary_key=True)
    line: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PinnedWitnessRow(Base):
    """A witness the log asks for cosignatures: its URL and the key pinned at first contact."""

    __tablename__ = "ledger_witnesses"

    url: Mapped[str] = mapped_column(String(255), primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    vkey: Mapped[str] = mapped_column(Text)
    pinned_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class WitnessedLogRow(Base):
    """On a witness: a log it follows, its pinned key and the last checkpoint cosigned."""

    __tablename__ = "ledger_witnessed_logs"

    origin: Mapped[str] = mapped_column(String(255), primary_key=True)
    vkey: Mapped[str] = mapped_column(Text)
    size: Mapped[int] = mapped_column(BigInteger)
    root_hash: Mapped[bytes] = mapped_column(LargeBinary)
    # The last cosigned checkpoint with this witness's cosignature (empty before the first).
    note: Mapped[str] = mapped_column(Text)
    pinned_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class WitnessAlertRow(Base):
    """On a witness: a validly signed checkpoint it refused because the log misbehaved."""

    __tablename__ = "ledger_witness_alerts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    origin: Mapped[str] = mapped_column(String(255), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(Text)
    # The offending signed checkpoint, kept verbatim: it is the evidence of misbehaviour.
    note: Mapped[str] = mapped_column(Text)
    observed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
