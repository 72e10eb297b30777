"""The patient portal: request a transfer, sign the consent, follow its evidence, revoke.

The patient's key signs in the browser (``static/corridor.js``) or in his wallet; the
portal only ever receives signed documents. Every page shows this patient's transfers
and nobody else's: a transfer is his when the consent it carries names his did:key.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from corridor.consent import (
    PURPOSES,
    ConsentScope,
    ConsentTerms,
    build_consent_resource,
    consent_digest,
    terms_from_resource,
)
from corridor.errors import CorridorError
from corridor.transfers import PatientRequest, PortalContext, RevocationRequest
from corridor.transfers import portal as portal_service
from corridor.transfers.listing import TransferSummary, get_transfer, transfers_of_patient
from corridor.web.entries import entry_views
from corridor.web.errors import InvalidWebInput, PageNotFound
from corridor.web.evidence import actor_keys, receipt_for, trust_json
from corridor.web.guards import PageRoute, check_csrf, current_session, require_role, site_of
from corridor.web.labels import RESOURCE_LABELS
from corridor.web.paging import paged_transfers
from corridor.web.rendering import redirect, render, security_headers
from corridor.web.sessions import WebSession
from corridor.web.timeline import ENTRY_LABELS, build_timeline

router = APIRouter(route_class=PageRoute, include_in_schema=False)
_DEFAULT_TYPES = ("AllergyIntolerance", "Condition", "MedicationRequest", "Immunization")
_MAX_DAYS = 3650


def _portal(request: Request) -> PortalContext:
    context: PortalContext = request.app.state.portal
    return context


@dataclass(frozen=True)
class PatientTransfer:
    """A transfer of the signed-in patient, with the terms he signed."""

    summary: TransferSummary
    terms: ConsentTerms


def _terms(summary: TransferSummary) -> ConsentTerms:
    return terms_from_resource(summary.consent["resource"])


def _own(request: Request, session: WebSession, transfer: str) -> PatientTransfer:
    """The transfer, if this patient signed its consent; otherwise it does not exist for him."""
    summary = get_transfer(database=site_of(request).database, transfer=transfer, role="portal")
    if summary is None or _terms(summary).patient_did != session.subject:
        raise PageNotFound("no such transfer among yours")
    return PatientTransfer(summary, _terms(summary))


@router.get("/")
def home(request: Request, page: int = 0) -> Response:
    """The patient's transfers, newest first, fifty a page."""
    if current_session(request) is None:
        return redirect("/sign-in")
    session = require_role(request, "patient")
    database = site_of(request).database

    def fetch(limit: int, offset: int) -> list[TransferSummary]:
        return transfers_of_patient(
            database=database, did=session.subject, limit=limit, offset=offset
        )

    return render(request, "portal_home.html", **paged_transfers(fetch, page))


def _hospitals(request: Request) -> list[Any]:
    return [item for item in site_of(request).directory if item.kind == "hospital"]


@router.get("/requests/new")
def new_request(request: Request) -> Response:
    """Step 1: choose the receiving hospital, the purpose and exactly what to share."""
    session = require_role(request, "patient")
    mine = transfers_of_patient(database=site_of(request).database, did=session.subject, limit=1)
    return render(
        request,
        "portal_new.html",
        hospitals=_hospitals(request),
        purposes=list(PURPOSES),
        resource_types=list(RESOURCE_LABELS),
        chosen=set(_DEFAULT_TYPES),
        patient_ref=mine[0].patient_ref if mine else "",
        today=site_of(request).clock.now().date(),
    )


def _date(text: str, name: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidWebInput(f"{name} is not a date (YYYY-MM-DD)") from None


def _days(text: str, name: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise InvalidWebInput(f"{name} must be a whole number of days") from None
    if not 1 <= value <= _MAX_DAYS:
        raise InvalidWebInput(f"{name} must be between 1 and {_MAX_DAYS} days")
    return value


class ConsentForm(BaseModel):
    """The request form: whom, what, why and for how long."""

    csrf: str = ""
    custodian: str = ""
    recipient: str = ""
    patient_ref: str = Field(default="", max_length=128)
    purpose: str = "TREAT"
    types: list[str] = Field(default_factory=list)
    data_from: str = ""
    data_to: str = ""
    retention_days: str = "365"
    valid_days: str = "30"
    cross_border: str = ""
    sensitive: str = ""
    hk_prescribed: str = ""


@router.post("/requests/review")
def review_request(request: Request, form: Annotated[ConsentForm, Form()]) -> Response:
    """The consent the patient is about to sign, in plain words and exactly as signed."""
    session = require_role(request, "patient")
    check_csrf(request, session, form.csrf)
    site = site_of(request)
    if not form.patient_ref.strip():
        raise InvalidWebInput("give your patient number at the hospital that holds your record")
    if not form.cross_border:
        raise InvalidWebInput(
            "a transfer abroad needs your separate consent to cross-border provision (PIPL art. 39)"
        )
    known = {item.did for item in _hospitals(request)}
    if form.custodian not in known or form.recipient not in known:
        raise InvalidWebInput("choose both hospitals from the directory")
    now = site.clock.now()
    try:
        terms = ConsentTerms(
            patient_did=session.subject,
            custodian_did=form.custodian,
            recipient_did=form.recipient,
            purpose=form.purpose,
            scope=ConsentScope(
                resource_types=frozenset(form.types or ()),
                data_from=_date(form.data_from, "the first date"),
                data_to=_date(form.data_to, "the last date"),
            ),
            issued_at=now - timedelta(seconds=5),
            expires_at=now + timedelta(days=_days(form.valid_days, "validity")),
            retention_days=_days(form.retention_days, "retention"),
            cross_border_separate_consent=True,
            sensitive_separate_consent=bool(form.sensitive),
            prescribed_consent_hk=bool(form.hk_prescribed),
            consent_id=f"consent-{uuid.uuid4().hex[:20]}",
        )
    except CorridorError as exc:
        raise InvalidWebInput(exc.message, detail=exc.detail) from exc
    resource = build_consent_resource(terms)
    return render(
        request,
        "portal_review.html",
        terms=terms,
        resource=resource,
        digest=consent_digest(resource),
        patient_ref=form.patient_ref.strip(),
    )


class SignedRequest(BaseModel):
    """The consent the patient's device (or wallet) signed, and his record's reference."""

    model_config = ConfigDict(extra="forbid")

    consent: dict[str, Any]
    patient_ref: str = Field(min_length=1, max_length=128)


@router.post("/requests")
def send_request(request: Request, body: SignedRequest) -> Response:
    """Step 1: hand the signed consent to the portal's corridor service."""
    session = require_role(request, "patient")
    check_csrf(request, session)
    status = portal_service.request_transfer(
        context=_portal(request),
        request=PatientRequest(consent=body.consent, patient_ref=body.patient_ref),
        patient=session.subject,
    )
    return security_headers(JSONResponse({"url": f"/transfers/{status.transfer}"}))


@router.get("/transfers/{transfer}")
def transfer_page(request: Request, transfer: str) -> Response:
    """The five steps of one transfer with their evidence, verifiable in the page."""
    session = require_role(request, "patient")
    own = _own(request, session, transfer)
    site = site_of(request)
    entries = entry_views(site.evidence.entries_for_transfer(transfer))
    return render(
        request,
        "portal_transfer.html",
        item=own,
        timeline=build_timeline(entries),
        entries=entries,
        entry_labels=ENTRY_LABELS,
        trust=trust_json(site.evidence),
        keys=actor_keys(site.resolver, entries),
        receipt_base=f"/transfers/{transfer}/evidence",
    )


@router.get("/transfers/{transfer}/evidence/{index}/receipt")
def receipt(request: Request, transfer: str, index: int) -> Response:
    """The receipt of one entry of this patient's transfer, for the page to verify."""
    session = require_role(request, "patient")
    _own(request, session, transfer)
    text = receipt_for(site_of(request).evidence, transfer=transfer, index=index)
    return security_headers(PlainTextResponse(text))


class SignedRevocationBody(BaseModel):
    """The patient's signed withdrawal."""

    model_config = ConfigDict(extra="forbid")

    revocation: dict[str, Any]


@router.post("/transfers/{transfer}/revocation")
def revoke(request: Request, transfer: str, body: SignedRevocationBody) -> Response:
    """Withdraw consent: the portal puts ``consent.revoked`` on the chain at once."""
    session = require_role(request, "patient")
    check_csrf(request, session)
    _own(request, session, transfer)
    portal_service.revoke_transfer(
        context=_portal(request),
        transfer=transfer,
        request=RevocationRequest(revocation=body.revocation),
        patient=session.subject,
    )
    return security_headers(JSONResponse({"url": f"/transfers/{transfer}"}))
