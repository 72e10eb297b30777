"""Intel DCAP collateral: PCK certificate facts, signed TCB info and QE identity, CRLs.

Pure. A TDX quote proves only that *some* Intel platform signed it; whether that
platform's firmware and the Quoting Enclave are current is decided by collateral Intel's
Provisioning Certification Service (PCS) publishes and signs: the TCB info for the
platform's FMSPC, the QE identity, and the revocation lists of the PCK CA and the root CA
(Intel "SGX and TDX DCAP ECDSA Quote Verification", PCS API v4 ``/tdx/certification/v4/
tcb``, ``/qe/identity``, ``/pckcrl``). The JSON signatures cover the exact bytes of the
inner object as served, so they are checked on the received bytes, never re-serialised.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from corridor.clock import from_rfc3339
from corridor.enclave import der
from corridor.enclave.chain import check_validity, is_issued_by, verify_path
from corridor.enclave.errors import EvidenceReason, EvidenceRejected

# Intel "SGX PCK Certificate and CRL Profile" §1.3.5: the SGX extensions and their members.
_SGX_EXTENSIONS = "1.2.840.113741.1.13.1"
_PPID, _TCB, _PCE_ID, _FMSPC, _SGX_TYPE = (f"{_SGX_EXTENSIONS}.{n}" for n in range(1, 6))
_COMPONENTS = 16
_TCB_INFO_ID, _TCB_INFO_VERSION = "TDX", 3
_QE_IDENTITY_ID, _QE_IDENTITY_VERSION = "TD_QE", 2
_P256_COORDINATE_BYTES = 32
# PCS "tcbStatus" values, best first (PCS API v4, TCB info v3 "tcbLevels").
TCB_STATUSES = (
    "UpToDate",
    "SWHardeningNeeded",
    "ConfigurationNeeded",
    "ConfigurationAndSWHardeningNeeded",
    "OutOfDate",
    "OutOfDateConfigurationNeeded",
    "Revoked",
)
NO_MATCHING_LEVEL = "NoMatchingLevel"


@dataclass(frozen=True)
class PckExtensions:
    """The platform facts the PCK certificate carries."""

    ppid: bytes
    component_svns: tuple[int, ...]
    pce_svn: int
    cpu_svn: bytes
    pce_id: str
    fmspc: str
    sgx_type: int


@dataclass(frozen=True)
class TdxCollateral:
    """What Intel PCS serves for one platform, exactly as received.

    ``tcb_info`` and ``qe_identity`` are the response bodies; ``certificates`` are those of
    the issuer-chain headers (the "Intel SGX TCB Signing" certificate among them) and
    ``crls`` the PCK CA's and the root CA's revocation lists, in any order: each is picked
    by the key that verifies it, never by the name it claims.
    """

    tcb_info: bytes
    qe_identity: bytes
    certificates: tuple[x509.Certificate, ...]
    crls: tuple[x509.CertificateRevocationList, ...]


@dataclass(frozen=True)
class AppraisedCollateral:
    """Collateral whose signatures, chains and freshness were checked."""

    tcb_info: dict[str, Any]
    qe_identity: dict[str, Any]
    valid_from: datetime
    valid_until: datetime


def _bad(message: str) -> EvidenceRejected:
    return EvidenceRejected("bad-collateral", message)


def pck_extensions(certificate: x509.Certificate) -> PckExtensions:
    """Decode the SGX extensions of a PCK certificate."""
    try:
        raw = certificate.extensions.get_extension_for_oid(
            x509.ObjectIdentifier(_SGX_EXTENSIONS)
        ).value
    except x509.ExtensionNotFound as exc:
        raise EvidenceRejected("bad-chain", "the PCK certificate has no SGX extensions") from exc
    assert isinstance(raw, x509.UnrecognizedExtension)
    members = der.oid_map(der.decode(raw.value))
    try:
        tcb = der.oid_map(members[_TCB])
        svns = tuple(tcb[f"{_TCB}.{n}"].as_int() for n in range(1, _COMPONENTS + 1))
        return PckExtensions(
            ppid=members[_PPID].as_bytes(),
            component_svns=svns,
            pce_svn=tcb[f"{_TCB}.17"].as_int(),
            cpu_svn=tcb[f"{_TCB}.18"].as_bytes(),
            pce_id=members[_PCE_ID].as_bytes().hex(),
            fmspc=members[_FMSPC].as_bytes().hex(),
            sgx_type=members[_SGX_TYPE].as_int(),
        )
    except KeyError as exc:
        raise EvidenceRejected("bad-chain", f"the PCK certificate lacks {exc.args[0]}") from exc


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _bad(f"collateral JSON repeats the key {key!r}")
        result[key] = value
    return result


def _skip_space(text: str, index: int) -> int:
    while index < len(text) and text[index] in " \t\r\n":
        index += 1
    return index


def top_level_members(body: bytes) -> dict[str, tuple[Any, bytes]]:
    """Each member of a JSON object: its parsed value and the exact bytes of that value."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _bad("collateral is not UTF-8") from exc
    decoder = json.JSONDecoder(object_pairs_hook=_no_duplicates)
    members: dict[str, tuple[Any, bytes]] = {}
    try:
        index = _skip_space(text, 0)
        if text[index] != "{":
            raise _bad("collateral must be a JSON object")
        index = _skip_space(text, index + 1)
        while text[index] != "}":
            key, index = decoder.raw_decode(text, index)
            index = _skip_space(text, index)
            if not isinstance(key, str) or key in members or text[index] != ":":
                raise _bad("collateral object is malformed")
            start = _skip_space(text, index + 1)
            value, index = decoder.raw_decode(text, start)
            members[key] = (value, text[start:index].encode("utf-8"))
            index = _skip_space(text, index)
            if text[index] == ",":
                index = _skip_space(text, index + 1)
            elif text[index] != "}":
                raise _bad("collateral object is malformed")
    except (IndexError, json.JSONDecodeError) as exc:
        raise _bad(f"collateral is not valid JSON: {exc}") from exc
    if _skip_space(text, index + 1) != len(text):
        raise _bad("collateral has trailing data")
    return members


@dataclass(frozen=True)
class SignedJson:
    """A PCS body ``{member: {...}, "signature": hex(r||s)}`` split as received."""

    value: dict[str, Any]
    signed_bytes: bytes
    signature: bytes


def parse_signed_json(body: bytes, member: str) -> SignedJson:
    """Split a PCS body; the signature covers the member's exact bytes."""
    members = top_level_members(body)
    if set(members) != {member, "signature"}:
        raise _bad(f"collateral must be exactly {{{member}, signature}}")
    value, exact = members[member]
    signature_hex = members["signature"][0]
    if not isinstance(value, dict) or not isinstance(signature_hex, str):
        raise _bad(f"{member} or its signature has the wrong type")
    return SignedJson(
        value=value, signed_bytes=exact, signature=_signature_of(signature_hex, member)
    )


def _signature_of(signature_hex: str, member: str) -> bytes:
    # PCS serves lower-case hex; any other spelling is refused so that the signature
    # field has exactly one accepted form.
    try:
        signature = bytes.fromhex(signature_hex)
    except ValueError as exc:
        raise _bad(f"{member} signature is not hex") from exc
    if signature.hex() != signature_hex:
        raise _bad(f"{member} signature must be lower-case hex")
    return signature


def _signer_of(
    body: bytes, member: str, candidates: Sequence[x509.Certificate]
) -> tuple[x509.Certificate, dict[str, Any]]:
    """The candidate whose key verifies ``body``'s signature, and the verified member."""
    signed = parse_signed_json(body, member)
    for certificate in candidates:
        try:
            verify_p256_raw(
                certificate,
                signed.signature,
                signed.signed_bytes,
                what=member,
                reason="bad-collateral",
            )
        except EvidenceRejected:
            continue
        return certificate, signed.value
    raise _bad(f"no TCB signing certificate issued by the root verifies the {member}")


def verify_p256_raw(
    certificate: x509.Certificate,
    signature: bytes,
    message: bytes,
    *,
    what: str,
    reason: EvidenceReason = "bad-signature",
) -> None:
    """ECDSA P-256/SHA-256 over ``message`` with a raw ``r||s`` signature (64 bytes)."""
    key = certificate.public_key()
    if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SECP256R1):
        raise EvidenceRejected("unsupported-algorithm", f"{what} signer is not an ECDSA P-256 key")
    verify_p256_key(key, signature, message, what=what, reason=reason)


def verify_p256_key(
    key: ec.EllipticCurvePublicKey,
    signature: bytes,
    message: bytes,
    *,
    what: str,
    reason: EvidenceReason = "bad-signature",
) -> None:
    """As :func:`verify_p256_raw`, with the public key itself."""
    if len(signature) != 2 * _P256_COORDINATE_BYTES:
        raise EvidenceRejected(reason, f"{what} signature must be 64 bytes (r||s)")
    r = int.from_bytes(signature[:_P256_COORDINATE_BYTES], "big")
    s = int.from_bytes(signature[_P256_COORDINATE_BYTES:], "big")
    try:
        key.verify(encode_dss_signature(r, s), message, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature as exc:
        raise EvidenceRejected(reason, f"{what} signature does not verify") from exc


def check_crl(
    crl: x509.CertificateRevocationList,
    issuer: x509.Certificate,
    at: datetime,
    *,
    revokes: Sequence[x509.Certificate],
    what: str,
    signature_checked: bool = False,
) -> tuple[datetime, datetime]:
    """Verify ``crl`` under ``issuer`` and at ``at``; none of ``revokes`` may be on it."""
    key = issuer.public_key()
    # The signature first: only then are the CRL's names trusted enough to parse.
    if (
        not isinstance(key, ec.EllipticCurvePublicKey)
        or not (signature_checked or crl.is_signature_valid(key))
        or crl.issuer != issuer.subject
    ):
        raise _bad(f"{what} is not signed by {issuer.subject.rfc4514_string()}")
    next_update = crl.next_update_utc
    if next_update is None:
        raise _bad(f"{what} has no nextUpdate")
    if not crl.last_update_utc <= at <= next_update:
        raise EvidenceRejected(
            "stale-collateral", f"{what} is valid {crl.last_update_utc} .. {next_update}"
        )
    for certificate in revokes:
        if crl.get_revoked_certificate_by_serial_number(certificate.serial_number) is not None:
            raise EvidenceRejected(
                "revoked", f"{certificate.subject.rfc4514_string()} is revoked by the {what}"
            )
    return crl.last_update_utc, next_update


def _window(value: dict[str, Any], what: str, at: datetime) -> tuple[datetime, datetime]:
    try:
        issued, next_update = from_rfc3339(value["issueDate"]), from_rfc3339(value["nextUpdate"])
    except (KeyError, TypeError, ValueError) as exc:
        raise _bad(f"{what} has no valid issueDate/nextUpdate") from exc
    if not issued <= at <= next_update:
        raise EvidenceRejected("stale-collateral", f"{what} is valid {issued} .. {next_update}")
    return issued, next_update


def appraise_collateral(
    collateral: TdxCollateral,
    *,
    trusted_roots: Sequence[x509.Certificate],
    pck_issuer: x509.Certificate,
    pck_leaf: x509.Certificate,
    at: datetime,
) -> AppraisedCollateral:
    """Check the collateral's chains, signatures, revocation and freshness at ``at``."""
    root = trusted_roots[0]
    issued = [c for c in collateral.certificates if is_issued_by(c, root)]
    signer, tcb_info = _signer_of(collateral.tcb_info, "tcbInfo", issued)
    qe_signer, qe_identity = _signer_of(collateral.qe_identity, "enclaveIdentity", issued)
    for certificate in {signer, qe_signer}:
        verify_path([root, certificate])
        check_validity([root, certificate], at)
    root_crl = _crl_signed_by(collateral.crls, root, "root CA CRL")
    pck_crl = _crl_signed_by(collateral.crls, pck_issuer, "PCK CRL")
    windows = [
        check_crl(
            root_crl,
            root,
            at,
            revokes=[pck_issuer, signer, qe_signer],
            what="root CA CRL",
            signature_checked=True,
        ),
        check_crl(
            pck_crl, pck_issuer, at, revokes=[pck_leaf], what="PCK CRL", signature_checked=True
        ),
    ]
    if (tcb_info.get("id"), tcb_info.get("version")) != (_TCB_INFO_ID, _TCB_INFO_VERSION):
        raise _bad("the TCB info is not TDX TCB info version 3")
    if (qe_identity.get("id"), qe_identity.get("version")) != (
        _QE_IDENTITY_ID,
        _QE_IDENTITY_VERSION,
    ):
        raise _bad("the QE identity is not the TD_QE identity version 2")
    windows.append(_window(tcb_info, "TCB info", at))
    windows.append(_window(qe_identity, "QE identity", at))
    windows.extend((c.not_valid_before_utc, c.not_valid_after_utc) for c in (signer, qe_signer))
    return AppraisedCollateral(
        tcb_info=tcb_info,
        qe_identity=qe_identity,
        valid_from=max(start for start, _ in windows),
        valid_until=min(end for _, end in windows),
    )


def _crl_signed_by(
    crls: Sequence[x509.CertificateRevocationList], issuer: x509.Certificate, what: str
) -> x509.CertificateRevocationList:
    key = issuer.public_key()
    if isinstance(key, ec.EllipticCurvePublicKey):
        for crl in crls:
            if crl.is_signature_valid(key):
                return crl
    raise EvidenceRejected("missing-collateral", f"no {what} signed by its CA was given")


@dataclass(frozen=True)
class TcbAppraisal:
    """The platform's TCB status per Intel's collateral, with its advisories."""

    status: str
    advisory_ids: tuple[str, ...]
    qe_status: str


def _svns(level: dict[str, Any], name: str) -> list[int]:
    try:
        values = [int(component["svn"]) for component in level["tcb"][name]]
    except (KeyError, TypeError, ValueError) as exc:
        raise _bad(f"a TCB level lacks {name}") from exc
    if len(values) != _COMPONENTS:
        raise _bad(f"a TCB level must list {_COMPONENTS} {name}")
    return values


def _hex(value: Any, what: str) -> bytes:
    try:
        return bytes.fromhex(str(value))
    except ValueError as exc:
        raise _bad(f"{what} is not hex") from exc


def appraise_tdx_tcb(
    tcb_info: dict[str, Any],
    *,
    pck: PckExtensions,
    tee_tcb_svn: bytes,
    mrsignerseam: bytes,
    seam_attributes: bytes,
) -> tuple[str, tuple[str, ...]]:
    """The TCB status of a TD per TCB info v3 (first level whose every SVN is met).

    Intel's algorithm (as implemented by go-tdx-guest ``verify.go`` and Intel's QVL): the
    FMSPC and PCE id must match, MRSIGNERSEAM and the masked SEAM attributes must be the
    TDX module's; then the first level whose SGX component SVNs, PCESVN and TDX component
    SVNs are all met decides. From TDX 1.5 (``TEE_TCB_SVN[1] > 0``) the first two TDX
    components identify the module and are appraised against ``tdxModuleIdentities``.
    """
    if tcb_info.get("fmspc", "").lower() != pck.fmspc or tcb_info.get("pceId", "") != pck.pce_id:
        raise EvidenceRejected("tcb-mismatch", "the TCB info is for another platform (FMSPC/PCE)")
    module = tcb_info.get("tdxModule")
    if not isinstance(module, dict):
        raise _bad("the TCB info has no tdxModule")
    mask = _hex(module.get("attributesMask"), "tdxModule.attributesMask")
    masked = bytes(a & b for a, b in zip(seam_attributes, mask, strict=False))
    if _hex(module.get("mrsigner"), "tdxModule.mrsigner") != mrsignerseam or masked != _hex(
        module.get("attributes"), "tdxModule.attributes"
    ):
        raise EvidenceRejected("tcb-mismatch", "the TDX module is not the one Intel lists")
    start = 2 if tee_tcb_svn[1] > 0 else 0
    levels = tcb_info.get("tcbLevels")
    if not isinstance(levels, list) or not levels:
        raise _bad("the TCB info lists no TCB levels")
    for level in levels:
        sgx, tdx = _svns(level, "sgxtcbcomponents"), _svns(level, "tdxtcbcomponents")
        if (
            all(have >= need for have, need in zip(pck.component_svns, sgx, strict=True))
            and pck.pce_svn >= int(level["tcb"].get("pcesvn", 1 << 16))
            and all(tee_tcb_svn[i] >= tdx[i] for i in range(start, _COMPONENTS))
        ):
            status = str(level.get("tcbStatus", ""))
            if status not in TCB_STATUSES:
                raise _bad(f"unknown TCB status {status!r}")
            if start:
                status = _worse(status, _module_status(tcb_info, tee_tcb_svn))
            return status, tuple(str(a) for a in level.get("advisoryIDs", []))
    return NO_MATCHING_LEVEL, ()


def _module_status(tcb_info: dict[str, Any], tee_tcb_svn: bytes) -> str:
    wanted = f"TDX_{tee_tcb_svn[1]:02X}"
    for identity in tcb_info.get("tdxModuleIdentities", []):
        if isinstance(identity, dict) and identity.get("id") == wanted:
            for level in identity.get("tcbLevels", []):
                if tee_tcb_svn[0] >= int(level["tcb"]["isvsvn"]):
                    return str(level.get("tcbStatus", "Revoked"))
            return NO_MATCHING_LEVEL
    raise EvidenceRejected("tcb-mismatch", f"the TCB info lists no TDX module {wanted}")


def _worse(first: str, second: str) -> str:
    order = [*TCB_STATUSES, NO_MATCHING_LEVEL]
    rank = {status: position for position, status in enumerate(order)}
    return max(first, second, key=lambda status: rank.get(status, len(order)))


def appraise_qe(
    identity: dict[str, Any],
    *,
    miscselect: int,
    attributes: bytes,
    mrsigner: bytes,
    isv_prod_id: int,
    isv_svn: int,
) -> str:
    """The Quoting Enclave's status per the signed QE identity; a foreign QE is refused."""
    misc_mask = int.from_bytes(_hex(identity.get("miscselectMask"), "miscselectMask"), "little")
    misc = int.from_bytes(_hex(identity.get("miscselect"), "miscselect"), "little")
    attribute_mask = _hex(identity.get("attributesMask"), "attributesMask")
    masked = bytes(a & b for a, b in zip(attributes, attribute_mask, strict=False))
    if (
        miscselect & misc_mask != misc
        or len(attribute_mask) != len(attributes)
        or masked != _hex(identity.get("attributes"), "attributes")
        or mrsigner != _hex(identity.get("mrsigner"), "mrsigner")
        or isv_prod_id != identity.get("isvprodid")
    ):
        raise EvidenceRejected("tcb-mismatch", "the quoting enclave is not Intel's TD QE")
    for level in identity.get("tcbLevels", []):
        if isv_svn >= int(level["tcb"]["isvsvn"]):
            return str(level.get("tcbStatus", "Revoked"))
    return NO_MATCHING_LEVEL
