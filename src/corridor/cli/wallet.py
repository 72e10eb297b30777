"""``corridor wallet``: the patient's key in an encrypted file; sign and revoke consents.

The passphrase comes from ``CORRIDOR_WALLET_PASSPHRASE`` or is asked for (never echoed,
never an option, so it stays out of shell history and process listings).
"""

from __future__ import annotations

import json
import os
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated

import typer

from corridor.cli.common import fail
from corridor.clock import SystemClock, from_rfc3339, to_rfc3339
from corridor.consent import (
    ConsentScope,
    ConsentTerms,
    SignedConsent,
    SignedRevocation,
    sign_consent,
    sign_revocation,
    verify_revocation,
    verify_signed_consent,
)
from corridor.crypto.canonical import canonical_json, parse_json
from corridor.errors import CorridorError
from corridor.identity import create_wallet, open_wallet, wallet_info

PASSPHRASE_ENV = "CORRIDOR_WALLET_PASSPHRASE"  # noqa: S105  # the variable's name, not a secret

app = typer.Typer(
    name="wallet",
    help="A patient's wallet: an encrypted did:key file that signs and revokes consents.",
    no_args_is_help=True,
)

WalletOption = Annotated[
    Path, typer.Option("--wallet", "-w", help="the wallet file", envvar="CORRIDOR_WALLET")
]


@app.callback()
def wallet() -> None:
    """Create a wallet, sign consents and revocations with it, verify what it signed."""


def _passphrase(*, confirm: bool = False) -> bytes:
    value = os.environ.get(PASSPHRASE_ENV)
    if value is None:
        value = typer.prompt("wallet passphrase", hide_input=True, confirmation_prompt=confirm)
    if not value:
        raise fail("the wallet passphrase must not be empty")
    return value.encode()


def _write(out: Path, data: bytes) -> None:
    try:
        fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        raise fail(f"{out} exists already") from None
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def _read_json(path: Path) -> object:
    try:
        return parse_json(path.read_bytes())
    except OSError as exc:
        raise fail(f"cannot read {path}: {exc.strerror}") from exc


@app.command("create")
def create(wallet: WalletOption = Path("wallet.json")) -> None:
    """Generate a new Ed25519 key and seal it (Argon2id + AES-256-GCM) into a new file."""
    try:
        create_wallet(wallet, _passphrase(confirm=True))
        info = wallet_info(wallet)
    except CorridorError as exc:
        raise fail(exc.diagnostics()) from exc
    print(json.dumps({"wallet": str(wallet), "did": info.did, "kid": info.kid}, indent=2))


@app.command("show")
def show(wallet: WalletOption = Path("wallet.json")) -> None:
    """Print the wallet's did:key (no passphrase needed)."""
    try:
        info = wallet_info(wallet)
    except CorridorError as exc:
        raise fail(exc.diagnostics()) from exc
    print(json.dumps({"wallet": str(wallet), "did": info.did, "kid": info.kid}, indent=2))


@app.command("sign-consent")
def sign(  # Typer maps each keyword to an option
    *,
    custodian: Annotated[str, typer.Option(help="DID of the hospital holding the record")],
    recipient: Annotated[str, typer.Option(help="DID of the hospital that may receive it")],
    resource_type: Annotated[
        list[str], typer.Option("--type", help="a FHIR resource type in scope (repeat)")
    ],
    out: Annotated[Path, typer.Option(help="where to write the signed consent (new file)")],
    wallet: WalletOption = Path("wallet.json"),
    purpose: Annotated[str, typer.Option(help="purpose code (TREAT, COC, HRESCH...)")] = "TREAT",
    data_from: Annotated[str | None, typer.Option(help="first clinical date (YYYY-MM-DD)")] = None,
    data_to: Annotated[str | None, typer.Option(help="last clinical date (YYYY-MM-DD)")] = None,
    record: Annotated[
        list[str] | None,
        typer.Option(help="only this resource, as Type/id (repeat; default: all in scope)"),
    ] = None,
    days: Annotated[int, typer.Option(help="the consent expires after this many days")] = 30,
    retention_days: Annotated[int, typer.Option(help="how long B may keep the data")] = 365,
    cross_border: Annotated[
        bool, typer.Option(help="separate consent to cross-border provision (PIPL art. 39)")
    ] = True,
    sensitive: Annotated[
        bool, typer.Option(help="separate consent for sensitive data (PIPL art. 29)")
    ] = True,
    hk_prescribed: Annotated[
        bool, typer.Option(help="prescribed consent for a new purpose (PDPO DPP3)")
    ] = False,
    consent_id: Annotated[str | None, typer.Option(help="identifier of the consent")] = None,
) -> None:
    """Sign a FHIR Consent for one transfer with the wallet's key (detached JWS, RFC 8785)."""
    now = SystemClock().now()
    try:
        key = open_wallet(wallet, _passphrase())
        terms = ConsentTerms(
            patient_did=wallet_info(wallet).did,
            custodian_did=custodian,
            recipient_did=recipient,
            purpose=purpose,
            scope=ConsentScope(
                resource_types=frozenset(resource_type),
                data_from=date.fromisoformat(data_from) if data_from else None,
                data_to=date.fromisoformat(data_to) if data_to else None,
                record_ids=frozenset(record or ()),
            ),
            issued_at=now,
            expires_at=now + timedelta(days=days),
            retention_days=retention_days,
            cross_border_separate_consent=cross_border,
            sensitive_separate_consent=sensitive,
            prescribed_consent_hk=hk_prescribed,
            consent_id=consent_id or f"consent-{now.strftime('%Y%m%d%H%M%S')}",
        )
        signed = sign_consent(terms, key)
    except ValueError as exc:
        raise fail(f"a date is not YYYY-MM-DD: {exc}") from exc
    except CorridorError as exc:
        raise fail(exc.diagnostics()) from exc
    _write(out, signed.to_bytes())
    digest = verify_signed_consent(signed).digest
    print(json.dumps({"consent": str(out), "digest": digest, "id": terms.consent_id}, indent=2))


@app.command("revoke")
def revoke(
    consent: Annotated[Path, typer.Argument(help="the signed consent to withdraw")],
    out: Annotated[Path, typer.Option(help="where to write the signed revocation (new file)")],
    wallet: WalletOption = Path("wallet.json"),
    reason: Annotated[str, typer.Option(help="why (at most 500 characters)")] = "",
) -> None:
    """Sign the withdrawal of a consent (PIPL art. 15); send it to the portal."""
    try:
        verified = verify_signed_consent(SignedConsent.from_bytes(consent.read_bytes()))
        key = open_wallet(wallet, _passphrase())
        revocation = sign_revocation(verified, key, revoked_at=SystemClock().now(), reason=reason)
    except OSError as exc:
        raise fail(f"cannot read {consent}: {exc.strerror}") from exc
    except CorridorError as exc:
        raise fail(exc.diagnostics()) from exc
    _write(out, canonical_json(revocation.to_json()))
    print(json.dumps({"revocation": str(out), "consent": verified.digest}, indent=2))


@app.command("verify")
def verify(
    file: Annotated[Path, typer.Argument(help="a signed consent or revocation")],
    wallet: Annotated[
        Path | None, typer.Option("--wallet", "-w", help="also require this wallet as signer")
    ] = None,
    consent: Annotated[Path | None, typer.Option(help="the consent a revocation withdraws")] = None,
    at: Annotated[str | None, typer.Option(help="report validity at this RFC 3339 time")] = None,
) -> None:
    """Check a consent's or revocation's signature offline (and who signed it)."""
    try:
        instant = from_rfc3339(at) if at else SystemClock().now()
    except ValueError as exc:
        raise fail(f"--at is not an RFC 3339 timestamp with offset: {at}") from exc
    try:
        if consent is None:
            verified = verify_signed_consent(SignedConsent.from_bytes(file.read_bytes()))
            signer, digest = verified.terms.patient_did, verified.digest
            summary = {
                "kind": "consent",
                "valid_now": verified.terms.issued_at <= instant < verified.terms.expires_at,
                "expires_at": to_rfc3339(verified.terms.expires_at),
            }
        else:
            withdrawn = verify_signed_consent(SignedConsent.from_bytes(consent.read_bytes()))
            revocation = verify_revocation(SignedRevocation.from_json(_read_json(file)), withdrawn)
            signer, digest = revocation.patient_did, revocation.digest
            summary = {"kind": "revocation", "consent": withdrawn.digest}
        if wallet is not None and wallet_info(wallet).did != signer:
            raise fail(f"{file} is not signed by the wallet {wallet}")
    except OSError as exc:
        raise fail(f"cannot read: {exc.strerror}") from exc
    except CorridorError as exc:
        raise fail(exc.diagnostics()) from exc
    print(json.dumps({"status": "valid", "signer": signer, "digest": digest, **summary}, indent=2))
