"""One row per transfer at each party, holding that party's view of it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from corridor.storage.base import Base


class TransferRow(Base):
    """A party's record of one transfer.

    ``payload_json`` holds what only this role needs (decisions, object ids, manifest);
    ``document`` holds the delivered bundle at hospital B and nothing anywhere else.
    """

    __tablename__ = "transfers"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    role: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16), index=True)
    consent_json: Mapped[str] = mapped_column(Text)
    consent_digest: Mapped[str] = mapped_column(String(80), index=True)
    subject: Mapped[str] = mapped_column(String(80))
    sender_did: Mapped[str] = mapped_column(String(255))
    recipient_did: Mapped[str] = mapped_column(String(255))
    patient_ref: Mapped[str] = mapped_column(String(128), default="")
    salt_b64: Mapped[str] = mapped_column(String(64), default="")
    payload_json: Mapped[str] = mapped_column(Text, default="{}")
    evidence_json: Mapped[str] = mapped_column(Text, default="[]")
    document: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
