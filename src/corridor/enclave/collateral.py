"""Assemble TDX and SEV-SNP collateral from the files vendors serve, by their content.

Pure: takes bytes, never paths. Intel PCS serves the TCB info and QE identity as JSON
bodies, their issuer chain as PEM (in an HTTP header), and CRLs as DER or PEM; AMD KDS
serves the VCEK as DER and the ASK/ARK chain as PEM. Each blob is recognised by what it
is (a JSON member name, a certificate's role), so callers can pass a folder's files in
any order. Roots found among them are ignored: trust comes only from pinned roots.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Sequence

from cryptography import x509
from cryptography.utils import CryptographyDeprecationWarning

from corridor.enclave.chain import PARSE_ERRORS, extension_value, is_issued_by
from corridor.enclave.dcap import TdxCollateral
from corridor.enclave.errors import EvidenceRejected
from corridor.enclave.results import AttestationFormat
from corridor.enclave.snp import SnpCollateral

_PEM_CERTIFICATE = b"-----BEGIN CERTIFICATE-----"
_PEM_CRL = b"-----BEGIN X509 CRL-----"


def _missing(message: str) -> EvidenceRejected:
    return EvidenceRejected("missing-collateral", message)


def _certificates(blob: bytes) -> list[x509.Certificate]:
    with warnings.catch_warnings():
        # AMD issues VCEKs with serial number 0, which RFC 5280 §4.1.2.2 forbids and
        # cryptography deprecates; the serial plays no part in verification.
        warnings.simplefilter("ignore", CryptographyDeprecationWarning)
        if _PEM_CERTIFICATE in blob:
            return x509.load_pem_x509_certificates(blob)
        return [x509.load_der_x509_certificate(blob)]


def _crl(blob: bytes) -> x509.CertificateRevocationList | None:
    try:
        if _PEM_CRL in blob:
            return x509.load_pem_x509_crl(blob)
        return x509.load_der_x509_crl(blob)
    except PARSE_ERRORS:
        return None


def _json_member(blob: bytes) -> str | None:
    try:
        value = json.loads(blob)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    if not isinstance(value, dict):
        return None
    for member in ("tcbInfo", "enclaveIdentity"):
        if member in value:
            return member
    return None


def _is_ca(certificate: x509.Certificate) -> bool:
    try:
        constraints = extension_value(certificate, x509.BasicConstraints)
    except PARSE_ERRORS:
        return False
    return constraints is not None and bool(constraints.ca)


def load_tdx_collateral(blobs: Sequence[bytes]) -> TdxCollateral:
    """TCB info, QE identity, certificates and CRLs, from blobs in any order."""
    found: dict[str, bytes] = {}
    certificates: list[x509.Certificate] = []
    crls: list[x509.CertificateRevocationList] = []
    for blob in blobs:
        member = _json_member(blob)
        if member is not None:
            if member in found and found[member] != blob:
                raise _missing(f"several {member} documents; pass only the platform's own")
            found[member] = blob
        elif _PEM_CERTIFICATE in blob:
            try:
                certificates.extend(_certificates(blob))
            except PARSE_ERRORS as exc:
                raise EvidenceRejected(
                    "bad-collateral", "a certificate file does not parse"
                ) from exc
        else:
            crl = _crl(blob)
            if crl is not None:
                crls.append(crl)
    missing = [
        name
        for name, present in (
            ("TCB info", "tcbInfo" in found),
            ("QE identity", "enclaveIdentity" in found),
            ("issuer chain certificates", bool(certificates)),
            ("CRLs", bool(crls)),
        )
        if not present
    ]
    if missing:
        raise _missing(f"TDX collateral lacks: {', '.join(missing)}")
    return TdxCollateral(
        tcb_info=found["tcbInfo"],
        qe_identity=found["enclaveIdentity"],
        certificates=tuple(certificates),
        crls=tuple(crls),
    )


def load_snp_collateral(blobs: Sequence[bytes]) -> SnpCollateral:
    """The VCEK (the one end-entity certificate) and the ASK (the CA that is not a root)."""
    vceks: list[x509.Certificate] = []
    asks: list[x509.Certificate] = []
    for blob in blobs:
        try:
            certificates = _certificates(blob)
        except PARSE_ERRORS:
            continue
        for certificate in certificates:
            if not _is_ca(certificate):
                vceks.append(certificate)
            elif not is_issued_by(certificate, certificate):  # roots are self-signed
                asks.append(certificate)
    if len(vceks) != 1 or len(asks) != 1:
        raise _missing(
            f"SEV-SNP collateral needs exactly one VCEK and one ASK "
            f"(found {len(vceks)} and {len(asks)})"
        )
    return SnpCollateral(vcek=vceks[0], ask=asks[0])


def load_collateral(
    evidence_format: AttestationFormat, blobs: Sequence[bytes]
) -> TdxCollateral | SnpCollateral | None:
    """The collateral ``evidence_format`` needs, or ``None`` for formats that need none."""
    if evidence_format == "tdx":
        return load_tdx_collateral(blobs)
    if evidence_format == "sev-snp":
        return load_snp_collateral(blobs)
    return None
