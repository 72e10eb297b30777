"""Injectable time: domains take a ``Clock`` instead of reading the wall clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Source of the current time, always timezone-aware UTC."""

    def now(self) -> datetime:
        """Return the current instant."""
        ...


class SystemClock:
    """The machine's clock."""

    def now(self) -> datetime:
        """Return the current instant from the operating system."""
        return datetime.now(UTC)


class FixedClock:
    """A clock that only moves when told to; for tests and replays."""

    def __init__(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FixedClock needs a timezone-aware datetime")
        self._at = at

    def now(self) -> datetime:
        """Return the instant the clock is set to."""
        return self._at

    def advance(self, delta: timedelta) -> None:
        """Move the clock forward by ``delta``."""
        self._at += delta


def to_rfc3339(at: datetime) -> str:
    """Format an aware datetime as RFC 3339 UTC with a ``Z`` suffix and whole seconds."""
    return at.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def from_rfc3339(text: str) -> datetime:
    """Parse an RFC 3339 timestamp; a missing offset is an error, not local time."""
    at = datetime.fromisoformat(text)
    if at.tzinfo is None:
        raise ValueError(f"timestamp {text!r} has no UTC offset")
    return at.astimezone(UTC)
