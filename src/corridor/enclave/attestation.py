"""Verify attestation documents in the AWS Nitro Enclaves format (real or simulated).

Pure: time comes in as ``at``; no clock, no environment, no I/O. The steps follow AWS's
"Verifying the root of trust" (aws-nitro-enclaves-nsm-api docs/attestation_process.md
§3.2): decode the COSE_Sign1, check the payload's syntax (§3.2.2.1), build the chain
``certificate <- cabundle[N-1] <- ... <- cabundle[1] <- pinned root`` and check every link
and validity window at ``at`` (§3.2.3), then the ES384 signature over the exact bytes
received (§3.2.4). Policy on top: bounded age, no debug enclaves unless allowed.

The ``simulated`` format is the same layout signed by a per-install simulated root
(:mod:`corridor.enclave.simulated`); it verifies the same way and is always flagged.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from corridor.enclave.chain import (
    certificate_sha256,
    check_validity,
    load_der_certificate,
    pinned_root_for,
    verify_path,
)
from corridor.enclave.cose import decode_cbor_strict, parse_cose_sign1, verify_es384
from corridor.enclave.dcap import TdxCollateral
from corridor.enclave.errors import EvidenceRejected
from corridor.enclave.results import ATTESTATION_FORMATS, AttestationFormat, AttestationResult
from corridor.enclave.roots import (
    AWS_NITRO_ROOT_G1_PEM,
    amd_ark_milan,
    aws_nitro_root,
    intel_sgx_root,
)
from corridor.enclave.snp import SnpCollateral, verify_snp_report
from corridor.enclave.tdx import verify_tdx_quote

__all__ = [
    "ATTESTATION_FORMATS",
    "AWS_NITRO_ROOT_G1_PEM",
    "AttestationFormat",
    "AttestationResult",
    "Collateral",
    "aws_nitro_root",
    "certificate_sha256",
    "default_roots",
    "verify_attestation",
]

Collateral = TdxCollateral | SnpCollateral
"""Endorsements a format needs besides the evidence (Intel PCS collateral, AMD VCEK/ASK)."""

MAX_EVIDENCE_BYTES = 64 * 1024  # real documents are ~4.5 KiB
DEFAULT_MAX_CLOCK_SKEW = timedelta(seconds=60)
# attestation_process.md §3.2.2.1 (CDDL and content rules).
_REQUIRED = ("module_id", "digest", "timestamp", "pcrs", "certificate", "cabundle")
_OPTIONAL = ("public_key", "user_data", "nonce")
_OPTIONAL_MAX_BYTES = {"public_key": 1024, "user_data": 1024, "nonce": 512}
_PCR_LENGTHS = frozenset({32, 48, 64})
_MAX_PCR_INDEX = 31
_MAX_CERT_BYTES = 1024
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def default_roots(evidence_format: AttestationFormat) -> list[x509.Certificate]:
    """The vendor root pinned for a format; the simulated format has none built in."""
    if evidence_format == "nitro":
        return [aws_nitro_root()]
    if evidence_format == "tdx":
        return [intel_sgx_root()]
    if evidence_format == "sev-snp":
        return [amd_ark_milan()]
    raise ValueError("the simulated format has no built-in root; pass trusted_roots")


def verify_attestation(
    evidence: bytes,
    *,
    at: datetime,
    max_age: timedelta,
    trusted_roots: Sequence[x509.Certificate] | None = None,
    evidence_format: AttestationFormat = "nitro",
    allow_debug: bool = False,
    max_clock_skew: timedelta = DEFAULT_MAX_CLOCK_SKEW,
    collateral: Collateral | None = None,
) -> AttestationResult:
    """Verify attestation evidence of ``evidence_format`` at instant ``at``.

    ``trusted_roots`` defaults to the vendor's pinned root (AWS, Intel, AMD); the
    ``simulated`` format has no default (its root is per install). ``collateral`` is
    what TDX (Intel PCS collateral) and SEV-SNP (VCEK and ASK) need besides the evidence.
    ``max_age`` bounds a Nitro document's signed timestamp; TDX quotes and SNP reports
    carry none. Raises :class:`EvidenceRejected` with a machine-readable ``reason``.
    """
    if at.tzinfo is None:
        raise ValueError("verify_attestation needs a timezone-aware 'at'")
    if evidence_format not in ATTESTATION_FORMATS:
        raise ValueError(f"unknown evidence format {evidence_format!r}")
    roots = default_roots(evidence_format) if trusted_roots is None else list(trusted_roots)
    if not roots:
        # An empty trust store must not mean "trust anything".
        raise EvidenceRejected("unknown-root", "no trusted roots are configured")
    if len(evidence) > MAX_EVIDENCE_BYTES:
        raise EvidenceRejected("malformed-evidence", f"evidence is over {MAX_EVIDENCE_BYTES} bytes")
    if evidence_format == "tdx":
        if collateral is not None and not isinstance(collateral, TdxCollateral):
            raise EvidenceRejected("missing-collateral", "TDX needs Intel PCS collateral")
        return verify_tdx_quote(
            evidence, at=at, collateral=collateral, trusted_roots=roots, allow_debug=allow_debug
        )
    if evidence_format == "sev-snp":
        if collateral is not None and not isinstance(collateral, SnpCollateral):
            raise EvidenceRejected("missing-collateral", "SEV-SNP needs the VCEK and the ASK")
        return verify_snp_report(
            evidence, at=at, collateral=collateral, trusted_roots=roots, allow_debug=allow_debug
        )
    return _verify_nitro(
        evidence,
        at=at,
        max_age=max_age,
        trusted_roots=roots,
        evidence_format=evidence_format,
        allow_debug=allow_debug,
        max_clock_skew=max_clock_skew,
    )


def _verify_nitro(
    evidence: bytes,
    *,
    at: datetime,
    max_age: timedelta,
    trusted_roots: Sequence[x509.Certificate],
    evidence_format: AttestationFormat,
    allow_debug: bool,
    max_clock_skew: timedelta,
) -> AttestationResult:
    message = parse_cose_sign1(evidence)
    document = _parse_document(decode_cbor_strict(message.payload, what="attestation payload"))
    leaf = load_der_certificate(document["certificate"], "certificate")
    # cabundle[0] is the root (attestation_process.md §3.2.2.1); it is trusted only if it
    # is byte-identical to a pinned root, never because the document says so.
    root = pinned_root_for(document["cabundle"][0], trusted_roots)
    intermediates = [load_der_certificate(der, "cabundle") for der in document["cabundle"][1:]]
    path = [root, *intermediates, leaf]
    verify_path(path)
    leaf_key = leaf.public_key()
    if not isinstance(leaf_key, ec.EllipticCurvePublicKey):
        raise EvidenceRejected("unsupported-algorithm", "the signing certificate is not ECDSA")
    verify_es384(leaf_key, message)
    check_validity(path, at)
    timestamp = _EPOCH + timedelta(milliseconds=document["timestamp"])
    _check_freshness(timestamp, at=at, max_age=max_age, max_clock_skew=max_clock_skew)
    measurements = {index: value.hex() for index, value in sorted(document["pcrs"].items())}
    # AWS docs ("Nitro Enclaves concepts", debug mode): PCRs of a debug enclave are zeros.
    debug = not any(document["pcrs"][0])
    if debug and not allow_debug:
        raise EvidenceRejected("debug-mode", "PCR0 is all zero: the enclave runs in debug mode")
    warnings = [
        flag
        for flag, present in (
            ("debug-mode", debug),
            ("simulated-insecure", evidence_format == "simulated"),
            ("empty-public-key", document["public_key"] == b""),
        )
        if present
    ]
    return AttestationResult(
        format=evidence_format,
        module_id=document["module_id"],
        digest=document["digest"],
        measurements=measurements,
        public_key=document["public_key"],
        user_data=document["user_data"],
        nonce=document["nonce"],
        timestamp=timestamp,
        debug=debug,
        warnings=tuple(warnings),
        root_sha256=certificate_sha256(root),
        valid_from=max(c.not_valid_before_utc for c in path),
        valid_until=min(c.not_valid_after_utc for c in path),
    )


def _check_freshness(
    timestamp: datetime, *, at: datetime, max_age: timedelta, max_clock_skew: timedelta
) -> None:
    if at - timestamp > max_age:
        raise EvidenceRejected(
            "stale-evidence", f"document is {at - timestamp} old; at most {max_age} is accepted"
        )
    if timestamp - at > max_clock_skew:
        raise EvidenceRejected("future-evidence", f"document is dated {timestamp}, after {at}")


def _malformed(message: str) -> EvidenceRejected:
    return EvidenceRejected("malformed-evidence", message)


def _parse_document(value: Any) -> dict[str, Any]:
    """Syntactic checks of attestation_process.md §3.2.2.1; returns the typed fields."""
    if not isinstance(value, dict):
        raise _malformed("attestation payload must be a map")
    unknown = set(value) - set(_REQUIRED) - set(_OPTIONAL)
    missing = [key for key in _REQUIRED if key not in value]
    if unknown or missing:
        raise _malformed(f"payload keys: unknown {sorted(map(str, unknown))}, missing {missing}")
    module_id, digest, timestamp = value["module_id"], value["digest"], value["timestamp"]
    if not isinstance(module_id, str) or not module_id:
        raise _malformed("module_id must be a non-empty text string")
    if digest != "SHA384":
        raise _malformed(f"digest must be 'SHA384', got {digest!r}")
    if not isinstance(timestamp, int) or isinstance(timestamp, bool) or not 0 < timestamp < 2**64:
        raise _malformed("timestamp must be a positive 64-bit integer (ms since epoch)")
    pcrs, certificate, cabundle = value["pcrs"], value["certificate"], value["cabundle"]
    _check_pcrs(pcrs)
    _check_certificates(certificate, cabundle)
    fields: dict[str, Any] = {
        "module_id": module_id,
        "digest": digest,
        "timestamp": timestamp,
        "pcrs": pcrs,
        "certificate": certificate,
        "cabundle": cabundle,
    }
    for key in _OPTIONAL:
        item = value.get(key)
        if item is not None and (
            not isinstance(item, bytes) or len(item) > _OPTIONAL_MAX_BYTES[key]
        ):
            raise _malformed(f"{key} must be null or at most {_OPTIONAL_MAX_BYTES[key]} bytes")
        fields[key] = item
    return fields


def _check_pcrs(pcrs: Any) -> None:
    if not isinstance(pcrs, dict) or not 0 < len(pcrs) <= _MAX_PCR_INDEX + 1:
        raise _malformed("pcrs must be a map of 1 to 32 entries")
    if 0 not in pcrs:
        raise _malformed("PCR0 (the enclave image measurement) is missing")
    for index, pcr in pcrs.items():
        if (
            not isinstance(index, int)
            or isinstance(index, bool)
            or not 0 <= index <= _MAX_PCR_INDEX
        ):
            raise _malformed(f"PCR index {index!r} is not in 0..31")
        if not isinstance(pcr, bytes) or len(pcr) not in _PCR_LENGTHS:
            raise _malformed(f"PCR{index} must be 32, 48 or 64 bytes")


def _check_certificates(certificate: Any, cabundle: Any) -> None:
    if not isinstance(certificate, bytes) or not 0 < len(certificate) <= _MAX_CERT_BYTES:
        raise _malformed("certificate must be 1..1024 bytes of DER")
    if not isinstance(cabundle, list) or not cabundle:
        raise _malformed("cabundle must be a non-empty array")
    for der in cabundle:
        if not isinstance(der, bytes) or not 0 < len(der) <= _MAX_CERT_BYTES:
            raise _malformed("every cabundle entry must be 1..1024 bytes of DER")
