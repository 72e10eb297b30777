"""``corridor consent``: check a patient's signed consent offline."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from corridor.cli.common import fail
from corridor.clock import SystemClock, from_rfc3339, to_rfc3339
from corridor.consent import SignedConsent, evaluate_consent, verify_signed_consent
from corridor.errors import CorridorError

app = typer.Typer(
    name="consent",
    help="Verify signed patient consents (FHIR Consent + detached JWS).",
    no_args_is_help=True,
)


@app.callback()
def consent() -> None:
    """Verify signed patient consents offline."""


@app.command("verify")
def verify(
    file: Annotated[Path, typer.Argument(help="a consent.json written by the demo or portal")],
    at: Annotated[
        str | None,
        typer.Option(help="check validity at this RFC 3339 instant instead of now"),
    ] = None,
    recipient: Annotated[str | None, typer.Option(help="also require this recipient DID")] = None,
) -> None:
    """Check signature, patient DID, canonical form and validity in time; print the terms."""
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise fail(f"cannot read {file}: {exc.strerror}") from exc
    try:
        instant = from_rfc3339(at) if at is not None else SystemClock().now()
    except ValueError as exc:
        raise fail(f"--at is not an RFC 3339 timestamp with offset: {at}") from exc
    try:
        consent = verify_signed_consent(SignedConsent.from_bytes(data))
    except CorridorError as exc:
        raise fail(exc.diagnostics()) from exc
    terms = consent.terms
    decision = evaluate_consent(
        consent,
        at=instant,
        recipient_did=recipient or terms.recipient_did,
        revoked=False,
        needs_cross_border_consent=False,
    )
    if not decision.allowed:
        raise fail("; ".join(decision.reasons))
    summary = {
        "status": "valid",
        "checked_at": to_rfc3339(instant),
        "consent_id": terms.consent_id,
        "digest": consent.digest,
        "patient": terms.patient_did,
        "custodian": terms.custodian_did,
        "recipient": terms.recipient_did,
        "purpose": terms.purpose,
        "scope": terms.scope.to_json(),
        "issued_at": to_rfc3339(terms.issued_at),
        "expires_at": to_rfc3339(terms.expires_at),
        "retention_days": terms.retention_days,
        "cross_border_separate_consent": terms.cross_border_separate_consent,
        "sensitive_separate_consent": terms.sensitive_separate_consent,
        "prescribed_consent_hk": terms.prescribed_consent_hk,
    }
    print(json.dumps(summary, indent=2))
