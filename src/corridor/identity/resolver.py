"""Resolve DIDs to keys: did:key locally, did:web over HTTP with a cache."""

from __future__ import annotations

import threading
from typing import Protocol

import httpx

from corridor.identity.did import DidKeys, did_document_url, keys_for_did_key, parse_did_document
from corridor.identity.errors import MalformedDid, ResolverUnavailable, UnknownDid


class DidResolver(Protocol):
    """Turns a DID (or DID URL) into the keys it publishes."""

    def resolve(self, did: str) -> DidKeys:
        """Return the DID's keys or raise :class:`UnknownDid`."""
        ...


class StaticDidResolver:
    """A fixed table of DIDs; for tests and offline verification with a trust file."""

    def __init__(self, known: dict[str, DidKeys]) -> None:
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


class HttpDidResolver:
    """did:web over HTTP(S) through the given client; caches documents it fetched."""

    def __init__(self, client: httpx.Client) -> None:
        self._client = client
        self._cache: dict[str, DidKeys] = {}
        self._lock = threading.Lock()

    def resolve(self, did: str) -> DidKeys:
        """Resolve ``did``; a did:web is fetched once and then served from the cache."""
        bare = did.split("#", 1)[0]
        if bare.startswith("did:key:"):
            return keys_for_did_key(bare)
        if not bare.startswith("did:web:"):
            raise UnknownDid(f"unsupported DID method in {bare!r}")
        with self._lock:
            cached = self._cache.get(bare)
        if cached is not None:
            return cached
        keys = self._fetch(bare)
        with self._lock:
            self._cache[bare] = keys
        return keys

    def forget(self, did: str) -> None:
        """Drop a cached document, e.g. after its controller announced a key rotation."""
        with self._lock:
            self._cache.pop(did.split("#", 1)[0], None)

    def _fetch(self, did: str) -> DidKeys:
        url = did_document_url(did)
        try:
            response = self._client.get(url)
        except httpx.HTTPError as exc:
            raise ResolverUnavailable(f"cannot fetch {url}: {exc}") from exc
        if response.status_code != 200:  # noqa: PLR2004
            raise UnknownDid(f"{url} answered {response.status_code}")
        try:
            document = response.json()
        except ValueError as exc:
            raise MalformedDid(f"{url} did not return JSON") from exc
        return parse_did_document(document, expected_did=did)
