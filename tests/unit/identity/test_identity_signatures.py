from datetime import UTC, datetime, timedelta

import httpx
import pytest
from http_message_signatures import HTTPMessageSigner, algorithms

from corridor.clock import FixedClock
from corridor.crypto import AgreementKeyPair, SigningKeyPair
from corridor.identity import (
    DidKeys,
    RequestReplayed,
    RequestSignatureInvalid,
    RequestSigner,
    RequestStale,
    RequestUnsigned,
    RequestVerifier,
    StaticDidResolver,
    parse_did_document,
)
from corridor.identity.did import build_did_document
from corridor.identity.signatures import _Message, _OneKey

DID = "did:web:hospital-a.test"
URL = "http://datacenter.test:8003/api/transfers/abc12345/deposit?x=did%3Aweb"


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 2, 1, 12, tzinfo=UTC))


@pytest.fixture
def keys() -> list[SigningKeyPair]:
    return [SigningKeyPair.generate(), SigningKeyPair.generate()]


def _document(keys: list[SigningKeyPair]) -> DidKeys:
    """key-2 is current, key-1 retired."""
    document = build_did_document(
        DID,
        keys[1].public_raw,
        AgreementKeyPair.generate().public_raw,
        signing_id="key-2",
        retired=[("key-1", keys[0].public_raw)],
    )
    return parse_did_document(document, expected_did=DID)


@pytest.fixture
def verifier(keys, clock) -> RequestVerifier:
    return RequestVerifier(
        resolver=StaticDidResolver({DID: _document(keys)}), clock=clock, window_seconds=300
    )


def _signed(key: SigningKeyPair, clock, *, kid=f"{DID}#key-2", body=b'{"a":1}') -> httpx.Request:
    request = httpx.Request("POST", URL, content=body)
    RequestSigner(key, kid=kid, clock=clock).sign(request)
    return request


def _verify(verifier: RequestVerifier, request: httpx.Request, *, body=None, url=None):
    return verifier.verify(
        method=request.method,
        url=url or str(request.url),
        headers=request.headers.raw,
        body=request.content if body is None else body,
    )


def test_a_signed_request_says_who_signed_it(verifier, keys, clock):
    verified = _verify(verifier, _signed(keys[1], clock))
    assert verified.did == DID
    assert verified.kid == f"{DID}#key-2"


def test_the_signature_covers_method_target_digest_created_and_a_nonce(keys, clock):
    request = _signed(keys[1], clock)
    signature_input = request.headers["signature-input"]
    assert signature_input.startswith('corridor=("@method" "@target-uri" "content-digest")')
    for parameter in ("created=", "keyid=", "nonce=", 'tag="corridor"'):
        assert parameter in signature_input
    assert request.headers["content-digest"].startswith("sha-256=:")


def test_an_unsigned_request_is_refused(verifier):
    with pytest.raises(RequestUnsigned):
        _verify(verifier, httpx.Request("POST", URL, content=b"{}"))


def test_a_replayed_request_is_refused(verifier, keys, clock):
    request = _signed(keys[1], clock)
    _verify(verifier, request)
    with pytest.raises(RequestReplayed):
        _verify(verifier, request)


def test_a_request_older_than_the_window_or_from_the_future_is_stale(verifier, keys, clock):
    request = _signed(keys[1], clock)
    clock.advance(timedelta(seconds=301))
    with pytest.raises(RequestStale):
        _verify(verifier, request)
    future = FixedClock(clock.now() + timedelta(minutes=5))
    with pytest.raises(RequestStale):
        _verify(verifier, _signed(keys[1], future))


def test_a_body_changed_after_signing_is_refused(verifier, keys, clock):
    with pytest.raises(RequestSignatureInvalid, match="Content-Digest"):
        _verify(verifier, _signed(keys[1], clock), body=b'{"a":2}')


def test_a_request_sent_to_another_target_is_refused(verifier, keys, clock):
    request = _signed(keys[1], clock)
    with pytest.raises(RequestSignatureInvalid):
        _verify(verifier, request, url=URL.replace("deposit", "process"))


def test_a_signature_by_another_key_than_the_kid_names_is_refused(verifier, keys, clock):
    forged = _signed(SigningKeyPair.generate(), clock)
    with pytest.raises(RequestSignatureInvalid):
        _verify(verifier, forged)


def test_a_retired_key_no_longer_authenticates_requests(verifier, keys, clock):
    with pytest.raises(RequestSignatureInvalid, match="authentication"):
        _verify(verifier, _signed(keys[0], clock, kid=f"{DID}#key-1"))


def test_an_unknown_did_is_refused(verifier, clock):
    with pytest.raises(RequestSignatureInvalid, match="trusted table"):
        _verify(verifier, _signed(SigningKeyPair.generate(), clock, kid="did:web:x.test#key-1"))


def test_a_signature_that_leaves_out_the_digest_or_the_nonce_is_refused(verifier, keys, clock):
    request = httpx.Request("POST", URL, content=b"{}")
    signer = HTTPMessageSigner(
        signature_algorithm=algorithms.ED25519, key_resolver=_OneKey(keys[1])
    )
    signer.sign(
        _Message("POST", URL, request.headers),
        key_id=f"{DID}#key-2",
        created=clock.now(),
        label="corridor",
        tag="corridor",
        covered_component_ids=("@method", "@target-uri"),
    )
    with pytest.raises(RequestSignatureInvalid):
        _verify(verifier, request)
    request = httpx.Request("POST", URL, content=b"{}")
    signer.sign(
        _Message("POST", URL, request.headers),
        key_id=f"{DID}#key-2",
        created=clock.now(),
        label="corridor",
        tag="corridor",
        covered_component_ids=("@method", "@target-uri"),
        body=b"{}",
    )
    with pytest.raises(RequestSignatureInvalid, match="nonce"):
        _verify(verifier, request)
