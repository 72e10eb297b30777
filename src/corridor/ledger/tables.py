"""Rows of the log the datacenter hosts: leaves, stored tree nodes, checkpoints, a lock row."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from corridor.storage.base import Base


class LeafRow(Base):
    """One appended entry: the exact leaf bytes and what is needed to find it again."""

    __tablename__ = "ledger_leaves"

    idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    leaf: Mapped[bytes] = mapped_column(LargeBinary)
    leaf_hash: Mapped[bytes] = mapped_column(LargeBinary)
    # SHA-256 of the leaf: the idempotency key (an entry appended twice keeps its index).
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    transfer: Mapped[str] = mapped_column(String(64), index=True)
    entry_type: Mapped[str] = mapped_column(String(64), index=True)
    actor: Mapped[str] = mapped_column(String(255))


class NodeRow(Base):
    """A complete subtree above the leaves: hash of leaves [idx << level, (idx + 1) << level)."""

    __tablename__ = "ledger_nodes"

    level: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[bytes] = mapped_column(LargeBinary)


class CheckpointRow(Base):
    """A signed checkpoint, one per appended batch."""

    __tablename__ = "ledger_checkpoints"

    size: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    root_hash: Mapped[bytes] = mapped_column(LargeBinary)
    note: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class LogStateRow(Base):
    """The single row every append updates first: it serialises writers and holds the size."""

    __tablename__ = "ledger_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    size: Mapped[int] = mapped_column(BigInteger)
