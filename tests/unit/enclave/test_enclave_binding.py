import base64
from datetime import UTC, datetime

import pytest

from corridor.enclave import AttestationRefused, AttestationResult
from corridor.enclave.binding import (
    bind_runtime_data,
    runtime_data_digest,
    x25519_from_jwk,
    x25519_jwk,
)

NONCE = bytes(range(32))
KEY = bytes(range(32, 64))


def _result(evidence_format, *, nonce=None, public_key=None, user_data=None):
    return AttestationResult(
        format=evidence_format,
        module_id="m",
        digest="SHA384",
        measurements={0: "ab" * 48},
        public_key=public_key,
        user_data=user_data,
        nonce=nonce,
        timestamp=datetime(2025, 1, 1, tzinfo=UTC),
        debug=False,
        warnings=(),
        root_sha256="00" * 32,
    )


def _runtime_data(nonce=NONCE, key=KEY, **extra):
    return {"nonce": base64.b64encode(nonce).decode(), "tee-pubkey": x25519_jwk(key), **extra}


def test_document_formats_bind_through_their_own_fields():
    result = _result("simulated", nonce=NONCE, public_key=KEY, user_data=b"u")
    claims = bind_runtime_data(result, _runtime_data())
    assert (claims.nonce, claims.public_key, claims.user_data) == (NONCE, KEY, b"u")
    assert bind_runtime_data(result, None) == claims  # in-process use sends no runtime data


@pytest.mark.parametrize(
    "runtime_data", [_runtime_data(nonce=bytes(32)), _runtime_data(key=bytes(32))]
)
def test_document_formats_refuse_runtime_data_that_differs(runtime_data):
    result = _result("nitro", nonce=NONCE, public_key=KEY)
    with pytest.raises(AttestationRefused) as caught:
        bind_runtime_data(result, runtime_data)
    assert caught.value.reason == "runtime-data-mismatch"


@pytest.mark.parametrize("evidence_format", ["tdx", "sev-snp"])
def test_report_data_formats_bind_the_hash_of_the_runtime_data(evidence_format):
    runtime_data = _runtime_data(**{"user-data": "dXNlcg"})
    result = _result(evidence_format, user_data=runtime_data_digest(runtime_data))
    claims = bind_runtime_data(result, runtime_data)
    assert (claims.nonce, claims.public_key, claims.user_data) == (NONCE, KEY, b"user")


def test_report_data_formats_refuse_other_runtime_data_or_none():
    runtime_data = _runtime_data()
    result = _result("tdx", user_data=runtime_data_digest(runtime_data))
    with pytest.raises(AttestationRefused) as caught:
        bind_runtime_data(result, _runtime_data(nonce=bytes(32)))
    assert caught.value.reason == "runtime-data-mismatch"
    with pytest.raises(AttestationRefused) as caught:
        bind_runtime_data(result, None)
    assert caught.value.reason == "missing-nonce"


@pytest.mark.parametrize(
    "jwk",
    [
        {"kty": "EC", "crv": "P-256", "x": "AA"},
        {"kty": "OKP", "crv": "Ed25519", "x": "AA"},
        {"kty": "OKP", "crv": "X25519", "x": "AAAA"},
        "not a jwk",
    ],
)
def test_only_x25519_jwks_are_accepted(jwk):
    with pytest.raises(AttestationRefused):
        x25519_from_jwk(jwk)


def test_jwk_round_trips():
    assert x25519_from_jwk(x25519_jwk(KEY)) == KEY
