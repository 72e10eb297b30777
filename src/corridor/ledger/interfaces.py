"""Ports of the log: what parties need from it, whether it runs in-process or remotely."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from corridor.ledger.evidence import SignedEntry
from corridor.ledger.service import AppendResult


class EvidenceLog(Protocol):
    """Durably appends signed evidence leaves (``HttpLedgerClient`` or ``LocalLedger``)."""

    def append(self, leaves: Sequence[bytes]) -> AppendResult:
        """Append a batch; return only once it is durable."""
        ...


class LedgerReader(Protocol):
    """Reads what the log holds: checkpoints, entries, proofs and receipts."""

    def checkpoint(self) -> str:
        """The latest signed checkpoint."""
        ...

    def entries_for_transfer(self, transfer: str) -> list[tuple[int, SignedEntry]]:
        """Every entry about ``transfer``, in log order."""
        ...

    def inclusion_proof(self, index: int, tree_size: int) -> list[bytes]:
        """Audit path of ``index`` in the tree of ``tree_size`` entries."""
        ...

    def receipt(self, index: int) -> str:
        """A C2SP tlog-proof receipt for entry ``index``."""
        ...
