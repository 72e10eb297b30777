from datetime import UTC, datetime, timedelta

import httpx
import pytest

from corridor.clock import FixedClock
from corridor.crypto import AgreementKeyPair, SigningKeyPair, did_key_from_public
from corridor.identity import (
    HttpDidResolver,
    StaticDidResolver,
    UnknownDid,
    UnknownKey,
    build_did_document,
)

DID = "did:web:hospital-a.test"


class Host:
    """Serves one DID document that the test can rotate."""

    def __init__(self) -> None:
        self.keys = [SigningKeyPair.generate()]
        self.agreement = AgreementKeyPair.generate()
        self.calls: list[str] = []

    def rotate(self) -> None:
        self.keys.append(SigningKeyPair.generate())

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.calls.append(str(request.url))
        retired = [(f"key-{n}", key.public_raw) for n, key in enumerate(self.keys[:-1], 1)]
        document = build_did_document(
            DID,
            self.keys[-1].public_raw,
            self.agreement.public_raw,
            signing_id=f"key-{len(self.keys)}",
            retired=retired,
        )
        return httpx.Response(200, json=document)


@pytest.fixture
def host() -> Host:
    return Host()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 1, 1, tzinfo=UTC))


def _resolver(host: Host, clock: FixedClock, **options) -> HttpDidResolver:
    client = httpx.Client(transport=httpx.MockTransport(host.handler))
    return HttpDidResolver(client, clock=clock, **options)


def test_resolves_did_web_over_http_once_then_from_cache(host, clock):
    resolver = _resolver(host, clock)
    assert resolver.resolve(DID + "#key-1").signing.public_bytes_raw() == host.keys[0].public_raw
    resolver.resolve(DID)
    assert host.calls == ["http://hospital-a.test/.well-known/did.json"]


def test_a_cached_document_is_fetched_again_after_its_time_to_live(host, clock):
    resolver = _resolver(host, clock, ttl_seconds=60)
    resolver.resolve(DID)
    clock.advance(timedelta(seconds=61))
    resolver.resolve(DID)
    assert len(host.calls) == 2


def test_a_host_map_sends_a_did_to_a_loopback_url(host, clock):
    resolver = _resolver(host, clock, hosts={"hospital-a.test": "http://127.0.0.1:9004"})
    resolver.resolve(DID)
    assert host.calls == ["http://127.0.0.1:9004/.well-known/did.json"]
    assert (
        resolver.locate("http://hospital-a.test/api/identity/status/1?x=1")
        == "http://127.0.0.1:9004/api/identity/status/1?x=1"
    )


def test_a_key_rotated_after_caching_is_found_by_one_early_refresh(host, clock):
    resolver = _resolver(host, clock, min_refresh_seconds=5)
    resolver.resolve(DID)
    host.rotate()
    clock.advance(timedelta(seconds=6))
    key = resolver.resolve_key(f"{DID}#key-2", purpose="authentication")
    assert key.public_bytes_raw() == host.keys[1].public_raw
    # The retired key still verifies what it signed, but no longer authenticates.
    assert resolver.resolve_key(f"{DID}#key-1").public_bytes_raw() == host.keys[0].public_raw
    with pytest.raises(UnknownKey):
        resolver.resolve_key(f"{DID}#key-1", purpose="authentication")


def test_unknown_key_ids_do_not_make_the_resolver_fetch_again_and_again(host, clock):
    resolver = _resolver(host, clock, min_refresh_seconds=5)
    resolver.resolve(DID)
    for n in range(3, 10):
        with pytest.raises(UnknownKey):
            resolver.resolve_key(f"{DID}#key-{n}")
    assert len(host.calls) == 1


def test_an_unreachable_document_is_an_unknown_did(clock):
    resolver = HttpDidResolver(
        httpx.Client(transport=httpx.MockTransport(lambda _r: httpx.Response(404))), clock=clock
    )
    with pytest.raises(UnknownDid):
        resolver.resolve("did:web:nowhere.test")


def test_did_key_resolves_without_any_lookup():
    key = SigningKeyPair.generate()
    did = did_key_from_public(key.public)
    assert StaticDidResolver({}).resolve(did).signing.public_bytes_raw() == key.public_raw
    with pytest.raises(UnknownDid):
        StaticDidResolver({}).resolve("did:web:unknown.test")
