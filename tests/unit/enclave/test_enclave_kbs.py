import base64
from datetime import timedelta

import pytest

from corridor.crypto import SigningKeyPair, hpke_open, hpke_seal, new_data_key
from corridor.crypto.canonical import b64url_encode
from corridor.enclave import (
    CAPABILITY_INFO,
    RELEASE_INFO,
    AttestationRefused,
    KbsRequestInvalid,
    KbsResourceNotFound,
    KbsSessionInvalid,
)
from corridor.enclave.binding import x25519_jwk
from corridor.enclave.kbs import (
    KbsContext,
    attest,
    release_resource,
    request_challenge,
    verify_token,
)

pytestmark = pytest.mark.filterwarnings("ignore:No path_separator found:DeprecationWarning")

TRANSFER = "transfer-0001-abcd"
RESOURCE = f"corridor/data-key/{TRANSFER}"


class MemoryGate:
    """The corridor flow, as the broker sees it: a policy, a deposit and the entries written."""

    def __init__(self, sealed_capability: bytes) -> None:
        self.refusals: list[str] = []
        self.sealed_capability = sealed_capability
        self.entries: list[tuple[str, str, dict]] = []
        self.asked: list[str] = []
        self.digests: list[dict] = []

    def release_refusals(self, transfer):
        self.asked.append(transfer)
        return list(self.refusals)

    def deposit_of(self, transfer):
        self.asked.append(transfer)
        return self.sealed_capability, b"sealed deposit bytes"

    def record(self, entry_type, *, transfer, digests, details):
        self.digests.append(dict(digests))
        self.entries.append((entry_type, transfer, dict(details)))

    def types(self):
        return [entry_type for entry_type, _, _ in self.entries]


@pytest.fixture
def capability():
    return new_data_key()


@pytest.fixture
def gate(broker, capability):
    return MemoryGate(
        hpke_seal(broker.broker_keys.public, capability, CAPABILITY_INFO + TRANSFER.encode())
    )


@pytest.fixture
def kbs(broker, gate):
    return KbsContext(
        broker=broker,
        gate=gate,
        token_key=SigningKeyPair.generate(),
        issuer="did:web:datacenter.test",
        kid="did:web:datacenter.test#key-1",
    )


def _request(transfer=TRANSFER, **overrides):
    return {
        "version": "0.1.1",
        "tee": "simulated",
        "extra-params": {"transfer": transfer},
        **overrides,
    }


def _attestation(nonce, evidence, public_key):
    return {
        "runtime-data": {
            "nonce": base64.b64encode(nonce).decode(),
            "tee-pubkey": x25519_jwk(public_key),
        },
        "tee-evidence": {"primary_evidence": base64.b64encode(evidence).decode()},
    }


def _attested(kbs, forge, enclave_keys):
    challenge = request_challenge(context=kbs, request=_request())
    nonce = base64.b64decode(challenge.nonce)
    body = _attestation(nonce, forge(nonce), enclave_keys[0].public_raw)
    return challenge.session_id, attest(context=kbs, session_id=challenge.session_id, body=body)


def test_request_challenge_attestation_response_releases_to_the_attested_key(
    kbs, gate, forge, enclave_keys, capability
):
    session, token = _attested(kbs, forge, enclave_keys)
    claims = verify_token(token, key=kbs.token_key.public, at=kbs.broker.clock.now())
    assert claims["submods"]["cpu0"]["ear.status"] == "warning"  # simulated hardware
    assert claims["tee-pubkey"]["x"] == b64url_encode(enclave_keys[0].public_raw)
    released = release_resource(context=kbs, path=RESOURCE, token=token)
    opened = hpke_open(
        enclave_keys[0].private, released.sealed_capability, RELEASE_INFO + TRANSFER.encode()
    )
    assert opened == capability
    assert released.sealed_deposit == b"sealed deposit bytes"
    assert gate.types() == ["attestation.appraised", "key.released"]
    assert gate.entries[1][2]["session"] == session
    assert gate.asked == [TRANSFER, TRANSFER]
    assert gate.digests[0]["measurement"] == "sha384:" + "5a" * 48
    assert gate.digests[1]["evidence"] == gate.digests[0]["evidence"]  # release -> appraisal


def test_the_cookie_works_like_the_token(kbs, forge, enclave_keys):
    session, _ = _attested(kbs, forge, enclave_keys)
    assert release_resource(context=kbs, path=RESOURCE, session_id=session).transfer == TRANSFER


def test_a_session_releases_once(kbs, forge, enclave_keys):
    session, token = _attested(kbs, forge, enclave_keys)
    release_resource(context=kbs, path=RESOURCE, token=token)
    with pytest.raises(KbsSessionInvalid):
        release_resource(context=kbs, path=RESOURCE, session_id=session)


@pytest.mark.parametrize(
    ("request_body", "error"),
    [
        (_request(version="0.2.0"), KbsSessionInvalid),
        (_request(tee="tdx"), KbsRequestInvalid),
        (_request(transfer="short"), KbsRequestInvalid),
        ({"tee": "simulated"}, KbsRequestInvalid),
    ],
)
def test_request_is_checked(kbs, request_body, error):
    with pytest.raises(error):
        request_challenge(context=kbs, request=request_body)


def test_attestation_without_a_session_is_unauthenticated(kbs, forge, enclave_keys):
    with pytest.raises(KbsSessionInvalid):
        attest(context=kbs, session_id=None, body=_attestation(b"n" * 32, b"", b"k" * 32))


def test_runtime_data_must_match_the_evidence_and_the_refusal_is_recorded(
    kbs, gate, forge, enclave_keys
):
    challenge = request_challenge(context=kbs, request=_request())
    nonce = base64.b64decode(challenge.nonce)
    body = _attestation(nonce, forge(nonce), b"\x07" * 32)  # not the attested key
    with pytest.raises(AttestationRefused) as caught:
        attest(context=kbs, session_id=challenge.session_id, body=body)
    assert caught.value.reason == "runtime-data-mismatch"
    assert gate.entries == [
        (
            "key.refused",
            TRANSFER,
            {"reasons": "attestation: runtime-data-mismatch", "session": challenge.session_id},
        )
    ]


def test_evidence_answering_another_sessions_nonce_is_refused(kbs, gate, forge, enclave_keys):
    first = request_challenge(context=kbs, request=_request())
    second = request_challenge(context=kbs, request=_request())
    nonce = base64.b64decode(first.nonce)
    body = _attestation(nonce, forge(nonce), enclave_keys[0].public_raw)
    with pytest.raises(AttestationRefused) as caught:
        attest(context=kbs, session_id=second.session_id, body=body)
    assert caught.value.reason == "unknown-nonce"
    assert gate.types() == ["key.refused"]


def test_a_replayed_attestation_reuses_the_nonce_and_is_recorded(kbs, gate, forge, enclave_keys):
    challenge = request_challenge(context=kbs, request=_request())
    nonce = base64.b64decode(challenge.nonce)
    body = _attestation(nonce, forge(nonce), enclave_keys[0].public_raw)
    attest(context=kbs, session_id=challenge.session_id, body=body)
    with pytest.raises(AttestationRefused) as caught:
        attest(context=kbs, session_id=challenge.session_id, body=body)
    assert caught.value.reason == "reused-nonce"
    assert gate.types() == ["attestation.appraised", "key.refused"]


def test_a_late_attestation_is_refused_as_stale(kbs, gate, forge, enclave_keys, clock):
    challenge = request_challenge(context=kbs, request=_request())
    clock.advance(timedelta(minutes=6))
    nonce = base64.b64decode(challenge.nonce)
    body = _attestation(nonce, forge(nonce), enclave_keys[0].public_raw)
    with pytest.raises(AttestationRefused) as caught:
        attest(context=kbs, session_id=challenge.session_id, body=body)
    assert caught.value.reason == "stale-nonce"
    assert gate.types() == ["key.refused"]


def test_the_release_policy_refusal_is_recorded_with_its_reasons(kbs, gate, forge, enclave_keys):
    _, token = _attested(kbs, forge, enclave_keys)
    gate.refusals = ["consent was revoked", "no permit from did:web:regulator-b.test"]
    with pytest.raises(AttestationRefused) as caught:
        release_resource(context=kbs, path=RESOURCE, token=token)
    assert caught.value.reason == "release-policy"
    entry_type, _, details = gate.entries[-1]
    assert entry_type == "key.refused"
    assert details["reasons"] == "consent was revoked; no permit from did:web:regulator-b.test"


def test_a_session_cannot_fetch_another_transfers_key(kbs, gate, forge, enclave_keys):
    _, token = _attested(kbs, forge, enclave_keys)
    with pytest.raises(AttestationRefused) as caught:
        release_resource(context=kbs, path="corridor/data-key/transfer-9999-zzzz", token=token)
    assert caught.value.reason == "wrong-transfer"
    assert gate.types()[-1] == "key.refused"


def test_unknown_resources_are_not_found(kbs, forge, enclave_keys):
    _, token = _attested(kbs, forge, enclave_keys)
    with pytest.raises(KbsResourceNotFound):
        release_resource(context=kbs, path="other/kind/tag", token=token)


def test_a_forged_or_expired_token_is_refused(kbs, forge, enclave_keys, clock):
    _, token = _attested(kbs, forge, enclave_keys)
    header, claims, signature = token.split(".")
    with pytest.raises(KbsSessionInvalid):
        release_resource(
            context=kbs, path=RESOURCE, token=f"{header}.{claims}.{signature[:-4]}AAAA"
        )
    clock.advance(timedelta(minutes=6))
    with pytest.raises(KbsSessionInvalid):
        release_resource(context=kbs, path=RESOURCE, token=token)
