"""Evidence entries flattened for pages (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from corridor.ledger.evidence import SignedEntry


@dataclass(frozen=True)
class EntryView:
    """One entry as a page lists it."""

    index: int
    type: str
    transfer: str
    actor: str
    time: str
    jurisdiction: str
    digests: dict[str, str]
    details: dict[str, Any]
    kid: str


def entry_views(entries: Sequence[tuple[int, SignedEntry]]) -> list[EntryView]:
    """Entries in log order, flattened for templates."""
    views = []
    for index, entry in entries:
        statement = entry.statement
        views.append(
            EntryView(
                index=index,
                type=statement.type,
                transfer=statement.transfer,
                actor=statement.actor,
                time=statement.time,
                jurisdiction=statement.jurisdiction,
                digests=dict(statement.digests),
                details=dict(statement.details),
                kid=entry.kid,
            )
        )
    return views
