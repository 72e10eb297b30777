"""Rows a node keeps about consents: each signed consent and each signed revocation."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from corridor.storage.base import Base


class ConsentRow(Base):
    """A verified, signed consent exactly as the patient signed it."""

    __tablename__ = "consent_records"

    consent_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    digest: Mapped[str] = mapped_column(String(80), unique=True)
    patient_did: Mapped[str] = mapped_column(String(255), index=True)
    custodian_did: Mapped[str] = mapped_column(String(255))
    recipient_did: Mapped[str] = mapped_column(String(255))
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    signed_json: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class RevocationRow(Base):
    """The patient's signed revocation of one consent (at most one per consent)."""

    __tablename__ = "consent_revocations"

    consent_digest: Mapped[str] = mapped_column(
        String(80), ForeignKey("consent_records.digest"), primary_key=True
    )
    digest: Mapped[str] = mapped_column(String(80), unique=True)
    revoked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    signed_json: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
