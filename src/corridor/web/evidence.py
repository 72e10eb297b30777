"""The evidence a page shows and lets the browser verify: entries, receipts, trust, keys.

A page never asks the browser to trust the server's word: it lists the entries of a
transfer and hands the browser, on request, each entry's receipt (C2SP tlog-proof) with
the trust policy (log key, witness keys, quorum) and the actors' public keys, so that
``static/verify.js`` checks the inclusion proof (RFC 9162 §2.1.3.2), the checkpoint's
signatures (C2SP signed-note, tlog-cosignature) and the entry's signature in the page.
"""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Sequence
from typing import Any, Protocol

from cryptography.hazmat.primitives import serialization

from corridor.errors import CorridorError
from corridor.identity import DidResolver
from corridor.ledger import (
    HttpLedgerClient,
    LedgerContext,
    SignedEntry,
    TrustPolicy,
    build_receipt,
    entries_for_transfer,
    latest_checkpoint,
    parse_receipt,
    parse_signed_entry,
    require_entry,
    trust_policy,
    verify_receipt,
)
from corridor.web.entries import EntryView
from corridor.web.errors import PageNotFound

_TRUST_CACHE_SECONDS = 60.0


class EvidenceSource(Protocol):
    """Where a party reads the monitoring chain (remote client or the hosted log)."""

    def entries_for_transfer(self, transfer: str) -> Sequence[tuple[int, SignedEntry]]:
        """Every entry about ``transfer`` in log order."""
        ...

    def receipt(self, index: int) -> str:
        """A receipt for entry ``index`` against a final (cosigned) checkpoint."""
        ...

    def trust(self) -> TrustPolicy:
        """The log's trust policy."""
        ...

    def final_checkpoint(self) -> str:
        """The latest checkpoint with the witnesses' quorum of cosignatures."""
        ...

    def entry(self, index: int) -> SignedEntry:
        """The entry at ``index``."""
        ...


class RemoteLog:
    """The log as seen through the data center's API (every party but the data center)."""

    def __init__(self, client: HttpLedgerClient, *, wait_seconds: float = 10.0) -> None:
        self._client = client
        self._wait_seconds = wait_seconds
        self._trust: tuple[float, TrustPolicy] | None = None
        self._lock = threading.Lock()

    def entries_for_transfer(self, transfer: str) -> Sequence[tuple[int, SignedEntry]]:
        """Every entry about ``transfer`` in log order."""
        return self._client.entries_for_transfer(transfer)

    def receipt(self, index: int) -> str:
        """A receipt, waiting a little for the witnesses' cosignatures."""
        return self._client.receipt(index, wait_seconds=self._wait_seconds)

    def trust(self) -> TrustPolicy:
        """The trust policy the log publishes, cached for a minute."""
        with self._lock:
            now = time.monotonic()
            if self._trust is None or now - self._trust[0] > _TRUST_CACHE_SECONDS:
                self._trust = (now, self._client.trust())
            return self._trust[1]

    def final_checkpoint(self) -> str:
        """The latest cosigned checkpoint (tlog-tiles ``checkpoint``)."""
        return self._client.tlog_checkpoint()

    def entry(self, index: int) -> SignedEntry:
        """The entry at ``index``."""
        return parse_signed_entry(self._client.entry(index))


class HostedLog:
    """The log read in-process by the node that hosts it (the data center)."""

    def __init__(self, context: LedgerContext, *, wait_seconds: float = 10.0) -> None:
        self._context = context
        self._wait_seconds = wait_seconds

    def entries_for_transfer(self, transfer: str) -> Sequence[tuple[int, SignedEntry]]:
        """Every entry about ``transfer`` in log order."""
        return entries_for_transfer(context=self._context, transfer=transfer)

    def receipt(self, index: int) -> str:
        """A receipt, waiting a little for the witnesses' cosignatures."""
        deadline = time.monotonic() + self._wait_seconds
        while True:
            try:
                return build_receipt(context=self._context, index=index)
            except CorridorError as exc:
                if exc.code != "not-yet-final" or time.monotonic() > deadline:
                    raise
            time.sleep(0.2)

    def trust(self) -> TrustPolicy:
        """The trust policy of the hosted log."""
        return trust_policy(context=self._context)

    def final_checkpoint(self) -> str:
        """The latest cosigned checkpoint."""
        return latest_checkpoint(context=self._context)

    def entry(self, index: int) -> SignedEntry:
        """The entry at ``index``."""
        return parse_signed_entry(require_entry(context=self._context, index=index))


def actor_keys(resolver: DidResolver, entries: Sequence[EntryView]) -> dict[str, str]:
    """The Ed25519 key (base64) of each entry's signing key, resolved by this node.

    The browser verifies each entry's signature with these; the page says they were
    resolved by this node from the actors' DID documents (did:web §3.2).
    """
    keys: dict[str, str] = {}
    for entry in entries:
        if entry.kid in keys:
            continue
        try:
            public = resolver.resolve_key(entry.kid)
        except CorridorError:
            continue
        raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        keys[entry.kid] = base64.b64encode(raw).decode("ascii")
    return keys


def trust_json(source: EvidenceSource) -> dict[str, Any] | None:
    """The trust policy for the page, or None while the log cannot give one."""
    try:
        return source.trust().to_json()
    except CorridorError:
        return None


def receipt_for(source: EvidenceSource, *, transfer: str, index: int) -> str:
    """The receipt of entry ``index``, if that entry is about ``transfer``.

    Pages fetch receipts only for entries they list, so a page is never a general proxy
    to the log.
    """
    if index not in {position for position, _ in source.entries_for_transfer(transfer)}:
        raise PageNotFound(f"entry {index} is not about transfer {transfer}")
    return source.receipt(index)


def receipt_badge(source: EvidenceSource, resolver: DidResolver, index: int) -> str:
    """Check entry ``index``'s receipt on the server: ``verified``, ``pending`` or ``failed``.

    ``pending`` while no checkpoint covering the entry has the witnesses' quorum yet.
    """
    try:
        text = source.receipt(index)
    except CorridorError as exc:
        return "pending" if exc.code == "not-yet-final" else "failed"
    try:
        entry = parse_signed_entry(parse_receipt(text).leaf)
        # The entry names its signing key (kid): resolve that one, even if since rotated.
        key = resolver.resolve_key(entry.kid)
        verify_receipt(text, source.trust(), actor_key={entry.statement.actor: key})
    except CorridorError:
        return "failed"
    return "verified"
