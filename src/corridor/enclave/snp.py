"""Verify AMD SEV-SNP attestation reports signed by the chip's VCEK.

Pure. Layout from AMD's "SEV Secure Nested Paging Firmware ABI Specification" (pub.
56860) Table 22 ``ATTESTATION_REPORT``: 0x2A0 bytes of report signed with ECDSA P-384 /
SHA-384, the signature's ``r`` and ``s`` stored as 72-byte little-endian integers. The
signing key is the Versioned Chip Endorsement Key, whose certificate (from AMD's Key
Distribution Service) names the chip (``hwID``) and the TCB it was derived for, and chains
VCEK <- ASK <- ARK with RSASSA-PSS (AMD "VCEK Certificate and KDS Interface
Specification" pub. 57230 §3). The ARK is the pinned trust anchor; the evidence does not
carry it. Nothing is re-encoded: the signature is checked over the bytes received.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.utils import CryptographyDeprecationWarning

from corridor.enclave import der
from corridor.enclave.chain import (
    certificate_sha256,
    check_validity,
    pinned_issuer_of,
    verify_path,
)
from corridor.enclave.errors import EvidenceRejected
from corridor.enclave.results import AttestationResult, ClaimValue

REPORT_BYTES = 0x4A0
_SIGNED_BYTES = 0x2A0
_COMPONENT_BYTES = 72  # r and s are each 72 bytes little-endian, only 48 significant
_P384_BYTES = 48
_ECDSA_P384_SHA384 = 1
_SUPPORTED_VERSIONS = range(2, 6)
_POLICY_DEBUG = 1 << 19  # GUEST_POLICY.DEBUG (ABI spec Table 9)
_MASK_CHIP_ID = 1 << 1  # report flags: MASK_CHIP_ID
_SIGNING_KEY_SHIFT, _SIGNING_KEY_MASK = 2, 0b111  # 0 = VCEK, 1 = VLEK
# AMD pub. 57230 §3.1: VCEK extensions.
_AMD = "1.3.6.1.4.1.3704.1"
_HWID = f"{_AMD}.4"
_TCB_EXTENSIONS = {  # extension -> byte of TCB_VERSION (Milan/Genoa layout)
    f"{_AMD}.3.1": ("bl_spl", 0),
    f"{_AMD}.3.2": ("tee_spl", 1),
    f"{_AMD}.3.3": ("snp_spl", 6),
    f"{_AMD}.3.8": ("ucode_spl", 7),
}


@dataclass(frozen=True)
class SnpCollateral:
    """The certificates that vouch for a report: the chip's VCEK and AMD's ASK."""

    vcek: x509.Certificate
    ask: x509.Certificate


def _u32(report: bytes, offset: int) -> int:
    return int.from_bytes(report[offset : offset + 4], "little")


def _u64(report: bytes, offset: int) -> int:
    return int.from_bytes(report[offset : offset + 8], "little")


def report_fields(report: bytes) -> dict[str, ClaimValue]:
    """The report's fields (ABI spec Table 22): integers, or hex of the bytes as stored."""
    return {
        "version": _u32(report, 0x00),
        "guest_svn": _u32(report, 0x04),
        "policy": f"{_u64(report, 0x08):#x}",
        "family_id": report[0x10:0x20].hex(),
        "image_id": report[0x20:0x30].hex(),
        "vmpl": _u32(report, 0x30),
        "signature_algo": _u32(report, 0x34),
        "current_tcb": report[0x38:0x40].hex(),
        "platform_info": f"{_u64(report, 0x40):#x}",
        "flags": f"{_u32(report, 0x48):#x}",
        "report_data": report[0x50:0x90].hex(),
        "measurement": report[0x90:0xC0].hex(),
        "host_data": report[0xC0:0xE0].hex(),
        "id_key_digest": report[0xE0:0x110].hex(),
        "author_key_digest": report[0x110:0x140].hex(),
        "report_id": report[0x140:0x160].hex(),
        "report_id_ma": report[0x160:0x180].hex(),
        "reported_tcb": report[0x180:0x188].hex(),
        "chip_id": report[0x1A0:0x1E0].hex(),
        "committed_tcb": report[0x1E0:0x1E8].hex(),
        "launch_tcb": report[0x1F0:0x1F8].hex(),
    }


def _load_vcek_extensions(vcek: x509.Certificate) -> dict[str, der.Node]:
    found: dict[str, der.Node] = {}
    for extension in vcek.extensions:
        if extension.oid.dotted_string.startswith(_AMD + "."):
            value = extension.value
            assert isinstance(value, x509.UnrecognizedExtension)
            # hwID is the raw chip id; the TCB members are DER INTEGERs.
            found[extension.oid.dotted_string] = (
                der.Node(tag=der.OCTET_STRING, content=value.value)
                if extension.oid.dotted_string == _HWID
                else der.decode(value.value)
            )
    return found


def _check_vcek(vcek: x509.Certificate, report: bytes, flags: int) -> None:
    """The VCEK must be this chip's, derived for the TCB the report names."""
    key = vcek.public_key()
    if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SECP384R1):
        raise EvidenceRejected("unsupported-algorithm", "the VCEK is not an ECDSA P-384 key")
    extensions = _load_vcek_extensions(vcek)
    if not flags & _MASK_CHIP_ID:
        hwid = extensions.get(_HWID)
        if hwid is None or hwid.content != report[0x1A0:0x1E0]:
            raise EvidenceRejected("tcb-mismatch", "the VCEK belongs to another chip")
    reported = report[0x180:0x188]
    for oid, (name, index) in _TCB_EXTENSIONS.items():
        node = extensions.get(oid)
        if node is None or node.as_int() != reported[index]:
            raise EvidenceRejected(
                "tcb-mismatch", f"the VCEK was derived for another TCB ({name} differs)"
            )


def verify_snp_report(
    report: bytes,
    *,
    at: datetime,
    collateral: SnpCollateral | None,
    trusted_roots: Sequence[x509.Certificate],
    allow_debug: bool = False,
) -> AttestationResult:
    """Verify an SEV-SNP report, its VCEK and the chain to a pinned ARK at ``at``."""
    if len(report) != REPORT_BYTES:
        raise EvidenceRejected(
            "malformed-evidence", f"an SNP report is {REPORT_BYTES} bytes, not {len(report)}"
        )
    version, algorithm = _u32(report, 0x00), _u32(report, 0x34)
    if version not in _SUPPORTED_VERSIONS or algorithm != _ECDSA_P384_SHA384:
        raise EvidenceRejected(
            "unsupported-algorithm",
            f"report version {version} with signature algorithm {algorithm} is not supported",
        )
    flags = _u32(report, 0x48)
    if (flags >> _SIGNING_KEY_SHIFT) & _SIGNING_KEY_MASK != 0:
        raise EvidenceRejected("unsupported-algorithm", "only VCEK-signed reports are supported")
    signature = report[_SIGNED_BYTES:]
    r_bytes = signature[:_COMPONENT_BYTES]
    s_bytes = signature[_COMPONENT_BYTES : 2 * _COMPONENT_BYTES]
    # Reserved bytes (the high halves of r and s, and the tail) must be zero (ABI Table 23).
    if any(r_bytes[_P384_BYTES:] + s_bytes[_P384_BYTES:] + signature[2 * _COMPONENT_BYTES :]):
        raise EvidenceRejected("malformed-evidence", "reserved signature bytes are not zero")
    if collateral is None:
        raise EvidenceRejected("missing-collateral", "SEV-SNP verification needs the VCEK and ASK")
    ark = pinned_issuer_of(collateral.ask, trusted_roots)
    path = [ark, collateral.ask, collateral.vcek]
    with warnings.catch_warnings():
        # AMD issues VCEKs with serial number 0, which RFC 5280 §4.1.2.2 forbids and
        # cryptography deprecates; the serial plays no part in this verification.
        warnings.simplefilter("ignore", CryptographyDeprecationWarning)
        verify_path(path)
    check_validity(path, at)
    key = collateral.vcek.public_key()
    _check_vcek(collateral.vcek, report, flags)
    assert isinstance(key, ec.EllipticCurvePublicKey)
    r = int.from_bytes(r_bytes, "little")
    s = int.from_bytes(s_bytes, "little")
    try:
        key.verify(encode_dss_signature(r, s), report[:_SIGNED_BYTES], ec.ECDSA(hashes.SHA384()))
    except InvalidSignature as exc:
        raise EvidenceRejected("bad-signature", "the report signature does not verify") from exc
    debug = bool(_u64(report, 0x08) & _POLICY_DEBUG)
    if debug and not allow_debug:
        raise EvidenceRejected("debug-mode", "the guest policy allows debugging")
    return AttestationResult(
        format="sev-snp",
        module_id=f"sev-snp-chip-{report[0x1A0:0x1E0].hex()}",
        digest="SHA384",
        measurements={0: report[0x90:0xC0].hex()},
        public_key=None,
        user_data=report[0x50:0x90],
        nonce=None,
        timestamp=at,
        debug=debug,
        warnings=("debug-mode",) if debug else (),
        root_sha256=certificate_sha256(ark),
        valid_from=max(c.not_valid_before_utc for c in path),
        valid_until=min(c.not_valid_after_utc for c in path),
        report=report_fields(report),
    )
