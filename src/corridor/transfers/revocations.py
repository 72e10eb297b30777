"""Is a consent revoked? The monitoring chain is the one place every party asks.

The portal writes ``consent.revoked`` the moment the patient withdraws; the key broker
asks before every release and hospital B before every view, so a withdrawal takes
effect everywhere without any party having to be told.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from corridor.ledger.evidence import SignedEntry


class TransferEntries(Protocol):
    """A log (local or remote) that lists the entries of one transfer."""

    def entries_for_transfer(self, transfer: str) -> Sequence[tuple[int, SignedEntry]]:
        """Every entry about ``transfer`` in log order."""
        ...


def revocation_index(log: TransferEntries, *, transfer: str, consent_digest: str) -> int | None:
    """The log index of the revocation of this consent, or None while it stands."""
    for index, entry in log.entries_for_transfer(transfer):
        statement = entry.statement
        if (
            statement.type == "consent.revoked"
            and statement.digests.get("consent") == consent_digest
        ):
            return index
    return None
