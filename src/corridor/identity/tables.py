"""Rows the identity package keeps: sealed node keys and a regulator's issued credentials."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from corridor.storage.base import Base


class IdentityKeyRow(Base):
    """One sealed private key (or the key store's header) of the node's database key store."""

    __tablename__ = "identity_keys"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    sealed: Mapped[str] = mapped_column(Text)
    """JSON of :mod:`corridor.identity.sealing`; the private half is AES-GCM ciphertext."""
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class IssuedCredentialRow(Base):
    """A verifiable credential a regulator issued, with its place in the status list."""

    __tablename__ = "identity_credentials"
    __table_args__ = (UniqueConstraint("status_list", "status_index"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder_did: Mapped[str] = mapped_column(String(255), index=True)
    credential_type: Mapped[str] = mapped_column(String(64))
    status_list: Mapped[str] = mapped_column(String(32))
    status_index: Mapped[int] = mapped_column(Integer)
    jwt: Mapped[str] = mapped_column(Text)
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    valid_until: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    revocation_reason: Mapped[str] = mapped_column(String(500), default="")
