"""Resolve DIDs to keys: did:key locally, did:web over HTTP with a cache.

The cache keeps each document for ``ttl_seconds``; a signature naming a key the cached
document does not list triggers one early refresh (at most every
``min_refresh_seconds``), so a peer's key rotation is picked up at once without letting
a stream of made-up key ids turn the resolver into a request amplifier.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol
from urllib.parse import urlsplit, urlunsplit

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from corridor.clock import Clock, SystemClock
from corridor.identity.did import (
    DidKeys,
    KeyPurpose,
    did_document_url,
    did_web_host,
    keys_for_did_key,
    parse_did_document,
)
from corridor.identity.errors import MalformedDid, ResolverUnavailable, UnknownDid, UnknownKey

_DEFAULT_TTL_SECONDS = 300
_DEFAULT_MIN_REFRESH_SECONDS = 5
_MAX_DOCUMENT_BYTES = 64 * 1024


class DidResolver(Protocol):
    """Turns a DID (or DID URL) into the keys it publishes."""

    def resolve(self, did: str) -> DidKeys:
        """Return the DID's keys or raise :class:`UnknownDid`."""
        ...

    def resolve_key(self, kid: str, *, purpose: KeyPurpose = "assertionMethod") -> Ed25519PublicKey:
        """The public key a DID URL names, if its document lists it for ``purpose``."""
        ...


class StaticDidResolver:
    """A fixed table of DIDs; for tests and offline verification with a trust file."""

    def __init__(self, known: Mapping[str, DidKeys]) -> None:
        self._known = dict(known)

    def resolve(self, did: str) -> DidKeys:
        """Look the DID up in the table (did:key always resolves)."""
        bare = did.split("#", 1)[0]
        if bare.startswith("did:key:"):
            return keys_for_did_key(bare)
        try:
            return self._known[bare]
        except KeyError:
            raise UnknownDid(f"{bare} is not in the trusted table") from None

    def resolve_key(self, kid: str, *, purpose: KeyPurpose = "assertionMethod") -> Ed25519PublicKey:
        """The key named ``kid`` from the table."""
        return self.resolve(kid).key_for(kid, purpose=purpose)


@dataclass(frozen=True)
class _Cached:
    keys: DidKeys
    fetched_at: datetime


class HttpDidResolver:
    """did:web over HTTP(S) through the given client, with a TTL cache and a host map.

    ``hosts`` maps a did:web host (``hospital-a.example`` or ``127.0.0.1:8004``) to the
    base URL that serves it, for loopback deployments whose DIDs name hosts that do not
    resolve there (did:web §3.2 would otherwise fetch ``https://<host>/...``).
    """

    def __init__(
        self,
        client: httpx.Client,
        *,
        hosts: Mapping[str, str] | None = None,
        ttl_seconds: float = _DEFAULT_TTL_SECONDS,
        min_refresh_seconds: float = _DEFAULT_MIN_REFRESH_SECONDS,
        clock: Clock | None = None,
    ) -> None:
        self._client = client
        self._hosts = {host.lower(): url.rstrip("/") for host, url in (hosts or {}).items()}
        self._ttl = timedelta(seconds=ttl_seconds)
        self._min_refresh = timedelta(seconds=min_refresh_seconds)
        self._clock = clock or SystemClock()
        self._cache: dict[str, _Cached] = {}
        self._lock = threading.Lock()

    def resolve(self, did: str) -> DidKeys:
        """Resolve ``did``; a did:web is served from the cache while it is fresh."""
        bare = did.split("#", 1)[0]
        if bare.startswith("did:key:"):
            return keys_for_did_key(bare)
        if not bare.startswith("did:web:"):
            raise UnknownDid(f"unsupported DID method in {bare!r}")
        now = self._clock.now()
        with self._lock:
            cached = self._cache.get(bare)
        if cached is not None and now - cached.fetched_at < self._ttl:
            return cached.keys
        return self._refresh(bare, now)

    def resolve_key(self, kid: str, *, purpose: KeyPurpose = "assertionMethod") -> Ed25519PublicKey:
        """The key ``kid`` names; refetches the document once if it does not list it yet."""
        keys = self.resolve(kid)
        try:
            return keys.key_for(kid, purpose=purpose)
        except UnknownKey:
            bare = kid.split("#", 1)[0]
            now = self._clock.now()
            with self._lock:
                cached = self._cache.get(bare)
            if cached is None or now - cached.fetched_at < self._min_refresh:
                raise
            return self._refresh(bare, now).key_for(kid, purpose=purpose)

    def forget(self, did: str) -> None:
        """Drop a cached document, e.g. after its controller announced a key rotation."""
        with self._lock:
            self._cache.pop(did.split("#", 1)[0], None)

    def locate(self, url: str) -> str:
        """``url`` with its origin replaced when the host map names its host."""
        parts = urlsplit(url)
        base = self._hosts.get(parts.netloc.lower())
        if base is None:
            return url
        mapped = urlsplit(base)
        return urlunsplit((mapped.scheme, mapped.netloc, mapped.path + parts.path, parts.query, ""))

    def document_url(self, did: str) -> str:
        """Where this resolver fetches ``did``'s document (after the host map)."""
        return did_document_url(did, base_url=self._hosts.get(did_web_host(did).lower()))

    def _refresh(self, did: str, now: datetime) -> DidKeys:
        keys = self._fetch(did)
        with self._lock:
            self._cache[did] = _Cached(keys=keys, fetched_at=now)
        return keys

    def _fetch(self, did: str) -> DidKeys:
        url = self.document_url(did)
        try:
            response = self._client.get(url)
        except httpx.HTTPError as exc:
            raise ResolverUnavailable(f"cannot fetch {url}: {exc}") from exc
        if response.status_code != 200:  # noqa: PLR2004
            raise UnknownDid(f"{url} answered {response.status_code}")
        if len(response.content) > _MAX_DOCUMENT_BYTES:
            raise MalformedDid(f"{url} returned an oversized DID document")
        try:
            document = response.json()
        except ValueError as exc:
            raise MalformedDid(f"{url} did not return JSON") from exc
        return parse_did_document(document, expected_did=did)
