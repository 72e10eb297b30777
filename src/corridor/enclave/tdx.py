"""Verify Intel TDX DCAP quotes (version 4, ECDSA-P256 attestation key).

Pure. Layout and checks from Intel's "TDX DCAP Quoting Library API" (quote format v4,
§A.3) and "SGX and TDX DCAP ECDSA Quote Verification": the quote is a 48-byte header and
a 584-byte TD report body signed by an attestation key; the attestation key is vouched
for by the Quoting Enclave's REPORT (its REPORTDATA is SHA-256(key || QE auth data)),
which the platform's PCK key signs; the PCK certificate chains to the pinned Intel SGX
Root CA. Intel's signed collateral (:mod:`corridor.enclave.dcap`) then says whether the
platform's TCB and the QE are current. Nothing is re-encoded: every signature is checked
over the bytes received.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from corridor.enclave.chain import (
    PARSE_ERRORS,
    certificate_sha256,
    check_validity,
    der_of,
    pinned_root_for,
    strict_parsing,
    verify_path,
)
from corridor.enclave.dcap import (
    NO_MATCHING_LEVEL,
    TdxCollateral,
    appraise_collateral,
    appraise_qe,
    appraise_tdx_tcb,
    pck_extensions,
    verify_p256_key,
    verify_p256_raw,
)
from corridor.enclave.errors import EvidenceRejected
from corridor.enclave.results import AttestationResult, ClaimValue

# Quote v4 header (§A.3.1) and TD report body (§A.3.2) offsets and sizes.
_HEADER, _BODY = 48, 584
_SIGNED = _HEADER + _BODY
_VERSION, _ECDSA_P256, _TEE_TDX = 4, 2, 0x81
_INTEL_QE_VENDOR_ID = bytes.fromhex("939a7233f79c4ca9940a0db3957f0607")
_QE_REPORT_CERT_DATA, _PCK_CHAIN_CERT_DATA = 6, 5  # certification data types (§A.3.9)
_SGX_REPORT_BYTES = 384
_BODY_FIELDS = (  # name, size in bytes, in order
    ("tee_tcb_svn", 16),
    ("mrseam", 48),
    ("mrsignerseam", 48),
    ("seam_attributes", 8),
    ("td_attributes", 8),
    ("xfam", 8),
    ("mrtd", 48),
    ("mrconfigid", 48),
    ("mrowner", 48),
    ("mrownerconfig", 48),
    ("rtmr0", 48),
    ("rtmr1", 48),
    ("rtmr2", 48),
    ("rtmr3", 48),
    ("report_data", 64),
)
_TD_DEBUG = 1  # TD_ATTRIBUTES bit 0 (TUD.DEBUG), TDX module ABI spec table "TD_ATTRIBUTES"
_MAX_QUOTE_BYTES = 64 * 1024


@dataclass(frozen=True)
class TdxQuote:
    """A parsed quote v4; byte strings are slices of the received bytes."""

    signed: bytes
    version: int
    att_key_type: int
    tee_type: int
    qe_vendor_id: bytes
    body: dict[str, bytes]
    signature: bytes
    attestation_key: bytes
    qe_report: bytes
    qe_report_signature: bytes
    qe_auth_data: bytes
    pck_chain: bytes
    trailing_bytes: int


def _malformed(message: str) -> EvidenceRejected:
    return EvidenceRejected("malformed-evidence", message)


class _Reader:
    def __init__(self, data: bytes, start: int = 0, end: int | None = None) -> None:
        self.data, self.position, self.end = data, start, len(data) if end is None else end

    def take(self, count: int, what: str) -> bytes:
        if count < 0 or self.position + count > self.end:
            raise _malformed(f"quote is truncated in {what}")
        value = self.data[self.position : self.position + count]
        self.position += count
        return value

    def uint(self, size: int, what: str) -> int:
        return int.from_bytes(self.take(size, what), "little")


def parse_quote(data: bytes) -> TdxQuote:
    """Parse a TDX quote v4 strictly: every length must add up exactly.

    Bytes after the signed data are tolerated (Intel's own tools pad quotes) but covered
    by no signature, so they are counted and reported, never read.
    """
    if len(data) > _MAX_QUOTE_BYTES:
        raise _malformed(f"quote is over {_MAX_QUOTE_BYTES} bytes")
    reader = _Reader(data)
    version = reader.uint(2, "header")
    att_key_type = reader.uint(2, "header")
    tee_type = reader.uint(4, "header")
    reader.take(4, "header")  # reserved (QE SVN, PCE SVN in v3)
    qe_vendor_id = reader.take(16, "header")
    reader.take(20, "header")  # user data
    if (version, att_key_type, tee_type) != (_VERSION, _ECDSA_P256, _TEE_TDX):
        raise EvidenceRejected(
            "unsupported-algorithm",
            f"quote is version {version}, key type {att_key_type}, TEE type {tee_type:#x}; "
            "only TDX quote v4 with an ECDSA-P256 key is supported",
        )
    if qe_vendor_id != _INTEL_QE_VENDOR_ID:
        raise _malformed("the quote's QE vendor is not Intel")
    body = {name: reader.take(size, "TD report body") for name, size in _BODY_FIELDS}
    signed_size = reader.uint(4, "signature data length")
    end = reader.position + signed_size
    if end > len(data):
        raise _malformed("signature data runs past the end of the quote")
    signed = _Reader(data, reader.position, end)
    signature = signed.take(64, "quote signature")
    attestation_key = signed.take(64, "attestation key")
    if signed.uint(2, "certification data type") != _QE_REPORT_CERT_DATA:
        raise _malformed("certification data must be the QE report (type 6)")
    if signed.uint(4, "certification data size") != end - signed.position:
        raise _malformed("certification data size does not match the signature data length")
    qe_report = signed.take(_SGX_REPORT_BYTES, "QE report")
    qe_report_signature = signed.take(64, "QE report signature")
    qe_auth_data = signed.take(signed.uint(2, "QE auth data size"), "QE auth data")
    if signed.uint(2, "PCK certification data type") != _PCK_CHAIN_CERT_DATA:
        raise _malformed("the QE's certification data must be a PCK chain (type 5)")
    if signed.uint(4, "PCK chain size") != end - signed.position:
        raise _malformed("PCK chain size does not match the signature data length")
    pck_chain = signed.take(end - signed.position, "PCK chain")
    return TdxQuote(
        signed=data[:_SIGNED],
        version=version,
        att_key_type=att_key_type,
        tee_type=tee_type,
        qe_vendor_id=qe_vendor_id,
        body=body,
        signature=signature,
        attestation_key=attestation_key,
        qe_report=qe_report,
        qe_report_signature=qe_report_signature,
        qe_auth_data=qe_auth_data,
        pck_chain=pck_chain,
        trailing_bytes=len(data) - end,
    )


def _pck_path(quote: TdxQuote, trusted_roots: Sequence[x509.Certificate]) -> list[x509.Certificate]:
    """PCK leaf, PCK CA and root, PEM as in the quote; the PEM must be exactly canonical.

    Requiring the canonical PEM text (RFC 7468 §2 "strict" form, as Intel emits it) means
    a changed byte anywhere in the chain, even in a line break, fails.
    """
    try:
        with strict_parsing():
            certificates = x509.load_pem_x509_certificates(quote.pck_chain)
    except PARSE_ERRORS as exc:
        raise EvidenceRejected("bad-chain", "the PCK chain is not PEM certificates") from exc
    canonical = b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certificates)
    if quote.pck_chain not in {canonical, canonical + b"\x00"} or len(certificates) != 3:  # noqa: PLR2004
        raise EvidenceRejected("bad-chain", "the PCK chain must be exactly leaf, CA and root PEM")
    leaf, issuer, root = certificates
    path = [pinned_root_for(der_of(root), trusted_roots), issuer, leaf]
    verify_path(path)
    return path


def _qe_report_fields(report: bytes) -> dict[str, bytes]:
    # SGX REPORT body (Intel SDM Vol. 3D §38.15): CPUSVN, MISCSELECT, ..., REPORTDATA.
    return {
        "cpu_svn": report[0:16],
        "miscselect": report[16:20],
        "attributes": report[48:64],
        "mrenclave": report[64:96],
        "mrsigner": report[128:160],
        "isv_prod_id": report[256:258],
        "isv_svn": report[258:260],
        "report_data": report[320:384],
    }


def verify_tdx_quote(
    data: bytes,
    *,
    at: datetime,
    collateral: TdxCollateral | None,
    trusted_roots: Sequence[x509.Certificate],
    allow_debug: bool = False,
) -> AttestationResult:
    """Verify a TDX quote v4 and its collateral at ``at``; raise :class:`EvidenceRejected`."""
    quote = parse_quote(data)
    path = _pck_path(quote, trusted_roots)
    root, pck_ca, pck_leaf = path
    check_validity(path, at)
    try:
        key = ec.EllipticCurvePublicNumbers(
            int.from_bytes(quote.attestation_key[:32], "big"),
            int.from_bytes(quote.attestation_key[32:], "big"),
            ec.SECP256R1(),
        ).public_key()
    except ValueError as exc:
        raise EvidenceRejected("bad-signature", "the attestation key is not a P-256 point") from exc
    verify_p256_key(key, quote.signature, quote.signed, what="quote")
    verify_p256_raw(pck_leaf, quote.qe_report_signature, quote.qe_report, what="QE report")
    qe = _qe_report_fields(quote.qe_report)
    binding = hashlib.sha256(quote.attestation_key + quote.qe_auth_data).digest()
    if qe["report_data"] != binding + bytes(32):
        raise EvidenceRejected(
            "bad-signature", "the QE report does not vouch for this attestation key"
        )
    if collateral is None:
        raise EvidenceRejected("missing-collateral", "TDX verification needs Intel's collateral")
    appraised = appraise_collateral(
        collateral, trusted_roots=[root], pck_issuer=pck_ca, pck_leaf=pck_leaf, at=at
    )
    pck = pck_extensions(pck_leaf)
    body = quote.body
    try:
        tcb_status, advisories = appraise_tdx_tcb(
            appraised.tcb_info,
            pck=pck,
            tee_tcb_svn=body["tee_tcb_svn"],
            mrsignerseam=body["mrsignerseam"],
            seam_attributes=body["seam_attributes"],
        )
        qe_status = appraise_qe(
            appraised.qe_identity,
            miscselect=int.from_bytes(qe["miscselect"], "little"),
            attributes=qe["attributes"],
            mrsigner=qe["mrsigner"],
            isv_prod_id=int.from_bytes(qe["isv_prod_id"], "little"),
            isv_svn=int.from_bytes(qe["isv_svn"], "little"),
        )
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
        # Signed by Intel yet not the documented shape: refuse rather than guess.
        raise EvidenceRejected("bad-collateral", f"collateral content is malformed: {exc}") from exc
    if "Revoked" in (tcb_status, qe_status):
        raise EvidenceRejected("revoked", "Intel lists this platform's TCB as revoked")
    debug = bool(int.from_bytes(body["td_attributes"], "little") & _TD_DEBUG)
    if debug and not allow_debug:
        raise EvidenceRejected("debug-mode", "TD_ATTRIBUTES.DEBUG is set: the TD is debuggable")
    warnings = [
        flag
        for flag, present in (
            ("debug-mode", debug),
            (f"tcb-{_kebab(tcb_status)}", tcb_status != "UpToDate"),
            (f"qe-tcb-{_kebab(qe_status)}", qe_status != "UpToDate"),
            ("trailing-bytes", quote.trailing_bytes > 0),
        )
        if present
    ]
    report: dict[str, ClaimValue] = {
        "version": quote.version,
        "att_key_type": quote.att_key_type,
        "tee_type": f"{quote.tee_type:#x}",
        "qe_vendor_id": quote.qe_vendor_id.hex(),
        **{name: value.hex() for name, value in body.items()},
        "attestation_key": quote.attestation_key.hex(),
        "qe_auth_data": quote.qe_auth_data.hex(),
        "qe_report_mrenclave": qe["mrenclave"].hex(),
        "qe_report_mrsigner": qe["mrsigner"].hex(),
        "qe_isvprodid": int.from_bytes(qe["isv_prod_id"], "little"),
        "qe_isvsvn": int.from_bytes(qe["isv_svn"], "little"),
        "fmspc": pck.fmspc,
        "pce_id": pck.pce_id,
        "tcb_status": tcb_status,
        "qe_tcb_status": qe_status,
        "advisory_ids": ",".join(advisories),
        "trailing_bytes": quote.trailing_bytes,
    }
    return AttestationResult(
        format="tdx",
        module_id=f"tdx-fmspc-{pck.fmspc}-ppid-{pck.ppid.hex()}",
        digest="SHA384",
        measurements={
            index: body[name].hex()
            for index, name in enumerate(("mrtd", "rtmr0", "rtmr1", "rtmr2", "rtmr3"))
        },
        public_key=None,
        user_data=body["report_data"],
        nonce=None,
        timestamp=at,
        debug=debug,
        warnings=tuple(warnings),
        root_sha256=certificate_sha256(root),
        valid_from=max(appraised.valid_from, *(c.not_valid_before_utc for c in path)),
        valid_until=min(appraised.valid_until, *(c.not_valid_after_utc for c in path)),
        report=report,
    )


def _kebab(status: str) -> str:
    return _STATUS_FLAGS.get(status, "unknown")


_STATUS_FLAGS = {
    "UpToDate": "up-to-date",
    "SWHardeningNeeded": "sw-hardening-needed",
    "ConfigurationNeeded": "configuration-needed",
    "ConfigurationAndSWHardeningNeeded": "configuration-and-sw-hardening-needed",
    "OutOfDate": "out-of-date",
    "OutOfDateConfigurationNeeded": "out-of-date-configuration-needed",
    NO_MATCHING_LEVEL: "no-matching-level",
}
