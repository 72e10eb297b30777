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

import hashlib
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtensionOID

from corridor.enclave.cose import decode_cbor_strict, parse_cose_sign1, verify_es384
from corridor.enclave.errors import EvidenceRejected

AttestationFormat = Literal["nitro", "simulated"]

# AWS Nitro Enclaves Root-G1, from https://aws-nitro-enclaves.amazonaws.com/AWS_NitroEnclaves_Root-G1.zip;
# SHA-256 of the DER certificate below (not of the zip) is _AWS_NITRO_ROOT_G1_SHA256.
AWS_NITRO_ROOT_G1_PEM = b"""-----BEGIN CERTIFICATE-----
MIICETCCAZagAwIBAgIRAPkxdWgbkK/hHUbMtOTn+FYwCgYIKoZIzj0EAwMwSTEL
MAkGA1UEBhMCVVMxDzANBgNVBAoMBkFtYXpvbjEMMAoGA1UECwwDQVdTMRswGQYD
VQQDDBJhd3Mubml0cm8tZW5jbGF2ZXMwHhcNMTkxMDI4MTMyODA1WhcNNDkxMDI4
MTQyODA1WjBJMQswCQYDVQQGEwJVUzEPMA0GA1UECgwGQW1hem9uMQwwCgYDVQQL
DANBV1MxGzAZBgNVBAMMEmF3cy5uaXRyby1lbmNsYXZlczB2MBAGByqGSM49AgEG
BSuBBAAiA2IABPwCVOumCMHzaHDimtqQvkY4MpJzbolL//Zy2YlES1BR5TSksfbb
48C8WBoyt7F2Bw7eEtaaP+ohG2bnUs990d0JX28TcPQXCEPZ3BABIeTPYwEoCWZE
h8l5YoQwTcU/9KNCMEAwDwYDVR0TAQH/BAUwAwEB/zAdBgNVHQ4EFgQUkCW1DdkF
R+eWw5b6cp3PmanfS5YwDgYDVR0PAQH/BAQDAgGGMAoGCCqGSM49BAMDA2kAMGYC
MQCjfy+Rocm9Xue4YnwWmNJVA44fA0P5W2OpYow9OYCVRaEevL8uO1XYru5xtMPW
rfMCMQCi85sWBbJwKKXdS6BptQFuZbT73o/gBh1qUxl/nNr12UO8Yfwr6wPLb+6N
IwLz3/Y=
-----END CERTIFICATE-----
"""
_AWS_NITRO_ROOT_G1_SHA256 = "641a0321a3e244efe456463195d606317ed7cdcc3c1756e09893f3c68f79bb5b"

MAX_EVIDENCE_BYTES = 64 * 1024  # real documents are ~4.5 KiB
DEFAULT_MAX_CLOCK_SKEW = timedelta(seconds=60)
# attestation_process.md §3.2.2.1 (CDDL and content rules).
_REQUIRED = ("module_id", "digest", "timestamp", "pcrs", "certificate", "cabundle")
_OPTIONAL = ("public_key", "user_data", "nonce")
_OPTIONAL_MAX_BYTES = {"public_key": 1024, "user_data": 1024, "nonce": 512}
_PCR_LENGTHS = frozenset({32, 48, 64})
_MAX_PCR_INDEX = 31
_MAX_CERT_BYTES = 1024
# RFC 5280 §4.2: a certificate with a critical extension we do not process must be refused.
_KNOWN_EXTENSIONS = frozenset(
    {
        ExtensionOID.BASIC_CONSTRAINTS,
        ExtensionOID.KEY_USAGE,
        ExtensionOID.EXTENDED_KEY_USAGE,
        ExtensionOID.SUBJECT_KEY_IDENTIFIER,
        ExtensionOID.AUTHORITY_KEY_IDENTIFIER,
        ExtensionOID.CRL_DISTRIBUTION_POINTS,
        ExtensionOID.SUBJECT_ALTERNATIVE_NAME,
    }
)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class AttestationResult:
    """What verified evidence says, ready for appraisal against reference values."""

    format: AttestationFormat
    module_id: str
    digest: str
    measurements: dict[int, str] = field(hash=False)
    public_key: bytes | None
    user_data: bytes | None
    nonce: bytes | None
    timestamp: datetime
    debug: bool
    warnings: tuple[str, ...]
    root_sha256: str

    @property
    def pcr0(self) -> str:
        """The enclave image measurement (PCR0), lower-case hex."""
        return self.measurements[0]


def aws_nitro_root() -> x509.Certificate:
    """The pinned AWS Nitro Enclaves Root-G1 certificate."""
    root = x509.load_pem_x509_certificate(AWS_NITRO_ROOT_G1_PEM)
    assert certificate_sha256(root) == _AWS_NITRO_ROOT_G1_SHA256
    return root


def certificate_sha256(certificate: x509.Certificate) -> str:
    """SHA-256 of the DER encoding, hex: how roots are pinned and reported."""
    return hashlib.sha256(certificate.public_bytes(serialization.Encoding.DER)).hexdigest()


def verify_attestation(
    evidence: bytes,
    *,
    at: datetime,
    max_age: timedelta,
    trusted_roots: Sequence[x509.Certificate] | None = None,
    evidence_format: AttestationFormat = "nitro",
    allow_debug: bool = False,
    max_clock_skew: timedelta = DEFAULT_MAX_CLOCK_SKEW,
) -> AttestationResult:
    """Verify a Nitro-format attestation document at instant ``at``.

    ``trusted_roots`` defaults to the AWS root for ``nitro``; the ``simulated`` format
    has no default (its root is per install). Raises :class:`EvidenceRejected` with a
    machine-readable ``reason`` on the first failed check.
    """
    if at.tzinfo is None:
        raise ValueError("verify_attestation needs a timezone-aware 'at'")
    if trusted_roots is None:
        if evidence_format != "nitro":
            raise ValueError("the simulated format has no built-in root; pass trusted_roots")
        trusted_roots = [aws_nitro_root()]
    if not trusted_roots:
        # An empty trust store must not mean "trust anything".
        raise EvidenceRejected("unknown-root", "no trusted roots are configured")
    if len(evidence) > MAX_EVIDENCE_BYTES:
        raise EvidenceRejected("malformed-evidence", f"evidence is over {MAX_EVIDENCE_BYTES} bytes")
    message = parse_cose_sign1(evidence)
    document = _parse_document(decode_cbor_strict(message.payload, what="attestation payload"))
    leaf = _load_certificate(document["certificate"], "certificate")
    path = _verify_chain(leaf, document["cabundle"], trusted_roots)
    leaf_key = leaf.public_key()
    if not isinstance(leaf_key, ec.EllipticCurvePublicKey):
        raise EvidenceRejected("unsupported-algorithm", "the signing certificate is not ECDSA")
    verify_es384(leaf_key, message)
    _check_validity(path, at)
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
        root_sha256=certificate_sha256(path[0]),
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


def _load_certificate(der: bytes, what: str) -> x509.Certificate:
    try:
        return x509.load_der_x509_certificate(der)
    except ValueError as exc:
        raise EvidenceRejected("bad-chain", f"{what} holds an unparsable certificate") from exc


def _verify_chain(
    leaf: x509.Certificate, cabundle: list[bytes], trusted_roots: Sequence[x509.Certificate]
) -> list[x509.Certificate]:
    """Check every link from a pinned root down to the leaf; return the path, root first.

    ``cabundle[0]`` is the root (attestation_process.md §3.2.2.1); it is trusted only if
    it is byte-identical to a pinned root, never because the document says so.
    """
    pinned = {root.public_bytes(serialization.Encoding.DER): root for root in trusted_roots}
    root = pinned.get(cabundle[0])
    if root is None:
        raise EvidenceRejected(
            "unknown-root", "the document's root certificate is not a trusted root"
        )
    intermediates = [_load_certificate(der, "cabundle") for der in cabundle[1:]]
    path = [root, *intermediates, leaf]
    for position, (issuer, subject) in enumerate(itertools.pairwise(path)):
        try:
            subject.verify_directly_issued_by(issuer)
        except (InvalidSignature, ValueError, TypeError) as exc:
            raise EvidenceRejected(
                "bad-chain", f"certificate {position + 1} of the chain is not issued by its parent"
            ) from exc
    for position, certificate in enumerate(path[:-1]):
        _check_ca(certificate, cas_below=len(path) - 2 - position)
    _check_leaf(leaf)
    for certificate in path:
        for extension in certificate.extensions:
            if extension.critical and extension.oid not in _KNOWN_EXTENSIONS:
                raise EvidenceRejected(
                    "bad-chain", f"unhandled critical extension {extension.oid.dotted_string}"
                )
    return path


def _extension(certificate: x509.Certificate, kind: type[x509.ExtensionType]) -> Any:
    try:
        return certificate.extensions.get_extension_for_class(kind).value
    except x509.ExtensionNotFound:
        return None


def _check_ca(certificate: x509.Certificate, *, cas_below: int) -> None:
    # RFC 5280 §4.2.1.9 and §4.2.1.3: an issuer must be a CA allowed to sign certificates,
    # with no more CAs below it than its pathLenConstraint.
    constraints = _extension(certificate, x509.BasicConstraints)
    usage = _extension(certificate, x509.KeyUsage)
    if constraints is None or not constraints.ca:
        raise EvidenceRejected("bad-chain", "an issuing certificate is not a CA")
    if constraints.path_length is not None and cas_below > constraints.path_length:
        raise EvidenceRejected("bad-chain", "a CA's path length constraint is exceeded")
    if usage is None or not usage.key_cert_sign:
        raise EvidenceRejected("bad-chain", "an issuing certificate may not sign certificates")


def _check_leaf(leaf: x509.Certificate) -> None:
    constraints = _extension(leaf, x509.BasicConstraints)
    usage = _extension(leaf, x509.KeyUsage)
    if constraints is not None and constraints.ca:
        raise EvidenceRejected("bad-chain", "the signing certificate must not be a CA")
    if usage is not None and not usage.digital_signature:
        raise EvidenceRejected("bad-chain", "the signing certificate may not sign documents")


def _check_validity(path: list[x509.Certificate], at: datetime) -> None:
    for certificate in path:
        if at < certificate.not_valid_before_utc:
            raise EvidenceRejected(
                "chain-not-yet-valid",
                f"certificate {certificate.subject.rfc4514_string()} is not valid before "
                f"{certificate.not_valid_before_utc.isoformat()}",
            )
        if at > certificate.not_valid_after_utc:
            raise EvidenceRejected(
                "expired-chain",
                f"certificate {certificate.subject.rfc4514_string()} expired at "
                f"{certificate.not_valid_after_utc.isoformat()}",
            )
