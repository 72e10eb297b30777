"""Attestation verifier throughput against the bare signature checks of the same chains.

    .venv/bin/python benchmarks/attestation.py [--seconds 5]

For each real sample in tests/assets/tee (AWS Nitro, Intel TDX with its collateral, AMD
SEV-SNP with its VCEK) and a simulated Nitro-format document, two figures measured in
the same run:

* ``documents_per_second``: the full verifier (``verify_attestation``): parsing, pinned
  root, every chain link and profile, validity at the documented instant, the document
  signature, and for TDX the collateral's signatures, CRLs and TCB levels;
* ``bare_chains_per_second``: only the public-key signature verifications that chain
  contains, done directly with ``cryptography`` on pre-extracted bytes (for Nitro: the
  four certificate links and the COSE_Sign1 signature, all ES384/ECDSA P-384).

The ratio is the verifier's overhead over the cryptographic floor. Figures are recorded
in docs/performance.md.
"""

from __future__ import annotations

import argparse
import itertools
import json
import tempfile
import time
import warnings
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import cbor2
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.utils import CryptographyDeprecationWarning

from corridor.clock import FixedClock, from_rfc3339
from corridor.enclave import (
    InsecureEnclaveWarning,
    SimulatedEnclaveBackend,
    SimulatedRoot,
    load_collateral,
    verify_attestation,
)
from corridor.enclave.cose import parse_cose_sign1, sig_structure
from corridor.enclave.dcap import parse_signed_json
from corridor.enclave.program import PROGRAM_MODULE
from corridor.enclave.tdx import parse_quote

ASSETS = Path(__file__).resolve().parents[1] / "tests" / "assets" / "tee"
TDX_COLLATERAL = (
    "sample_tcbInfo_response",
    "sample_qeIdentity_response",
    "tcbInfoIssuerChain.pem",
    "pckcrl",
    "rootcrl.der",
)

Check = Callable[[], None]
_ROUNDS = 5


def _rate(action: Check, seconds: float) -> float:
    action()  # warm caches
    count, started = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - started) < seconds:
        action()
        count += 1
    return count / elapsed


def _link(issuer: x509.Certificate, subject: x509.Certificate) -> Check:
    """One certificate signature, checked directly with the issuer's key."""
    key = issuer.public_key()
    tbs, signature = subject.tbs_certificate_bytes, subject.signature
    algorithm = subject.signature_hash_algorithm
    assert algorithm is not None
    if isinstance(key, ec.EllipticCurvePublicKey):
        return lambda: key.verify(signature, tbs, ec.ECDSA(algorithm))
    assert isinstance(key, rsa.RSAPublicKey)
    pss = padding.PSS(mgf=padding.MGF1(algorithm), salt_length=algorithm.digest_size)
    return lambda: key.verify(signature, tbs, pss, algorithm)


def _raw_ecdsa(
    key: ec.EllipticCurvePublicKey, raw: bytes, message: bytes, hash_: hashes.HashAlgorithm
) -> Check:
    half = len(raw) // 2
    der = encode_dss_signature(int.from_bytes(raw[:half], "big"), int.from_bytes(raw[half:], "big"))
    return lambda: key.verify(der, message, ec.ECDSA(hash_))


def _all(checks: list[Check]) -> Check:
    def run() -> None:
        for check in checks:
            check()

    return run


def _cose_baseline(data: bytes) -> list[Check]:
    """Nitro-shaped evidence: each certificate link, then the COSE_Sign1 ES384 signature."""
    message = parse_cose_sign1(data)
    payload = cbor2.loads(message.payload)
    path = [
        x509.load_der_x509_certificate(d) for d in [*payload["cabundle"], payload["certificate"]]
    ]
    leaf_key = path[-1].public_key()
    assert isinstance(leaf_key, ec.EllipticCurvePublicKey)
    bare = [_link(a, b) for a, b in itertools.pairwise(path)]
    signed = sig_structure(message.protected, message.payload)
    bare.append(_raw_ecdsa(leaf_key, message.signature, signed, hashes.SHA384()))
    return bare


def nitro_case(name: str, at: str) -> tuple[Check, Check, int]:
    data = (ASSETS / "nitro" / name).read_bytes()
    instant = from_rfc3339(at)
    bare = _cose_baseline(data)

    def verify() -> None:
        verify_attestation(data, at=instant, max_age=timedelta(hours=4), allow_debug=True)

    return verify, _all(bare), len(bare)


def tdx_case() -> tuple[Check, Check, int]:
    data = (ASSETS / "tdx" / "tdx_prod_quote_SPR_E4.dat").read_bytes()
    blobs = [(ASSETS / "tdx" / name).read_bytes() for name in TDX_COLLATERAL]
    collateral = load_collateral("tdx", blobs)
    instant = from_rfc3339("2023-07-01T01:00:00Z")
    quote = parse_quote(data)
    pck = x509.load_pem_x509_certificates(quote.pck_chain)
    signing = x509.load_pem_x509_certificates(blobs[2])
    attestation_key = ec.EllipticCurvePublicNumbers(
        int.from_bytes(quote.attestation_key[:32], "big"),
        int.from_bytes(quote.attestation_key[32:], "big"),
        ec.SECP256R1(),
    ).public_key()
    pck_key = pck[0].public_key()
    signer_key = signing[0].public_key()
    assert isinstance(pck_key, ec.EllipticCurvePublicKey)
    assert isinstance(signer_key, ec.EllipticCurvePublicKey)
    tcb = parse_signed_json(blobs[0], "tcbInfo")
    qe_identity = parse_signed_json(blobs[1], "enclaveIdentity")
    crls = [x509.load_der_x509_crl(blob) for blob in blobs[3:]]
    crl_keys = [pck[1].public_key(), pck[2].public_key()]
    bare = [
        _raw_ecdsa(attestation_key, quote.signature, quote.signed, hashes.SHA256()),
        _raw_ecdsa(pck_key, quote.qe_report_signature, quote.qe_report, hashes.SHA256()),
        _link(pck[2], pck[1]),
        _link(pck[1], pck[0]),
        _link(signing[1], signing[0]),
        _raw_ecdsa(signer_key, tcb.signature, tcb.signed_bytes, hashes.SHA256()),
        _raw_ecdsa(signer_key, qe_identity.signature, qe_identity.signed_bytes, hashes.SHA256()),
        *[
            (lambda crl=crl, key=key: crl.is_signature_valid(key))  # type: ignore[misc]
            for crl, key in zip(crls, crl_keys, strict=True)
        ],
    ]

    def verify() -> None:
        verify_attestation(
            data, at=instant, max_age=timedelta(0), evidence_format="tdx", collateral=collateral
        )

    return verify, _all(bare), len(bare)


def snp_case() -> tuple[Check, Check, int]:
    report = (ASSETS / "sev-snp" / "attestation.bin").read_bytes()
    blobs = [(ASSETS / "sev-snp" / name).read_bytes() for name in ("vcek.der", "ask_ark_milan.pem")]
    collateral = load_collateral("sev-snp", blobs)
    instant = from_rfc3339("2022-09-24T01:00:00Z")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CryptographyDeprecationWarning)
        vcek = x509.load_der_x509_certificate(blobs[0])
    ask, ark = x509.load_pem_x509_certificates(blobs[1])
    key = vcek.public_key()
    assert isinstance(key, ec.EllipticCurvePublicKey)
    r = int.from_bytes(report[0x2A0 : 0x2A0 + 72], "little")
    s = int.from_bytes(report[0x2A0 + 72 : 0x2A0 + 144], "little")
    der = encode_dss_signature(r, s)
    bare = [
        _link(ark, ask),
        _link(ask, vcek),
        lambda: key.verify(der, report[:0x2A0], ec.ECDSA(hashes.SHA384())),
    ]

    def verify() -> None:
        verify_attestation(
            report,
            at=instant,
            max_age=timedelta(0),
            evidence_format="sev-snp",
            collateral=collateral,
            allow_debug=True,
        )

    return verify, _all(bare), len(bare)


def simulated_case(folder: Path) -> tuple[Check, Check, int]:
    now = datetime.now(UTC).replace(microsecond=0)
    root = SimulatedRoot.create(folder, b"benchmark", now=now)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InsecureEnclaveWarning)
        backend = SimulatedEnclaveBackend(PROGRAM_MODULE, {}, root, FixedClock(now))
    with backend.launch() as session:
        data = session.evidence(b"n" * 32)
    bare = _cose_baseline(data)

    def verify() -> None:
        verify_attestation(
            data,
            at=now,
            max_age=timedelta(minutes=5),
            trusted_roots=[root.root_certificate],
            evidence_format="simulated",
        )

    return verify, _all(bare), len(bare)


def main() -> None:
    """Measure every case and print one JSON line each, then the ratios."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5.0)
    seconds = parser.parse_args().seconds
    with tempfile.TemporaryDirectory() as scratch:
        cases = {
            "nitro:base_nitro_validator": nitro_case(
                "base_nitro_validator.cbor", "2024-11-30T18:06:40Z"
            ),
            "nitro:sui_fixed_valid_attestation": nitro_case(
                "sui_fixed_valid_attestation.cbor", "2024-11-14T23:46:27.382Z"
            ),
            "tdx:tdx_prod_quote_SPR_E4": tdx_case(),
            "sev-snp:go-sev-guest": snp_case(),
            "simulated": simulated_case(Path(scratch)),
        }
        ratios: dict[str, float] = {}
        for name, (verify, bare, signatures) in cases.items():
            # Alternate short runs and keep each side's best (timeit's advice on a busy
            # machine: the fastest run is the one least disturbed).
            documents, chains = 0.0, 0.0
            for _ in range(_ROUNDS):
                documents = max(documents, _rate(verify, seconds / _ROUNDS))
                chains = max(chains, _rate(bare, seconds / _ROUNDS))
            ratios[name] = round(chains / documents, 2)
            print(
                json.dumps(
                    {
                        "case": name,
                        "signatures_per_chain": signatures,
                        "documents_per_second": round(documents, 1),
                        "bare_chains_per_second": round(chains, 1),
                        "verifier_cost_vs_bare": ratios[name],
                    }
                )
            )
        print(json.dumps({"verifier_cost_vs_bare": ratios}))


if __name__ == "__main__":
    main()
