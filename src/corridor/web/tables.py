"""Rows of the web pages: staff invitations, sign-in sessions, patient sign-in challenges.

Tokens are never stored: each row is keyed by the SHA-256 of its token, so a copy of the
database cannot be replayed as a cookie or a sign-in link (OWASP Session Management
Cheat Sheet, "Session ID Content").
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from corridor.storage.base import Base


class WebSessionRow(Base):
    """A signed-in browser: who (role and subject) and its CSRF token."""

    __tablename__ = "web_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    role: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str] = mapped_column(String(255))
    """The staff member's name, or the patient's did:key."""
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class WebInvitationRow(Base):
    """A sign-in link an operator (or a patient's wallet) asked the node for."""

    __tablename__ = "web_invitations"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    role: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str] = mapped_column(String(255))
    uses_left: Mapped[int] = mapped_column(Integer)
    created_by: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class WebChallengeRow(Base):
    """A one-time nonce a patient's device key signs to sign in."""

    __tablename__ = "web_challenges"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
