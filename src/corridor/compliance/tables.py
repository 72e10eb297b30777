"""Rows the regulator keeps: one filing per transfer, with its signed decision."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from corridor.storage.base import Base


class FilingRow(Base):
    """A transfer's filing (备案) at this regulator and the decision taken on it."""

    __tablename__ = "compliance_filings"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    transfer: Mapped[str] = mapped_column(String(64), unique=True)
    exporter: Mapped[str] = mapped_column(String(255))
    importer: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(8))
    state: Mapped[str] = mapped_column(String(16))
    facts_json: Mapped[str] = mapped_column(Text)
    privacy_record_digest: Mapped[str] = mapped_column(String(80))
    contract_ref: Mapped[str] = mapped_column(String(255))
    decision_json: Mapped[str] = mapped_column(Text)
    evidence_leaves: Mapped[str] = mapped_column(Text)
    evidence_first_index: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
