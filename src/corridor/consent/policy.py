"""Does a verified consent allow this flow, now? A pure function with reasons.

Every check runs and every failure is reported, so that a refusal names all its causes
(the patient portal shows them, the key broker writes them to the chain).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from corridor.clock import to_rfc3339
from corridor.consent.errors import ConsentRefused, InvalidConsent
from corridor.consent.models import ConsentScope
from corridor.consent.signing import VerifiedConsent


@dataclass(frozen=True)
class ConsentDecision:
    """Whether the consent allows the flow; ``reasons`` explains every refusal."""

    allowed: bool
    reasons: tuple[str, ...]


def evaluate_consent(
    consent: VerifiedConsent,
    *,
    at: datetime,
    recipient_did: str,
    requested: ConsentScope | None = None,
    revoked: bool,
    purpose: str | None = None,
    needs_cross_border_consent: bool = True,
    needs_sensitive_consent: bool = False,
    needs_prescribed_consent_hk: bool = False,
) -> ConsentDecision:
    """Evaluate ``consent`` for a flow to ``recipient_did`` at instant ``at``.

    ``needs_cross_border_consent`` defaults to true because every Corridor flow crosses a
    border (PIPL art. 39 asks a separate consent for it); the compliance decision says
    whether the data is sensitive (PIPL art. 29) or the importing side is Hong Kong and
    the use is a new purpose (PDPO Sch. 1 DPP3, prescribed consent).
    """
    if at.tzinfo is None:
        raise InvalidConsent("evaluation time must be timezone-aware")
    terms = consent.terms
    reasons: list[str] = []
    if revoked:
        reasons.append("the patient revoked this consent")
    if at < terms.issued_at:
        reasons.append(f"consent is not valid before {to_rfc3339(terms.issued_at)}")
    if at >= terms.expires_at:
        reasons.append(f"consent expired at {to_rfc3339(terms.expires_at)}")
    if recipient_did != terms.recipient_did:
        reasons.append(f"consent names recipient {terms.recipient_did}, not {recipient_did}")
    if purpose is not None and purpose != terms.purpose:
        reasons.append(f"consent is for purpose {terms.purpose}, not {purpose}")
    if requested is not None:
        reasons.extend(_scope_reasons(terms.scope, requested))
    reasons.extend(
        _separate_consent_reasons(
            consent,
            cross_border=needs_cross_border_consent,
            sensitive=needs_sensitive_consent,
            prescribed_hk=needs_prescribed_consent_hk,
        )
    )
    return ConsentDecision(allowed=not reasons, reasons=tuple(reasons))


def _scope_reasons(consented: ConsentScope, requested: ConsentScope) -> list[str]:
    if consented.covers(requested):
        return []
    extra = sorted(requested.resource_types - consented.resource_types)
    if extra:
        return [f"resource types outside the consent: {', '.join(extra)}"]
    return ["requested dates fall outside the consented date range"]


def _separate_consent_reasons(
    consent: VerifiedConsent, *, cross_border: bool, sensitive: bool, prescribed_hk: bool
) -> list[str]:
    terms = consent.terms
    reasons: list[str] = []
    if cross_border and not terms.cross_border_separate_consent:
        reasons.append("no separate consent to cross-border provision (PIPL art. 39)")
    if sensitive and not terms.sensitive_separate_consent:
        reasons.append("no separate consent to processing sensitive data (PIPL art. 29)")
    if prescribed_hk and not terms.prescribed_consent_hk:
        reasons.append("no prescribed consent for the new purpose (PDPO Sch. 1 DPP3)")
    return reasons


def require_consent_allows(
    consent: VerifiedConsent,
    *,
    at: datetime,
    recipient_did: str,
    requested: ConsentScope | None = None,
    revoked: bool,
    purpose: str | None = None,
    needs_cross_border_consent: bool = True,
    needs_sensitive_consent: bool = False,
    needs_prescribed_consent_hk: bool = False,
) -> ConsentDecision:
    """Like :func:`evaluate_consent` but raise :class:`ConsentRefused` on any refusal."""
    decision = evaluate_consent(
        consent,
        at=at,
        recipient_did=recipient_did,
        requested=requested,
        revoked=revoked,
        purpose=purpose,
        needs_cross_border_consent=needs_cross_border_consent,
        needs_sensitive_consent=needs_sensitive_consent,
        needs_prescribed_consent_hk=needs_prescribed_consent_hk,
    )
    if not decision.allowed:
        raise ConsentRefused(decision.reasons)
    return decision
