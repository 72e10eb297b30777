"""Rows of the privacy domain: jobs (data center), budgets and spends, participations (hospital)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Float, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from corridor.storage import Base


class PrivacyJobRow(Base):
    """A job the data center coordinates: its spec, state, acceptances and result."""

    __tablename__ = "privacy_jobs"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    spec_json: Mapped[str] = mapped_column(Text)
    spec_digest: Mapped[str] = mapped_column(String(80))
    dataset: Mapped[str] = mapped_column(String(128), index=True)
    consumer: Mapped[str] = mapped_column(String(128), index=True)
    state: Mapped[str] = mapped_column(String(16))
    acceptances_json: Mapped[str] = mapped_column(Text, default="{}")
    result_json: Mapped[str] = mapped_column(Text, default="{}")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PrivacyBudgetRow(Base):
    """The differential-privacy budget of one dataset for one consumer."""

    __tablename__ = "privacy_budgets"

    dataset: Mapped[str] = mapped_column(String(128), primary_key=True)
    consumer: Mapped[str] = mapped_column(String(128), primary_key=True)
    epsilon_limit: Mapped[float] = mapped_column(Float)
    delta_limit: Mapped[float] = mapped_column(Float)
    epsilon_spent: Mapped[float] = mapped_column(Float, default=0.0)
    delta_spent: Mapped[float] = mapped_column(Float, default=0.0)


class PrivacySpendRow(Base):
    """One charge against a budget (one job's release)."""

    __tablename__ = "privacy_spends"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    dataset: Mapped[str] = mapped_column(String(128), index=True)
    consumer: Mapped[str] = mapped_column(String(128))
    job: Mapped[str] = mapped_column(String(64), unique=True)
    epsilon: Mapped[float] = mapped_column(Float)
    delta: Mapped[float] = mapped_column(Float)
    spent_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PrivacyParticipationRow(Base):
    """A job this hospital accepted, with the spec it signed."""

    __tablename__ = "privacy_participations"

    job: Mapped[str] = mapped_column(String(64), primary_key=True)
    spec_json: Mapped[str] = mapped_column(Text)
    spec_digest: Mapped[str] = mapped_column(String(80))
    coordinator: Mapped[str] = mapped_column(String(255))
    accepted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
