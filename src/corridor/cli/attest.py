"""``corridor attest``: verify attestation evidence offline and print what it says."""

from __future__ import annotations

import base64
import binascii
import json
import string
import sys
from datetime import timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from cryptography import x509

from corridor.clock import SystemClock, from_rfc3339
from corridor.enclave import AttestationResult, EvidenceRejected, verify_attestation

app = typer.Typer(help="Verify TEE attestation evidence.", no_args_is_help=True)


@app.callback()
def attest() -> None:
    """Verify TEE attestation evidence (AWS Nitro documents and Corridor's simulated ones)."""


# Raw COSE_Sign1 starts with an array of 4 (0x84) or tag 18 then the array (0xD2 0x84).
_CBOR_STARTS = (b"\x84", b"\xd2\x84")
_HEX = frozenset(string.hexdigits)


class EvidenceFormat(StrEnum):
    """Formats ``verify`` understands (tdx and sev-snp come later)."""

    nitro = "nitro"
    simulated = "simulated"


def read_evidence(data: bytes) -> bytes:
    """Accept raw CBOR, or the same bytes as hex or base64 (standard or url-safe) text."""
    if data.startswith(_CBOR_STARTS):
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


def result_json(result: AttestationResult) -> dict[str, Any]:
    """The printed form: Nitro's field names, bytes as hex, absent values as null."""
    return {
        "format": result.format,
        "module_id": result.module_id,
        "digest": result.digest,
        "timestamp": result.timestamp.isoformat().replace("+00:00", "Z"),
        "pcrs": {str(index): value for index, value in result.measurements.items()},
        "public_key": _hex_or_null(result.public_key),
        "user_data": _hex_or_null(result.user_data),
        "nonce": _hex_or_null(result.nonce),
        "debug": result.debug,
        "warnings": list(result.warnings),
        "root_sha256": result.root_sha256,
    }


def _load_roots(paths: list[Path]) -> list[x509.Certificate]:
    roots: list[x509.Certificate] = []
    for path in paths:
        try:
            roots.extend(x509.load_pem_x509_certificates(path.read_bytes()))
        except (OSError, ValueError) as exc:
            raise typer.BadParameter(f"cannot read root certificates from {path}") from exc
    return roots


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
        typer.Option(help="PEM root(s) to trust (default for nitro: the pinned AWS root)."),
    ] = None,
    allow_debug: Annotated[
        bool, typer.Option("--allow-debug", help="Accept debug-mode enclaves.")
    ] = False,
    max_age_seconds: Annotated[
        int, typer.Option(help="Refuse documents older than this at --at.")
    ] = 3 * 3600,
) -> None:
    """Verify one attestation document; print its claims as JSON or exit 1 with the reason."""
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
    try:
        result = verify_attestation(
            read_evidence(data),
            at=instant,
            max_age=timedelta(seconds=max_age_seconds),
            trusted_roots=roots or None,
            evidence_format=evidence_format.value,
            allow_debug=allow_debug,
        )
    except EvidenceRejected as exc:
        print(json.dumps({"verified": False, "reason": exc.reason, "message": exc.message}))
        print(f"verification failed ({exc.reason}): {exc.message}", file=sys.stderr)
        raise typer.Exit(code=1) from exc
    print(json.dumps({"verified": True, **result_json(result)}, indent=2))
