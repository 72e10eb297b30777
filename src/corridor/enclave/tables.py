"""Rows of the key broker: challenges (nonces) and the record of every appraisal."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from corridor.storage import Base


class ChallengeRow(Base):
    """A nonce issued for one transfer; ``consumed_at`` is set exactly once."""

    __tablename__ = "enclave_challenges"

    nonce: Mapped[str] = mapped_column(String(64), primary_key=True)
    transfer: Mapped[str] = mapped_column(String(64), index=True)
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    consumed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class AppraisalRow(Base):
    """The outcome of one appraisal, affirmed or refused with its reason."""

    __tablename__ = "enclave_appraisals"

    appraisal_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    transfer: Mapped[str] = mapped_column(String(64), index=True)
    evidence_digest: Mapped[str] = mapped_column(String(80))
    outcome: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(40), nullable=True)
    evidence_format: Mapped[str] = mapped_column(String(16))
    measurement: Mapped[str | None] = mapped_column(String(128), nullable=True)
    module_id: Mapped[str | None] = mapped_column(Text, nullable=True)
    appraised_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ReferenceValuesRow(Base):
    """A signed reference-values statement a regulator issued, or one the data center holds."""

    __tablename__ = "enclave_reference_values"

    digest: Mapped[str] = mapped_column(String(71), primary_key=True)
    regulator: Mapped[str] = mapped_column(String(255), index=True)
    program: Mapped[str] = mapped_column(String(128))
    version: Mapped[str] = mapped_column(String(32))
    evidence_format: Mapped[str] = mapped_column(String(16))
    measurement: Mapped[str] = mapped_column(String(128), index=True)
    body_json: Mapped[str] = mapped_column(Text)
    jws: Mapped[str] = mapped_column(Text)
    approved_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class KbsSessionRow(Base):
    """One key broker protocol session (Trustee KBS): challenged, affirmed, released or refused."""

    __tablename__ = "enclave_kbs_sessions"

    session_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    transfer: Mapped[str] = mapped_column(String(64), index=True)
    tee: Mapped[str] = mapped_column(String(16))
    nonce: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16))
    appraisal_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    tee_public_key: Mapped[str | None] = mapped_column(String(64), nullable=True)
    appraised_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
