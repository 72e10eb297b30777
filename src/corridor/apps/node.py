"""What every party's process has: settings, its database, its keys, its DID, one HTTP client."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx
from fastapi import FastAPI

from corridor.clock import Clock, SystemClock
from corridor.config import Settings
from corridor.crypto.keys import SigningKeyPair
from corridor.identity import (
    CREDENTIAL_FOR_PARTY,
    CredentialHolder,
    CredentialVerifier,
    Directory,
    FileKeyStore,
    HttpDidResolver,
    KnownParty,
    NodeKeys,
    RequestSigner,
    RequestVerifier,
    SealedKeyStore,
    SqlKeyStore,
    did_web_for_url,
    did_web_host,
)
from corridor.identity.client import HttpIssuerClient
from corridor.identity.did import build_did_document
from corridor.identity.gate import RequestGate
from corridor.ledger.recorder import EvidenceRecorder, EvidenceSink
from corridor.storage import Database, create_database, upgrade_database
from corridor.transport import build_http_client
from corridor.web import EvidenceSource, build_web_context, install_pages


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
    key_store: SealedKeyStore
    gate: RequestGate
    """Verifies signed requests and credentials of callers (docs/identity.md)."""
    holder: CredentialHolder
    """This node's own credentials, obtained from its regulators."""
    # Stopped first by close(): background workers that use the client or the database.
    closers: list[Callable[[], None]] = field(default_factory=list)

    @property
    def kid(self) -> str:
        """The DID URL of the node's signing key."""
        return f"{self.did}#{self.keys.signing_fragment}"

    @property
    def signing(self) -> SigningKeyPair:
        """The node's signing key."""
        return self.keys.signing

    def did_document(self) -> dict[str, object]:
        """The node's DID document, served at /.well-known/did.json."""
        return build_did_document(
            self.did,
            self.keys.signing.public_raw,
            self.keys.agreement.public_raw,
            signing_id=self.keys.signing_fragment,
            retired=self.keys.retired_methods,
            presentation_url=f"{self.settings.public_url.rstrip('/')}/.well-known/presentation",
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

    def install_pages(self, app: FastAPI, evidence: EvidenceSource) -> None:
        """Serve this party's pages (docs/web.md), reading the chain through ``evidence``."""
        install_pages(
            app,
            build_web_context(
                settings=self.settings,
                database=self.database,
                clock=self.clock,
                did=self.did,
                resolver=self.resolver,
                evidence=evidence,
            ),
        )

    def stop_workers(self) -> None:
        """Stop background workers (each once); they may still be calling other parties.

        Whoever runs several nodes in one process stops every node's workers before
        closing any node, so no worker reaches a peer whose database is already released.
        """
        while self.closers:
            self.closers.pop(0)()

    def close(self) -> None:
        """Stop background workers, then release the HTTP client and database connections."""
        self.stop_workers()
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
    key_store = _key_store(settings, database)
    keys = key_store.load_or_create()
    clock = clock or SystemClock()
    did = did_web_for_url(settings.public_url)
    kid = f"{did}#{keys.signing_fragment}"
    # Every call this node makes to another party is signed (RFC 9421, docs/identity.md).
    http = build_http_client(
        timeout_seconds=settings.request_timeout_seconds,
        transport=transport,
        auth=RequestSigner(keys.signing, kid=kid, clock=clock),
    )
    resolver = HttpDidResolver(
        http, hosts=settings.did_hosts, ttl_seconds=settings.did_cache_seconds, clock=clock
    )
    directory = Directory(
        peers=[
            KnownParty(
                did=did_web_for_url(peer.url),
                kind=peer.kind,
                name=peer.name,
                jurisdiction=peer.jurisdiction,
            )
            for peer in settings.peers
        ]
        # The node itself: a regulator trusts its own credentials like its peers'.
        + [KnownParty(did, settings.party, settings.name, settings.jurisdiction)],
        operators=settings.operators,
    )
    gate = RequestGate(
        verifier=RequestVerifier(
            resolver=resolver, clock=clock, window_seconds=settings.request_window_seconds
        ),
        directory=directory,
        credentials=CredentialVerifier(
            http=http,
            resolver=resolver,
            directory=directory,
            clock=clock,
            jurisdiction=settings.jurisdiction,
            cache_seconds=settings.credential_cache_seconds,
        ),
        authorities=_authorities(settings, did),
    )
    return Node(
        settings=settings,
        database=database,
        keys=keys,
        did=did,
        http=http,
        resolver=resolver,
        clock=clock,
        key_store=key_store,
        gate=gate,
        holder=_holder(settings, keys, did=did, kid=kid, http=http, clock=clock),
    )


def _key_store(settings: Settings, database: Database) -> SealedKeyStore:
    passphrase = settings.key_passphrase.get_secret_value().encode()
    if settings.key_store == "database":
        return SqlKeyStore(database, passphrase, memory_kib=settings.key_kdf_memory_kib)
    return FileKeyStore(
        settings.state_dir / "keys", passphrase, memory_kib=settings.key_kdf_memory_kib
    )


def _authorities(settings: Settings, did: str) -> frozenset[str]:
    """The host[:port] values signed requests may name: the public URL and mapped aliases."""
    own = {urlsplit(settings.public_url).netloc.lower()}
    host = did_web_host(did).lower()
    own |= {
        urlsplit(url).netloc.lower()
        for name, url in settings.did_hosts.items()
        if name.lower() == host
    }
    return frozenset(own)


def _holder(
    settings: Settings, keys: NodeKeys, *, did: str, kid: str, http: httpx.Client, clock: Clock
) -> CredentialHolder:
    """Hospitals ask their own jurisdiction's regulator; the joint data center asks both."""
    regulators = [
        peer
        for peer in settings.peers_of_kind("regulator")
        if settings.party == "datacenter" or peer.jurisdiction == settings.jurisdiction
    ]
    return CredentialHolder(
        did=did,
        key=keys.signing,
        kid=kid,
        clock=clock,
        issuers=[HttpIssuerClient(http, peer.url) for peer in regulators],
        credential_type=CREDENTIAL_FOR_PARTY.get(settings.party),
    )
