"""Rows the regulator keeps: filings, standing filings, counters, alerts, the chain it tails."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from corridor.storage.base import Base


class FilingRow(Base):
    """A transfer's filing (备案: the per-transfer privacy record) and the decision on it."""

    __tablename__ = "compliance_filings"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    transfer: Mapped[str] = mapped_column(String(64), unique=True)
    exporter: Mapped[str] = mapped_column(String(255))
    importer: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(8))
    # submitted (awaiting review), accepted, rejected or expired.
    state: Mapped[str] = mapped_column(String(16))
    # The facts as decided on (the exporter's, completed from this registry).
    facts_json: Mapped[str] = mapped_column(Text)
    submitted_facts_json: Mapped[str] = mapped_column(Text, default="{}")
    privacy_record_digest: Mapped[str] = mapped_column(String(80))
    contract_ref: Mapped[str] = mapped_column(String(255))
    mechanism_filing_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    consent_digest: Mapped[str] = mapped_column(String(80), default="")
    consent_expires_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True
    )
    decision_json: Mapped[str] = mapped_column(Text)
    evidence_leaves: Mapped[str] = mapped_column(Text)
    evidence_first_index: Mapped[int | None] = mapped_column(Integer, nullable=True)
    state_reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class MechanismFilingRow(Base):
    """A standing filing: a standard contract (national or GBA), an assessment, a certificate."""

    __tablename__ = "compliance_mechanism_filings"
    __table_args__ = (
        UniqueConstraint(
            "exporter",
            "kind",
            "reference",
            name="uq_compliance_mechanism_filings_exporter_kind_reference",
        ),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    exporter: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(32))
    reference: Mapped[str] = mapped_column(String(255))
    effective_on: Mapped[date] = mapped_column(Date)
    expires_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    state: Mapped[str] = mapped_column(String(16))
    state_reason: Mapped[str] = mapped_column(Text, default="")
    profile_json: Mapped[str] = mapped_column(Text)
    pipia_digest: Mapped[str] = mapped_column(String(80), default="")
    submitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CounterEntryRow(Base):
    """One individual counted for one exporting handler's year (CBDF arts. 5(4), 7, 8)."""

    __tablename__ = "compliance_counter_entries"
    __table_args__ = (Index("ix_compliance_counter_entries_handler_year", "handler", "year"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    handler: Mapped[str] = mapped_column(String(255))
    year: Mapped[int] = mapped_column(Integer)
    person: Mapped[str] = mapped_column(String(100))
    sensitive: Mapped[bool] = mapped_column(Boolean)
    transfer: Mapped[str] = mapped_column(String(64), unique=True)
    counted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AlertRow(Base):
    """Something a regulator's monitor (or witness) saw that needs a person to look at it."""

    __tablename__ = "compliance_alerts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(48), index=True)
    severity: Mapped[str] = mapped_column(String(16))
    summary: Mapped[str] = mapped_column(Text)
    transfer: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    entry_index: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    origin: Mapped[str | None] = mapped_column(String(255), nullable=True)
    details_json: Mapped[str] = mapped_column(Text)
    dedupe_key: Mapped[str] = mapped_column(String(255), unique=True)
    raised_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    acknowledged_by: Mapped[str] = mapped_column(String(255), default="")


class MonitorStateRow(Base):
    """How far this regulator has verified the log: size, root and the compact range."""

    __tablename__ = "compliance_monitor_state"

    origin: Mapped[str] = mapped_column(String(255), primary_key=True)
    vkey: Mapped[str] = mapped_column(Text)
    size: Mapped[int] = mapped_column(BigInteger)
    root_hash: Mapped[bytes] = mapped_column(LargeBinary)
    frontier_json: Mapped[str] = mapped_column(Text)
    checkpoint_note: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ChainEntryRow(Base):
    """An entry of the log this regulator verified, kept for the monitor's rules."""

    __tablename__ = "compliance_chain_entries"

    position: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    origin: Mapped[str] = mapped_column(String(255))
    entry_type: Mapped[str] = mapped_column(String(48), index=True)
    transfer: Mapped[str] = mapped_column(String(64), index=True)
    actor: Mapped[str] = mapped_column(String(255))
    jurisdiction: Mapped[str] = mapped_column(String(8))
    time: Mapped[str] = mapped_column(String(32))
    digests_json: Mapped[str] = mapped_column(Text)
    details_json: Mapped[str] = mapped_column(Text)
