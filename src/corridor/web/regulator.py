"""The regulator's console: flows, counters, filings, alerts, PIPIA, the chain explorer.

Counters are plotted against the thresholds; the explorer's proofs are checked by the
officer's browser.

A regulator sees its own registry in full and, of the chain, what everyone may see:
entries hold digests and commitments only. The explorer shows the latest cosigned
checkpoint: when the other regulator's cosignature verifies on it in the page, the
other side witnessed exactly the same history (C2SP tlog-witness).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import PlainTextResponse, Response

from corridor.compliance import ComplianceContext, FilingResponse
from corridor.compliance.alerts import acknowledge_alert, list_alerts
from corridor.compliance.console import (
    counter_standings,
    daily_flows,
    flows_by_category,
    list_filings,
)
from corridor.compliance.service import filing_pipia, get_filing, review_filing
from corridor.errors import CorridorError
from corridor.ledger import WitnessContext, witnessed_logs
from corridor.web.charts import Bar, Gauge, horizontal_bars, log_gauges, stacked_bars
from corridor.web.entries import entry_views
from corridor.web.errors import InvalidWebInput, PageNotFound
from corridor.web.evidence import actor_keys, receipt_for, trust_json
from corridor.web.guards import PageRoute, check_csrf, current_session, require_role, site_of
from corridor.web.i18n import Translator, mark
from corridor.web.rendering import language_of, redirect, render, security_headers
from corridor.web.timeline import ENTRY_LABELS, build_timeline

router = APIRouter(route_class=PageRoute, include_in_schema=False)
_EXPLORER_ENTRIES = 20
CATEGORY_LABELS = {
    "health": mark("Health data"),
    "sensitive": mark("Other sensitive data"),
    "minors": mark("Minors under 14"),
    "general": mark("General personal data"),
    "anonymised": mark("Anonymised"),
}


def _compliance(request: Request) -> ComplianceContext:
    context: ComplianceContext = request.app.state.compliance
    return context


@router.get("/")
def console(request: Request) -> Response:
    """Flows, counters, the queue and the alerts on one page."""
    if current_session(request) is None:
        return redirect("/sign-in")
    require_role(request, "officer")
    context = _compliance(request)
    _ = Translator(language_of(request))
    flows = daily_flows(context=context, days=14)
    series = {"permit": _("Permitted"), "deny": _("Denied"), "review": _("Awaiting review")}
    flow_chart = stacked_bars(
        _("Filings per day, last 14 days"),
        [
            Bar(
                day.day.strftime("%m-%d"),
                (("permit", day.permitted), ("review", day.in_review), ("deny", day.denied)),
            )
            for day in flows
        ],
        series,
    )
    categories = flows_by_category(context=context)
    category_chart = horizontal_bars(
        _("Filings by category of data"),
        [(_(CATEGORY_LABELS.get(key, key)), value) for key, value in sorted(categories.items())],
    )
    standings = counter_standings(context=context)
    gauges = []
    for standing in standings:
        name = site_of(request).label_of(standing.handler)
        for counter, value in (("general", standing.general), ("sensitive", standing.sensitive)):
            limits = tuple(
                (f"{t.route} ({t.cite})", t.at) for t in standing.thresholds if t.counter == counter
            )
            label = _("%(name)s, sensitive", name=name) if counter == "sensitive" else name
            gauges.append(Gauge(label, value, limits))
    counter_chart = log_gauges(
        _("Individuals exported this year against the thresholds"),
        gauges,
        scale_note=_("logarithmic scale"),
    )
    return render(
        request,
        "regulator.html",
        queue=list_filings(context=context, state="submitted", limit=50),
        filings=list_filings(context=context, limit=25),
        alerts=list_alerts(database=context.database, open_only=True, limit=50),
        standings=standings,
        flow_chart=flow_chart,
        category_chart=category_chart,
        counter_chart=counter_chart,
        has_flows=any(day.permitted + day.denied + day.in_review for day in flows),
        category_labels=CATEGORY_LABELS,
    )


def _filing(request: Request, transfer: str) -> FilingResponse:
    filing = get_filing(context=_compliance(request), transfer=transfer)
    if filing is None:
        raise PageNotFound("no filing for this transfer here")
    return filing


@router.get("/filings/{transfer}")
def filing_page(request: Request, transfer: str) -> Response:
    """One filing: the decision and its reasons, the review, the transfer's evidence."""
    require_role(request, "officer")
    filing = _filing(request, transfer)
    site = site_of(request)
    entries = entry_views(site.evidence.entries_for_transfer(transfer))
    return render(
        request,
        "regulator_filing.html",
        filing=filing,
        transfer=transfer,
        timeline=build_timeline(entries),
        entries=entries,
        entry_labels=ENTRY_LABELS,
        trust=trust_json(site.evidence),
        keys=actor_keys(site.resolver, entries),
        receipt_base=f"/filings/{transfer}/evidence",
    )


@router.get("/filings/{transfer}/evidence/{index}/receipt")
def filing_receipt(request: Request, transfer: str, index: int) -> Response:
    """The receipt of one entry of the transfer, for the page to verify."""
    require_role(request, "officer")
    text = receipt_for(site_of(request).evidence, transfer=transfer, index=index)
    return security_headers(PlainTextResponse(text))


@router.post("/filings/{transfer}/review")
def review(
    request: Request,
    transfer: str,
    csrf: Annotated[str, Form()] = "",
    outcome: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    """Accept a filing awaiting review, or reject it with a reason."""
    session = require_role(request, "officer")
    check_csrf(request, session, csrf)
    if outcome not in {"accept", "reject"}:
        raise InvalidWebInput("choose accept or reject")
    if outcome == "reject" and not reason.strip():
        raise InvalidWebInput("a rejection needs a reason the hospital can act on")
    review_filing(
        context=_compliance(request),
        transfer=transfer,
        accept=outcome == "accept",
        reason=f"{reason.strip()} ({session.subject})"[:1000],
    )
    return redirect(f"/filings/{transfer}")


@router.get("/filings/{transfer}/pipia")
def pipia(request: Request, transfer: str) -> Response:
    """The personal-information protection impact assessment generated from the facts."""
    require_role(request, "officer")
    report = filing_pipia(context=_compliance(request), transfer=transfer)
    return render(request, "regulator_pipia.html", report=report, transfer=transfer)


@router.post("/alerts/{alert_id}/acknowledge")
def acknowledge(request: Request, alert_id: int, csrf: Annotated[str, Form()] = "") -> Response:
    """Mark an alert as seen by this officer."""
    session = require_role(request, "officer")
    check_csrf(request, session, csrf)
    context = _compliance(request)
    acknowledge_alert(
        database=context.database, clock=context.clock, alert_id=alert_id, by=session.subject
    )
    return redirect("/#alerts")


@router.get("/chain")
def chain(request: Request) -> Response:
    """The latest cosigned checkpoint and the newest entries, each checked in the page."""
    require_role(request, "officer")
    site = site_of(request)
    witness: WitnessContext = request.app.state.witness
    try:
        checkpoint = site.evidence.final_checkpoint()
    except CorridorError:
        checkpoint = ""
    size = _size_of(checkpoint)
    indexes = range(max(0, size - _EXPLORER_ENTRIES), size)
    entries = entry_views([(i, site.evidence.entry(i)) for i in reversed(indexes)])
    return render(
        request,
        "regulator_chain.html",
        checkpoint=checkpoint,
        size=size,
        witnessed=witnessed_logs(context=witness),
        entries=entries,
        entry_labels=ENTRY_LABELS,
        trust=trust_json(site.evidence),
        keys=actor_keys(site.resolver, entries),
        receipt_base="/chain/entries",
    )


def _size_of(note: str) -> int:
    lines = note.split("\n")
    return int(lines[1]) if len(lines) > 1 and lines[1].isdigit() else 0


@router.get("/chain/entries/{index}/receipt")
def chain_receipt(request: Request, index: int) -> Response:
    """The receipt of any entry (the log is public; the page verifies it)."""
    require_role(request, "officer")
    return security_headers(PlainTextResponse(site_of(request).evidence.receipt(index)))
