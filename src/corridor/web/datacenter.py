"""The data center console: vault objects, enclave measurements, attestations, releases, jobs.

The operator sees what the data center holds and did, never what is inside: objects by
size and digest only, attestations and key releases as the chain records them. The one
action is step 4, processing an uploaded transfer in a freshly attested enclave.
"""

from __future__ import annotations

from contextlib import suppress
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from corridor.ledger import LedgerContext, find_entries
from corridor.transfers import CenterContext, ReleaseRefused
from corridor.transfers import center as center_service
from corridor.transfers.listing import count_transfers, get_transfer, list_transfers
from corridor.vault import VaultContext, list_objects
from corridor.web.entries import entry_views
from corridor.web.errors import PageNotFound
from corridor.web.guards import PageRoute, check_csrf, current_session, require_role
from corridor.web.rendering import redirect, render
from corridor.web.timeline import ENTRY_LABELS

router = APIRouter(route_class=PageRoute, include_in_schema=False)
_RECENT = 25
_CHAIN_TYPES = ("attestation.appraised", "key.released", "key.refused", "reference.approved")
_JOB_TYPES = ("job.created", "job.released", "job.measured")


def _center(request: Request) -> CenterContext:
    context: CenterContext = request.app.state.center
    return context


def _recent(ledger: LedgerContext, types: tuple[str, ...]) -> list[object]:
    found = []
    for entry_type in types:
        found.extend(find_entries(context=ledger, entry_type=entry_type))
    found.sort(key=lambda item: item[0], reverse=True)
    return list(entry_views(found[:_RECENT]))


@router.get("/")
def console(request: Request) -> Response:
    """Everything the operator watches, on one page."""
    if current_session(request) is None:
        return redirect("/sign-in")
    require_role(request, "operator")
    center = _center(request)
    ledger: LedgerContext = request.app.state.ledger
    vault: VaultContext = request.app.state.vault
    broker = center.broker
    return render(
        request,
        "datacenter.html",
        transfers=list_transfers(database=center.database, role="center", limit=50),
        counts=count_transfers(database=center.database, role="center"),
        objects=list_objects(context=vault, limit=_RECENT),
        measurement=center.backend.measurement,
        evidence_format=broker.evidence_format,
        approved=sorted(broker.reference_values.allowed(broker.evidence_format)),
        chain=_recent(ledger, _CHAIN_TYPES),
        jobs=_recent(ledger, _JOB_TYPES),
        entry_labels=ENTRY_LABELS,
    )


@router.post("/console/transfers/{transfer}/process")
def process(request: Request, transfer: str, csrf: Annotated[str, Form()] = "") -> Response:
    """Step 4: attest a fresh enclave, release the key if every check holds, process."""
    session = require_role(request, "operator")
    check_csrf(request, session, csrf)
    center = _center(request)
    if get_transfer(database=center.database, transfer=transfer, role="center") is None:
        raise PageNotFound("no such transfer at the data center")
    # The refusal and its reasons are listed on the console.
    with suppress(ReleaseRefused):
        center_service.process_transfer(context=center, transfer=transfer)
    return redirect("/#transfers")
