"""What every party's process has: settings, its database, its keys, its DID, one HTTP client."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from corridor.clock import Clock, SystemClock
from corridor.config import Settings
from corridor.crypto.keys import SigningKeyPair
from corridor.identity import FileKeyStore, HttpDidResolver, NodeKeys, did_web_for_url
from corridor.identity.did import SIGNING_FRAGMENT, build_did_document
from corridor.ledger.recorder import EvidenceRecorder, EvidenceSink
from corridor.storage import Database, create_database, upgrade_database
from corridor.transport import build_http_client


@dataclass(frozen=True)
class Node:
    """The runtime of one party; built once by its composition root."""

    settings: Settings
    database: Database
    keys: NodeKeys
    did: str
    http: httpx.Client
    resolver: HttpDidResolver
    clock: Clock

    @property
    def kid(self) -> str:
        """The DID URL of the node's signing key."""
        return f"{self.did}#{SIGNING_FRAGMENT}"

    @property
    def signing(self) -> SigningKeyPair:
        """The node's signing key."""
        return self.keys.signing

    def did_document(self) -> dict[str, object]:
        """The node's DID document, served at /.well-known/did.json."""
        return build_did_document(
            self.did, self.keys.signing.public_raw, self.keys.agreement.public_raw
        )

    def recorder(self, sink: EvidenceSink) -> EvidenceRecorder:
        """An evidence recorder that signs as this node."""
        return EvidenceRecorder(
            sink=sink,
            key=self.keys.signing,
            did=self.did,
            kid=self.kid,
            jurisdiction=self.settings.jurisdiction or "XX",
            clock=self.clock,
        )

    def close(self) -> None:
        """Release the HTTP client and database connections."""
        self.http.close()
        self.database.dispose()


def build_node(
    settings: Settings,
    *,
    transport: httpx.BaseTransport | None = None,
    clock: Clock | None = None,
) -> Node:
    """Create the state folder, migrate the database and load (or create) the keys."""
    settings.warn_if_insecure()
    settings.state_dir.mkdir(parents=True, exist_ok=True)
    database = create_database(settings.effective_database_url)
    upgrade_database(database)
    passphrase = settings.key_passphrase.get_secret_value().encode()
    keys = FileKeyStore(settings.state_dir / "keys", passphrase).load_or_create()
    http = build_http_client(timeout_seconds=settings.request_timeout_seconds, transport=transport)
    return Node(
        settings=settings,
        database=database,
        keys=keys,
        did=did_web_for_url(settings.public_url),
        http=http,
        resolver=HttpDidResolver(http),
        clock=clock or SystemClock(),
    )
