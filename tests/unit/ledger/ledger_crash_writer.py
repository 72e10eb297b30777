"""A log process for the kill -9 test: appends batches and acknowledges each on stdout.

Run as ``python ledger_crash_writer.py DATABASE_URL SEED_HEX FIRST BATCH``. Before each
batch it prints ``{"begin": n}``; after the service has returned (the moment the HTTP
route would answer 201) it prints the acknowledged indexes and digests. It never stops by
itself: the test kills it with SIGKILL.
"""

from __future__ import annotations

import hashlib
import json
import sys
from datetime import UTC, datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from corridor.clock import FixedClock
from corridor.crypto.keys import SigningKeyPair
from corridor.identity import DidKeys, StaticDidResolver
from corridor.ledger.evidence import EvidenceStatement, sign_statement
from corridor.ledger.service import LedgerContext, append_entries
from corridor.storage import create_database, upgrade_database
from corridor.types import Did

ACTOR = "did:web:hospital-a.crash"
ORIGIN = "crash.test/log"


def keys(seed: bytes) -> tuple[SigningKeyPair, SigningKeyPair]:
    """The actor's and the log's keys, derived from the seed so the test can check them."""
    actor = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"actor" + seed).digest())
    log = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"log" + seed).digest())
    return SigningKeyPair(actor), SigningKeyPair(log)


def main() -> None:
    url, seed_hex, first, batch = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    actor, log = keys(bytes.fromhex(seed_hex))
    database = create_database(url)
    upgrade_database(database)
    kid = f"{ACTOR}#key-1"
    resolver = StaticDidResolver(
        {ACTOR: DidKeys(did=Did(ACTOR), signing=actor.public, agreement=None, signing_kid=kid)}
    )
    context = LedgerContext(
        database=database,
        resolver=resolver,
        log_key=log,
        origin=ORIGIN,
        clock=FixedClock(datetime(2025, 3, 1, tzinfo=UTC)),
        batch_size=batch,
    )
    number = first
    while True:
        leaves = []
        for _ in range(batch):
            statement = EvidenceStatement(
                type="record.uploaded",
                transfer="transfer-crash-01",
                actor=ACTOR,
                time="2025-03-01T08:00:00Z",
                jurisdiction="CN",
                digests={"record": "sha256:" + hashlib.sha256(str(number).encode()).hexdigest()},
            )
            leaves.append(sign_statement(statement, actor, kid=kid).leaf)
            number += 1
        print(json.dumps({"begin": number}), flush=True)  # noqa: T201  # the protocol with the test
        result = append_entries(context=context, leaves=leaves)
        acknowledged = [(ref.index, ref.digest) for ref in result.entries]
        print(json.dumps({"ack": acknowledged}), flush=True)  # noqa: T201


if __name__ == "__main__":
    main()
