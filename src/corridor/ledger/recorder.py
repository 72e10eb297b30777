"""Write evidence for one party: build the statement, sign it with the party's key, append it.

Every party records its own steps through one ``EvidenceRecorder`` built by its
composition root; services receive it as a collaborator and never touch keys directly.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from corridor.clock import Clock, to_rfc3339
from corridor.crypto.keys import SigningKeyPair
from corridor.ledger.evidence import EvidenceStatement, SignedEntry, sign_statement


class AppendedRef(Protocol):
    """What the log says about one appended entry."""

    @property
    def index(self) -> int:
        """Position of the entry in the log."""
        ...


class AppendOutcome(Protocol):
    """What the log answers for a batch."""

    @property
    def entries(self) -> Sequence[AppendedRef]:
        """One reference per appended leaf, in order."""
        ...


class EvidenceSink(Protocol):
    """Anything that durably appends signed leaves (the log itself or a client of it)."""

    def append(self, leaves: Sequence[bytes]) -> AppendOutcome:
        """Append the leaves; return only once they are durable."""
        ...


@dataclass(frozen=True)
class RecordedEvidence:
    """A statement as signed and the index the log gave it."""

    entry: SignedEntry
    index: int


@dataclass(frozen=True)
class EvidenceRecorder:
    """Signs statements as ``did`` and appends them to ``sink``."""

    sink: EvidenceSink
    key: SigningKeyPair
    did: str
    kid: str
    jurisdiction: str
    clock: Clock

    def statement(
        self,
        entry_type: str,
        *,
        transfer: str,
        subject: str | None = None,
        digests: Mapping[str, str] | None = None,
        details: Mapping[str, str | int | bool | None] | None = None,
    ) -> SignedEntry:
        """Build and sign a statement without appending it (for batching)."""
        statement = EvidenceStatement(
            type=entry_type,
            transfer=transfer,
            actor=self.did,
            time=to_rfc3339(self.clock.now()),
            jurisdiction=self.jurisdiction,
            subject=subject,
            digests=dict(digests or {}),
            details=dict(details or {}),
        )
        return sign_statement(statement, self.key, kid=self.kid)

    def record(
        self,
        entry_type: str,
        *,
        transfer: str,
        subject: str | None = None,
        digests: Mapping[str, str] | None = None,
        details: Mapping[str, str | int | bool | None] | None = None,
    ) -> RecordedEvidence:
        """Sign and durably append one statement."""
        entry = self.statement(
            entry_type, transfer=transfer, subject=subject, digests=digests, details=details
        )
        return self.record_many([entry])[0]

    def record_many(self, entries: Sequence[SignedEntry]) -> list[RecordedEvidence]:
        """Append several signed statements in one batch (one checkpoint)."""
        outcome = self.sink.append([entry.leaf for entry in entries])
        return [
            RecordedEvidence(entry=entry, index=ref.index)
            for entry, ref in zip(entries, outcome.entries, strict=True)
        ]
