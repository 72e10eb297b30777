"""What identity costs per call: RFC 9421 request signatures, VC-JWT checks, Argon2id.

    .venv/bin/python benchmarks/identity.py [--rounds 2000]

Baseline, measured in the same run: one raw Ed25519 signature and verification over a
1 KiB body (what any signed call costs at the least). Then, per call: signing a request
(content digest, signature base, Ed25519) plus verifying it (parse, key by DID URL,
digest, window, nonce cache); verifying one VC-JWT credential (JWS + VC 2.0 checks);
decoding a 131,072-entry Bitstring Status List; deriving the key-encryption key with
Argon2id at OWASP's minimum (once per process start) and at the tests' 1 MiB. Each
measurement is one JSON line; ratios are against the baseline. Figures are recorded in
docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx

from corridor.clock import FixedClock
from corridor.crypto import AgreementKeyPair, SigningKeyPair
from corridor.identity import (
    RequestSigner,
    RequestVerifier,
    StaticDidResolver,
    build_did_document,
    parse_did_document,
)
from corridor.identity.credentials import (
    LICENSED_PROVIDER,
    VC_JWT_TYPE,
    build_credential,
    jwt_kid,
    parse_credential,
    sign_jwt,
    verify_jwt,
)
from corridor.identity.sealing import KdfParameters, derive_kek
from corridor.identity.status_list import decode_status_list, encode_status_list, status_entry

DID = "did:web:hospital-a.example"
REGULATOR = "did:web:regulator-a.example"


def _per_op(action: Callable[[], object], rounds: int) -> float:
    started = time.perf_counter()
    for _ in range(rounds):
        action()
    return (time.perf_counter() - started) / rounds * 1e6


def _line(name: str, micros: float, baseline: float | None) -> dict[str, object]:
    line: dict[str, object] = {"measure": name, "microseconds": round(micros, 1)}
    if baseline:
        line["ratio_to_baseline"] = round(micros / baseline, 2)
    print(json.dumps(line))
    return line


def main() -> None:
    """Run every measurement and print one JSON line each."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=2000)
    rounds = parser.parse_args().rounds
    key = SigningKeyPair.generate()
    body = os.urandom(1024)

    def raw() -> None:
        key.public.verify(key.sign(body), body)

    baseline = _line("baseline_ed25519_sign_verify_1kib", _per_op(raw, rounds), None)[
        "microseconds"
    ]
    assert isinstance(baseline, float)

    now = datetime(2026, 1, 1, tzinfo=UTC)
    clock = FixedClock(now)
    document = build_did_document(DID, key.public_raw, AgreementKeyPair.generate().public_raw)
    resolver = StaticDidResolver({DID: parse_did_document(document, expected_did=DID)})
    signer = RequestSigner(key, kid=f"{DID}#key-1", clock=clock)
    verifier = RequestVerifier(resolver=resolver, clock=clock)
    url = "https://datacenter.example/api/transfers/0f8fad5b-d9cb-469f-a165-70867728950e/deposit"

    def signed_call() -> None:
        request = httpx.Request("POST", url, content=body)
        signer.sign(request)
        verifier.verify(method="POST", url=url, headers=request.headers.raw, body=request.content)

    _line("rfc9421_sign_and_verify_1kib", _per_op(signed_call, rounds), baseline)

    regulator = SigningKeyPair.generate()
    credential = build_credential(
        credential_id="urn:uuid:00000000-0000-4000-8000-000000000001",
        issuer=REGULATOR,
        holder=DID,
        credential_type=LICENSED_PROVIDER,
        jurisdiction="CN",
        name="Hospital A",
        valid_from=now,
        valid_until=now + timedelta(days=365),
        status=status_entry("https://regulator-a.example/api/identity/status/1", 1),
    )
    token = sign_jwt(credential, regulator, kid=f"{REGULATOR}#key-1", typ=VC_JWT_TYPE)

    def check_credential() -> None:
        kid = jwt_kid(token)
        parse_credential(verify_jwt(token, regulator.public, typ=VC_JWT_TYPE), kid=kid)

    _line("vc_jwt_verify_and_parse", _per_op(check_credential, rounds), baseline)
    encoded = encode_status_list(range(0, 131_072, 97))
    _line(
        "status_list_decode_131072",
        _per_op(lambda: decode_status_list(encoded), max(rounds // 10, 10)),
        baseline,
    )
    for label, memory in (("owasp_19mib", 19456), ("tests_1mib", 1024)):
        params = KdfParameters(salt=os.urandom(16), memory_kib=memory)
        _line(f"argon2id_derive_{label}", _per_op(lambda p=params: derive_kek(b"pw", p), 5), None)


if __name__ == "__main__":
    main()
