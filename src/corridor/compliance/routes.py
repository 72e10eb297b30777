"""HTTP API of a regulator's compliance service.

Filings (per transfer and standing), counters, alerts, the chain monitor and the packs.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response, status

from corridor.compliance.alerts import acknowledge_alert, list_alerts, require_alert
from corridor.compliance.counters import reconcile_counters
from corridor.compliance.filings import (
    decide_mechanism_filing,
    invalidate_mechanism_filing,
    list_mechanism_filings,
    require_mechanism_filing,
    submit_mechanism_filing,
)
from corridor.compliance.monitor import MonitorContext, monitor_status, tail_chain
from corridor.compliance.pipia import render_pipia_html, render_pipia_pdf
from corridor.compliance.schemas import (
    FilingRequest,
    FilingResponse,
    MechanismFilingRequest,
    MechanismFilingView,
    ReviewRequest,
)
from corridor.compliance.service import (
    ComplianceContext,
    filing_pipia,
    register_filing,
    require_filing,
    review_filing,
)
from corridor.identity import CallerNotAllowed
from corridor.identity.gate import CallerDep
from corridor.state import from_state

router = APIRouter(prefix="/api/compliance", tags=["compliance"])


def _monitor(request: Request) -> MonitorContext:
    context: MonitorContext = request.app.state.monitor
    return context


ContextDep = Annotated[ComplianceContext, Depends(from_state("compliance"))]
MonitorDep = Annotated[MonitorContext, Depends(_monitor)]


@router.post("/filings", status_code=status.HTTP_201_CREATED)
def file_transfer(body: FilingRequest, context: ContextDep, caller: CallerDep) -> FilingResponse:
    """Register a filing, decide on it and record both on the chain."""
    # A hospital files only as the exporter it is (the party root admits licensed
    # hospitals; docs/identity.md). Operators file on their hospitals' behalf.
    if caller.role != "operator" and body.exporter != caller.did:
        raise CallerNotAllowed("a hospital may only file as the exporter it is")
    return register_filing(context=context, request=body)


@router.get("/filings/{transfer}")
def read_filing(transfer: str, context: ContextDep) -> FilingResponse:
    """The filing and decision for one transfer."""
    return require_filing(context=context, transfer=transfer)


@router.post("/filings/{transfer}/accept")
def accept_filing(transfer: str, body: ReviewRequest, context: ContextDep) -> FilingResponse:
    """An officer accepts a filing awaiting review."""
    return review_filing(context=context, transfer=transfer, accept=True, reason=body.reason)


@router.post("/filings/{transfer}/reject")
def reject_filing(transfer: str, body: ReviewRequest, context: ContextDep) -> FilingResponse:
    """An officer rejects a filing (awaiting review, or withdraws an acceptance)."""
    return review_filing(context=context, transfer=transfer, accept=False, reason=body.reason)


@router.get("/filings/{transfer}/pipia.html")
def pipia_html(transfer: str, context: ContextDep) -> Response:
    """The transfer's PIPIA as an HTML page."""
    report = filing_pipia(context=context, transfer=transfer)
    return Response(render_pipia_html(report), media_type="text/html; charset=utf-8")


@router.get("/filings/{transfer}/pipia.pdf")
def pipia_pdf(transfer: str, context: ContextDep) -> Response:
    """The transfer's PIPIA as a PDF document."""
    report = filing_pipia(context=context, transfer=transfer)
    return Response(render_pipia_pdf(report), media_type="application/pdf")


@router.post("/mechanism-filings", status_code=status.HTTP_201_CREATED)
def file_mechanism(body: MechanismFilingRequest, context: ContextDep) -> MechanismFilingView:
    """File a standard contract, security assessment or certificate (idempotent)."""
    return submit_mechanism_filing(registry=context.registry, request=body)


@router.get("/mechanism-filings")
def mechanism_filings(
    context: ContextDep, exporter: Annotated[str | None, Query()] = None
) -> list[MechanismFilingView]:
    """Every standing filing, optionally of one exporter."""
    return list_mechanism_filings(registry=context.registry, exporter=exporter)


@router.get("/mechanism-filings/{filing_id}")
def mechanism_filing(filing_id: str, context: ContextDep) -> MechanismFilingView:
    """One standing filing."""
    return require_mechanism_filing(registry=context.registry, filing_id=filing_id)


@router.post("/mechanism-filings/{filing_id}/accept")
def accept_mechanism(
    filing_id: str, body: ReviewRequest, context: ContextDep
) -> MechanismFilingView:
    """The regulator accepts a submitted standing filing."""
    return decide_mechanism_filing(
        registry=context.registry, filing_id=filing_id, accept=True, reason=body.reason
    )


@router.post("/mechanism-filings/{filing_id}/reject")
def reject_mechanism(
    filing_id: str, body: ReviewRequest, context: ContextDep
) -> MechanismFilingView:
    """The regulator rejects a submitted standing filing."""
    return decide_mechanism_filing(
        registry=context.registry, filing_id=filing_id, accept=False, reason=body.reason
    )


@router.post("/mechanism-filings/{filing_id}/invalidate")
def invalidate_mechanism(
    filing_id: str, body: ReviewRequest, context: ContextDep
) -> MechanismFilingView:
    """A material change ends a standing filing until it is re-filed (SCM art. 8)."""
    return invalidate_mechanism_filing(
        registry=context.registry, filing_id=filing_id, reason=body.reason
    )


@router.get("/counters")
def counters(context: ContextDep) -> list[dict[str, object]]:
    """Year-to-date counters per handler, reconciled with this regulator's chain entries."""
    return [
        item.to_json()
        for item in reconcile_counters(database=context.database, regulator=context.did)
    ]


@router.get("/alerts")
def alerts(
    context: ContextDep,
    kind: Annotated[str | None, Query()] = None,
    transfer: Annotated[str | None, Query()] = None,
    open_only: Annotated[bool, Query(alias="open")] = False,
) -> list[dict[str, Any]]:
    """Alerts, newest first (filter by kind, transfer, or unacknowledged)."""
    found = list_alerts(
        database=context.database, kind=kind, transfer=transfer, open_only=open_only
    )
    return [alert.to_json() for alert in found]


@router.get("/alerts/{alert_id}")
def alert(alert_id: int, context: ContextDep) -> dict[str, Any]:
    """One alert."""
    return require_alert(database=context.database, alert_id=alert_id).to_json()


@router.post("/alerts/{alert_id}/acknowledge")
def acknowledge(alert_id: int, body: ReviewRequest, context: ContextDep) -> dict[str, Any]:
    """Mark an alert as seen (``reason`` names who looked)."""
    return acknowledge_alert(
        database=context.database, clock=context.clock, alert_id=alert_id, by=body.reason
    ).to_json()


@router.get("/monitor")
def monitor(context: MonitorDep) -> dict[str, Any]:
    """How far this regulator has verified the log."""
    return monitor_status(database=context.database)


@router.post("/monitor/run")
def run_monitor(context: MonitorDep) -> dict[str, Any]:
    """Tail the log now: verify new checkpoints and entries, raise alerts."""
    return tail_chain(context=context).to_json()


@router.get("/packs")
def packs(context: ContextDep) -> list[dict[str, Any]]:
    """The policy packs this regulator loaded: version and digest."""
    return context.packs.describe()
