import httpx
import pytest

from corridor.crypto import AgreementKeyPair, SigningKeyPair, did_key_from_public
from corridor.identity import HttpDidResolver, StaticDidResolver, UnknownDid, build_did_document


def test_resolves_did_web_over_http_once_then_from_cache():
    signing, agreement = SigningKeyPair.generate(), AgreementKeyPair.generate()
    did = "did:web:hospital-a.test"
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(str(request.url))
        return httpx.Response(
            200, json=build_did_document(did, signing.public_raw, agreement.public_raw)
        )

    resolver = HttpDidResolver(httpx.Client(transport=httpx.MockTransport(handler)))
    assert resolver.resolve(did + "#key-1").signing.public_bytes_raw() == signing.public_raw
    resolver.resolve(did)
    assert calls == ["http://hospital-a.test/.well-known/did.json"]


def test_an_unreachable_document_is_an_unknown_did():
    resolver = HttpDidResolver(
        httpx.Client(transport=httpx.MockTransport(lambda _r: httpx.Response(404)))
    )
    with pytest.raises(UnknownDid):
        resolver.resolve("did:web:nowhere.test")


def test_did_key_resolves_without_any_lookup():
    key = SigningKeyPair.generate()
    did = did_key_from_public(key.public)
    assert StaticDidResolver({}).resolve(did).signing.public_bytes_raw() == key.public_raw
    with pytest.raises(UnknownDid):
        StaticDidResolver({}).resolve("did:web:unknown.test")
