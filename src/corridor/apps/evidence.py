"""Collect and check a transfer's evidence the way an auditor would: offline, from receipts.

For every entry of the transfer the log holds, fetch a receipt (entry, inclusion proof,
checkpoint), write it to the evidence folder, and verify it with nothing but the trust
file: the log's verifier key and origin, and the witnesses' keys and quorum. Receipts are
fetched once the entries are final (cosigned by the witness quorum), so each one verifies
with the quorum the trust file names.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import httpx

from corridor.errors import Unavailable
from corridor.ledger import HttpLedgerClient, TrustPolicy, verify_receipt
from corridor.transport import raise_for_problem

_FINALITY_SECONDS = 60.0


@dataclass(frozen=True)
class EvidenceCheck:
    """One entry whose receipt verified offline."""

    index: int
    entry_type: str
    actor: str
    tree_size: int
    receipt: Path


def fetch_trust(client: httpx.Client, log_url: str) -> TrustPolicy:
    """The log's trust policy as it publishes it (pin it out of band in production)."""
    try:
        response = client.get(f"{log_url.rstrip('/')}/api/ledger/trust")
    except httpx.HTTPError as exc:
        raise Unavailable(f"log at {log_url} unreachable: {exc}") from exc
    raise_for_problem(response)
    return TrustPolicy.from_json(response.json())


def collect_evidence(
    *, client: httpx.Client, log_url: str, transfer: str, folder: Path
) -> list[EvidenceCheck]:
    """Write ``trust.json`` and one receipt per entry; verify each receipt offline."""
    log = HttpLedgerClient(client, log_url)
    folder.mkdir(parents=True, exist_ok=True)
    receipts = folder / "receipts"
    receipts.mkdir(exist_ok=True)
    entries = log.entries_for_transfer(transfer)
    # A receipt exists once both regulators' witnesses cosigned a checkpoint covering the
    # entry (docs/ledger.md); receipt() waits for that finality.
    paths = []
    for index, entry in entries:
        path = receipts / f"{index:06d}-{entry.statement.type}.txt"
        path.write_text(log.receipt(index, wait_seconds=_FINALITY_SECONDS), encoding="utf-8")
        paths.append(path)
    trust = fetch_trust(client, log_url)
    (folder / "trust.json").write_text(json.dumps(trust.to_json(), indent=2) + "\n")
    checks: list[EvidenceCheck] = []
    for (index, entry), path in zip(entries, paths, strict=True):
        verified = verify_receipt(path.read_text(encoding="utf-8"), trust)
        checks.append(
            EvidenceCheck(
                index=index,
                entry_type=entry.statement.type,
                actor=entry.statement.actor,
                tree_size=verified.checkpoint.size,
                receipt=path,
            )
        )
    return checks
