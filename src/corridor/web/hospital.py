"""Hospital pages: the transfer desk (hospital A's side) and the clinician viewer (B's side).

One hospital node plays both parts, so its staff sign in as ``desk`` or ``clinician``.
The desk files, uploads and links patients' keys; the viewer opens delivered summaries,
each opening re-checking the consent on the chain and recording ``record.accessed``.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import PlainTextResponse, Response

from corridor.consent import terms_from_resource
from corridor.records import RecordsContext, link_wallet, list_patients
from corridor.transfers import AccessRefused, HospitalContext, TransferDenied
from corridor.transfers import recipient as recipient_service
from corridor.transfers import sender as sender_service
from corridor.transfers.listing import TransferSummary, get_transfer, list_transfers
from corridor.transfers.models import Role
from corridor.web.entries import entry_views
from corridor.web.errors import InvalidWebInput, PageNotFound
from corridor.web.evidence import actor_keys, receipt_badge, receipt_for, trust_json
from corridor.web.guards import PageRoute, check_csrf, current_session, require_role, site_of
from corridor.web.paging import paged_transfers
from corridor.web.rendering import redirect, render, security_headers
from corridor.web.summary_view import resource_count, summary_of
from corridor.web.timeline import ENTRY_LABELS, build_timeline

router = APIRouter(route_class=PageRoute, include_in_schema=False)


def _hospital(request: Request) -> HospitalContext:
    context: HospitalContext = request.app.state.hospital
    return context


def _records(request: Request) -> RecordsContext:
    context: RecordsContext = request.app.state.records
    return context


@router.get("/")
def home(request: Request) -> Response:
    """The desk or the viewer, by the signed-in role."""
    session = current_session(request)
    if session is None:
        return redirect("/sign-in")
    return redirect("/viewer" if session.role == "clinician" else "/desk")


def _listing(request: Request, role: Role) -> Callable[[int, int], list[TransferSummary]]:
    """This hospital's transfers in ``role``, read ``limit`` from ``offset``."""
    database = site_of(request).database

    def fetch(limit: int, offset: int) -> list[TransferSummary]:
        return list_transfers(database=database, role=role, limit=limit, offset=offset)

    return fetch


@router.get("/desk")
def desk(request: Request, page: int = 0) -> Response:
    """Incoming requests, their filing and upload status, and the history (fifty a page)."""
    require_role(request, "desk")
    return render(
        request,
        "desk.html",
        patients=list_patients(context=_records(request)),
        **paged_transfers(_listing(request, "sender"), page),
    )


@router.post("/desk/patients/link")
def link_patient_key(
    request: Request,
    csrf: Annotated[str, Form()] = "",
    patient_id: Annotated[str, Form()] = "",
    did: Annotated[str, Form()] = "",
) -> Response:
    """Link the key a patient shows at the desk to his record (once per patient)."""
    session = require_role(request, "desk")
    check_csrf(request, session, csrf)
    did = did.strip()
    if not did.startswith("did:key:z"):
        raise InvalidWebInput("the patient's identifier is a did:key (it starts with did:key:z)")
    link_wallet(context=_records(request), patient_id=patient_id, did=did)
    return redirect(f"/desk?linked={patient_id}")


def _sender_transfer(request: Request, transfer: str) -> Any:
    item = get_transfer(database=site_of(request).database, transfer=transfer, role="sender")
    if item is None:
        raise PageNotFound("no such transfer at this desk")
    return item


@router.post("/desk/transfers/{transfer}/file")
def file(request: Request, transfer: str, csrf: Annotated[str, Form()] = "") -> Response:
    """Step 2: file with both regulators; a denial is shown with its reasons."""
    session = require_role(request, "desk")
    check_csrf(request, session, csrf)
    _sender_transfer(request, transfer)
    # The denial and its reasons are on the transfer's page.
    with suppress(TransferDenied):
        sender_service.file_transfer(context=_hospital(request).sender, transfer=transfer)
    return redirect(f"/desk/transfers/{transfer}")


@router.post("/desk/transfers/{transfer}/upload")
def upload(request: Request, transfer: str, csrf: Annotated[str, Form()] = "") -> Response:
    """Step 3: extract exactly the consented scope, encrypt and upload it."""
    session = require_role(request, "desk")
    check_csrf(request, session, csrf)
    _sender_transfer(request, transfer)
    sender_service.upload_transfer(context=_hospital(request).sender, transfer=transfer)
    return redirect(f"/desk/transfers/{transfer}")


def _evidence_page(request: Request, transfer: str, template: str, **values: Any) -> Response:
    site = site_of(request)
    entries = entry_views(site.evidence.entries_for_transfer(transfer))
    return render(
        request,
        template,
        timeline=build_timeline(entries),
        entries=entries,
        entry_labels=ENTRY_LABELS,
        trust=trust_json(site.evidence),
        keys=actor_keys(site.resolver, entries),
        **values,
    )


@router.get("/desk/transfers/{transfer}")
def desk_transfer(request: Request, transfer: str) -> Response:
    """One transfer at the desk: decisions with reasons, upload, evidence."""
    require_role(request, "desk")
    item = _sender_transfer(request, transfer)
    return _evidence_page(
        request,
        transfer,
        "desk_transfer.html",
        item=item,
        terms=terms_from_resource(item.consent["resource"]),
        receipt_base=f"/desk/transfers/{transfer}/evidence",
    )


@router.get("/desk/transfers/{transfer}/evidence/{index}/receipt")
def desk_receipt(request: Request, transfer: str, index: int) -> Response:
    """A receipt of one of this transfer's entries."""
    require_role(request, "desk")
    _sender_transfer(request, transfer)
    text = receipt_for(site_of(request).evidence, transfer=transfer, index=index)
    return security_headers(PlainTextResponse(text))


@router.get("/viewer")
def viewer(request: Request, page: int = 0) -> Response:
    """Transfers this hospital received or expects (fifty a page)."""
    require_role(request, "clinician")
    return render(request, "viewer.html", **paged_transfers(_listing(request, "recipient"), page))


@router.post("/viewer/transfers/{transfer}/open")
def open_summary(request: Request, transfer: str, csrf: Annotated[str, Form()] = "") -> Response:
    """Step 5: fetch and verify the delivery if needed, then show it; the view is evidence.

    The answer to a POST, never cached: every showing is one ``record.accessed`` entry,
    and after revocation or expiry only the refusal is shown.
    """
    session = require_role(request, "clinician")
    check_csrf(request, session, csrf)
    site = site_of(request)
    context = _hospital(request).recipient
    item = get_transfer(database=site.database, transfer=transfer, role="recipient")
    if item is None:
        raise PageNotFound("no such transfer for this hospital")
    terms = terms_from_resource(item.consent["resource"])
    try:
        if item.state == "requested":
            recipient_service.receive_transfer(context=context, transfer=transfer)
        shown = recipient_service.open_record(
            context=context, transfer=transfer, viewer=session.subject
        )
    except AccessRefused as exc:
        return render(
            request,
            "viewer_refused.html",
            status_code=403,
            transfer=transfer,
            terms=terms,
            reasons=exc.detail.get("reasons", []),
        )
    delivered = next(
        (ref.index for ref in reversed(item.evidence) if ref.type == "record.delivered"), None
    )
    refreshed = get_transfer(database=site.database, transfer=transfer, role="recipient")
    if delivered is None and refreshed is not None:
        delivered = next(
            (ref.index for ref in refreshed.evidence if ref.type == "record.delivered"), None
        )
    bundle = shown["bundle"]
    return render(
        request,
        "viewer_record.html",
        transfer=transfer,
        terms=terms,
        sections=summary_of(bundle),
        resources=resource_count(bundle),
        manifest=(refreshed.details.get("manifest") if refreshed else None) or {},
        access_index=shown["evidence_index"],
        receipt=receipt_badge(site.evidence, site.resolver, delivered)
        if delivered is not None
        else "pending",
    )
