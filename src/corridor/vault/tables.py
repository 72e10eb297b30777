"""Rows of the vault: which object belongs to which transfer, as what."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, String
from sqlalchemy.orm import Mapped, mapped_column

from corridor.storage import Base


class VaultObjectRow(Base):
    """Metadata of one stored object for one transfer (the bytes live in the store)."""

    __tablename__ = "vault_objects"

    object_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    transfer: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
