"""``corridor attest``: verify attestation evidence offline and print what it says."""

from __future__ import annotations

import base64
import binascii
import json
import string
import sys
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from cryptography import x509

from corridor.clock import SystemClock, from_rfc3339
from corridor.enclave import (
    AttestationFormat,
    AttestationResult,
    EvidenceRejected,
    load_collateral,
    verify_attestation,
)

app = typer.Typer(help="Verify TEE attestation evidence.", no_args_is_help=True)


@app.callback()
def attest() -> None:
    """Verify TEE attestation evidence (AWS Nitro, Intel TDX, AMD SEV-SNP, simulated)."""


# Raw COSE_Sign1 starts with an array of 4 (0x84) or tag 18 then the array (0xD2 0x84);
# a raw TDX quote v4 with an ECDSA-P256 key with 04 00 02 00; a raw SNP report with its
# little-endian version (2 to 5).
_RAW_STARTS = (
    b"\x84",
    b"\xd2\x84",
    b"\x04\x00\x02\x00",
    *(bytes([version, 0, 0, 0]) for version in range(2, 6)),
)
_HEX = frozenset(string.hexdigits)


class EvidenceFormat(StrEnum):
    """Formats ``verify`` understands."""

    nitro = "nitro"
    tdx = "tdx"
    sev_snp = "sev-snp"
    simulated = "simulated"


_FORMATS: dict[EvidenceFormat, AttestationFormat] = {
    EvidenceFormat.nitro: "nitro",
    EvidenceFormat.tdx: "tdx",
    EvidenceFormat.sev_snp: "sev-snp",
    EvidenceFormat.simulated: "simulated",
}


def read_evidence(data: bytes) -> bytes:
    """Accept raw bytes (CBOR, quote, report), or the same as hex or base64 text."""
    if data.startswith(_RAW_STARTS):
        return data
    text = b"".join(data.split()).decode("ascii", errors="replace")
    if text and len(text) % 2 == 0 and set(text) <= _HEX:
        return bytes.fromhex(text)
    normalised = text.replace("-", "+").replace("_", "/")
    try:
        return base64.b64decode(normalised + "=" * (-len(normalised) % 4), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise typer.BadParameter("evidence is neither CBOR, hex nor base64") from exc


def _hex_or_null(value: bytes | None) -> str | None:
    return None if value is None else value.hex()


def _instant(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat().replace("+00:00", "Z")


def result_json(result: AttestationResult) -> dict[str, Any]:
    """The printed form: Nitro's field names, bytes as hex, absent values as null.

    ``pcrs`` (Nitro's name) and ``measurements`` are the same registers by index; ``report``
    holds a TDX quote's or SNP report's other fields.
    """
    registers = {str(index): value for index, value in result.measurements.items()}
    return {
        "format": result.format,
        "module_id": result.module_id,
        "digest": result.digest,
        "timestamp": _instant(result.timestamp),
        "pcrs": registers,
        "measurements": registers,
        "public_key": _hex_or_null(result.public_key),
        "user_data": _hex_or_null(result.user_data),
        "nonce": _hex_or_null(result.nonce),
        "debug": result.debug,
        "warnings": list(result.warnings),
        "root_sha256": result.root_sha256,
        "valid_from": _instant(result.valid_from),
        "valid_until": _instant(result.valid_until),
        "report": dict(result.report),
    }


def _load_roots(paths: list[Path]) -> list[x509.Certificate]:
    roots: list[x509.Certificate] = []
    for path in paths:
        try:
            roots.extend(x509.load_pem_x509_certificates(path.read_bytes()))
        except (OSError, ValueError) as exc:
            raise typer.BadParameter(f"cannot read root certificates from {path}") from exc
    return roots


def _read_collateral(paths: list[Path]) -> list[bytes]:
    blobs: list[bytes] = []
    for path in paths:
        files = sorted(p for p in path.iterdir() if p.is_file()) if path.is_dir() else [path]
        for file in files:
            try:
                blobs.append(file.read_bytes())
            except OSError as exc:
                raise typer.BadParameter(f"cannot read {file}: {exc.strerror}") from exc
    return blobs


@app.command("verify")
def verify(
    file: Annotated[Path, typer.Argument(help="Evidence: raw CBOR, hex or base64.")],
    *,
    evidence_format: Annotated[
        EvidenceFormat, typer.Option("--format", help="Evidence format.")
    ] = EvidenceFormat.nitro,
    at: Annotated[
        str | None, typer.Option(help="Check validity at this RFC 3339 instant (default: now).")
    ] = None,
    root: Annotated[
        list[Path] | None,
        typer.Option(help="PEM root(s) to trust (default: the pinned AWS, Intel or AMD root)."),
    ] = None,
    collateral: Annotated[
        list[Path] | None,
        typer.Option(
            help="TDX: Intel PCS TCB info, QE identity, issuer chain, CRLs; SEV-SNP: VCEK "
            "and ASK. Files or folders, in any order."
        ),
    ] = None,
    allow_debug: Annotated[
        bool, typer.Option("--allow-debug", help="Accept debug-mode enclaves.")
    ] = False,
    max_age_seconds: Annotated[
        int, typer.Option(help="Refuse documents older than this at --at.")
    ] = 3 * 3600,
) -> None:
    """Verify attestation evidence; print its claims as JSON or exit 1 with the reason.

    TDX quotes and SEV-SNP reports carry no timestamp, so ``--max-age-seconds`` applies to
    Nitro and simulated documents only.
    """
    try:
        instant = from_rfc3339(at) if at else SystemClock().now()
    except ValueError as exc:
        raise typer.BadParameter(f"--at is not RFC 3339: {exc}") from exc
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise typer.BadParameter(f"cannot read {file}: {exc.strerror}") from exc
    roots = _load_roots(root or [])
    if evidence_format is EvidenceFormat.simulated and not roots:
        raise typer.BadParameter("the simulated format needs --root (the install's root PEM)")
    chosen = _FORMATS[evidence_format]
    try:
        result = verify_attestation(
            read_evidence(data),
            at=instant,
            max_age=timedelta(seconds=max_age_seconds),
            trusted_roots=roots or None,
            evidence_format=chosen,
            allow_debug=allow_debug,
            collateral=load_collateral(chosen, _read_collateral(collateral or [])),
        )
    except EvidenceRejected as exc:
        print(json.dumps({"verified": False, "reason": exc.reason, "message": exc.message}))
        print(f"verification failed ({exc.reason}): {exc.message}", file=sys.stderr)
        raise typer.Exit(code=1) from exc
    print(json.dumps({"verified": True, **result_json(result)}, indent=2))
