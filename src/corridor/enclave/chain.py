"""X.509 certificate paths of attestation evidence: pinned roots, links, profiles, validity.

Pure. Every TEE vendor roots its evidence in one certificate authority (AWS Nitro
Enclaves Root-G1, Intel SGX Root CA, AMD ARK); a path is trusted only when its root is
byte-identical to (or, for AMD, whose evidence carries no root, issued by) a pinned root,
never because the evidence says so. Checks follow RFC 5280 §6.1 in the small: each link's
signature, CA basic constraints and key usage on issuers (§4.2.1.9, §4.2.1.3), path length
constraints, refusal of unhandled critical extensions (§4.2) and validity at an injected
instant (§4.1.2.5).
"""

from __future__ import annotations

import hashlib
import itertools
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.utils import CryptographyDeprecationWarning
from cryptography.x509.oid import ExtensionOID

from corridor.enclave import der
from corridor.enclave.errors import EvidenceRejected

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


PARSE_ERRORS = (
    ValueError,
    TypeError,
    x509.InvalidVersion,
    x509.DuplicateExtension,
    UnsupportedAlgorithm,
    CryptographyDeprecationWarning,
)
"""What ``cryptography`` raises for bytes that are not a well-formed certificate or CRL."""


@contextmanager
def strict_parsing() -> Iterator[None]:
    """Turn ``cryptography``'s leniency warnings (e.g. a non-positive serial) into errors.

    RFC 5280 §4.1.2.2 requires positive serial numbers; ``cryptography`` still parses
    others with a deprecation warning. Evidence from Nitro and Intel is refused instead.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("error", CryptographyDeprecationWarning)
        yield


def certificate_sha256(certificate: x509.Certificate) -> str:
    """SHA-256 of the DER encoding, hex: how roots are pinned and reported."""
    return hashlib.sha256(certificate.public_bytes(serialization.Encoding.DER)).hexdigest()


def der_of(certificate: x509.Certificate) -> bytes:
    """The DER bytes of ``certificate``."""
    return certificate.public_bytes(serialization.Encoding.DER)


def load_der_certificate(der: bytes, what: str) -> x509.Certificate:
    """Parse one DER certificate or raise ``bad-chain``."""
    try:
        with strict_parsing():
            return x509.load_der_x509_certificate(der)
    except PARSE_ERRORS as exc:
        raise EvidenceRejected("bad-chain", f"{what} holds an unparsable certificate") from exc


def pinned_root_for(
    candidate: bytes, trusted_roots: Sequence[x509.Certificate]
) -> x509.Certificate:
    """The pinned root whose DER is exactly ``candidate``, or raise ``unknown-root``."""
    for root in trusted_roots:
        if der_of(root) == candidate:
            return root
    raise EvidenceRejected("unknown-root", "the evidence's root certificate is not a trusted root")


def pinned_issuer_of(
    certificate: x509.Certificate, trusted_roots: Sequence[x509.Certificate]
) -> x509.Certificate:
    """The pinned root that directly issued ``certificate`` (evidence that carries no root).

    Only signatures are checked here (names are compared inside ``cryptography``), so
    nothing of an unverified certificate is parsed in Python.
    """
    for root in trusted_roots:
        if is_issued_by(certificate, root):
            return root
    raise EvidenceRejected("unknown-root", "no trusted root issued the evidence's certificates")


def is_issued_by(certificate: x509.Certificate, issuer: x509.Certificate) -> bool:
    """Whether ``issuer``'s key signed ``certificate`` and the names chain."""
    try:
        certificate.verify_directly_issued_by(issuer)
    except (InvalidSignature, *PARSE_ERRORS):
        return False
    return True


def verify_path(path: Sequence[x509.Certificate]) -> None:
    """Check every link of ``path`` (root first, leaf last) and the certificates' profiles."""
    for position, (issuer, subject) in enumerate(itertools.pairwise(path)):
        try:
            subject.verify_directly_issued_by(issuer)
        except (InvalidSignature, *PARSE_ERRORS) as exc:
            raise EvidenceRejected(
                "bad-chain", f"certificate {position + 1} of the chain is not issued by its parent"
            ) from exc
    for certificate in path:
        _check_unsigned_parts(certificate)
    for position, certificate in enumerate(path[:-1]):
        _check_ca(certificate, cas_below=len(path) - 2 - position)
    _check_leaf(path[-1])
    for certificate in path:
        for extension in certificate.extensions:
            if extension.critical and extension.oid not in _KNOWN_EXTENSIONS:
                raise EvidenceRejected(
                    "bad-chain", f"unhandled critical extension {extension.oid.dotted_string}"
                )


def check_validity(path: Sequence[x509.Certificate], at: datetime) -> None:
    """Every certificate of ``path`` must be valid at ``at`` (bounds inclusive)."""
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


def common_name(name: x509.Name) -> str:
    """The first CN of ``name``, or an empty string."""
    values = name.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    return str(values[0].value) if values else ""


def extension_value(certificate: x509.Certificate, kind: type[x509.ExtensionType]) -> Any:
    """The value of a standard extension, or ``None`` when absent."""
    try:
        return certificate.extensions.get_extension_for_class(kind).value
    except x509.ExtensionNotFound:
        return None


def _check_unsigned_parts(certificate: x509.Certificate) -> None:
    # RFC 5280 §4.1.1.2: the outer signatureAlgorithm, which no signature covers, MUST be
    # the same AlgorithmIdentifier as the signed ``tbsCertificate.signature``.
    outer = der.decode(der_of(certificate), levels=2)
    tbs = outer.children[0] if outer.children else None
    if len(outer.children) != 3 or tbs is None or tbs.tag != der.SEQUENCE:  # noqa: PLR2004
        raise EvidenceRejected("bad-chain", "a certificate is not a DER Certificate")
    signed = [child for child in tbs.children if child.tag == der.SEQUENCE]
    algorithm = outer.children[1]
    if not signed or (signed[0].tag, signed[0].content) != (algorithm.tag, algorithm.content):
        raise EvidenceRejected(
            "bad-chain", "a certificate's signature algorithm differs from the signed one"
        )
    # The signature BIT STRING is whole octets (RFC 5280 §4.1.1.3): its "unused bits"
    # octet, outside every signature, must be zero.
    value = outer.children[2]
    if value.tag != der.BIT_STRING or not value.content or value.content[0] != 0:
        raise EvidenceRejected("bad-chain", "a certificate's signature is not a whole BIT STRING")


def _check_ca(certificate: x509.Certificate, *, cas_below: int) -> None:
    # RFC 5280 §4.2.1.9 and §4.2.1.3: an issuer must be a CA allowed to sign certificates,
    # with no more CAs below it than its pathLenConstraint.
    constraints = extension_value(certificate, x509.BasicConstraints)
    usage = extension_value(certificate, x509.KeyUsage)
    if constraints is None or not constraints.ca:
        raise EvidenceRejected("bad-chain", "an issuing certificate is not a CA")
    if constraints.path_length is not None and cas_below > constraints.path_length:
        raise EvidenceRejected("bad-chain", "a CA's path length constraint is exceeded")
    if usage is None or not usage.key_cert_sign:
        raise EvidenceRejected("bad-chain", "an issuing certificate may not sign certificates")


def _check_leaf(leaf: x509.Certificate) -> None:
    constraints = extension_value(leaf, x509.BasicConstraints)
    usage = extension_value(leaf, x509.KeyUsage)
    if constraints is not None and constraints.ca:
        raise EvidenceRejected("bad-chain", "the signing certificate must not be a CA")
    if usage is not None and not usage.digital_signature:
        raise EvidenceRejected("bad-chain", "the signing certificate may not sign documents")
