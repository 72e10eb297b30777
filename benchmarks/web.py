"""Server time of the parties' pages over a store of 1,000 transfers.

    .venv/bin/python benchmarks/web.py [--transfers 1000] [--rounds 20]

Every party's real app runs in process (the corridor of tests/multiparty, wired over
httpx's ASGI transport). One real transfer goes through the five steps, then each party's
store is grown to ``--transfers`` rows by copying its own row (the portal's, hospital A's,
the data center's, hospital B's, the regulator's filing) under new ids. Each page is then
requested ``--rounds`` times by a signed-in person; the figure is the median time from
request to complete answer, in process, so it is server time plus a few tens of
microseconds of ASGI transport. Baseline, in the same run: ``GET /healthz`` on the same
app. Pages whose figure passes the budget (300 ms, issue 9) are flagged.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
import uuid
import warnings
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import anyio.from_thread
import httpx
from sqlalchemy import select

from corridor.compliance.tables import FilingRow
from corridor.crypto import did_key_from_public
from corridor.storage.unit_of_work import UnitOfWork
from corridor.transfers.tables import TransferRow
from corridor.web.sessions import sign_in_as

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "multiparty"))
from corridor_harness import URLS, ASGIRouter, build_corridor

_BUDGET_MS = 300.0
_ROOT = Path(__file__).resolve().parents[1]
_BUNDLE = _ROOT / "src/corridor/apps/data/demo-patient.json"


def _copy_rows(app: Any, model: type, count: int, rename: dict[str, Any]) -> str:
    """Grow a table to ``count`` rows by copying its first row; returns that row's key."""
    database = app.state.node.database
    with UnitOfWork(database.sessions) as uow:
        template = uow.session.scalars(select(model)).first()
        assert template is not None, f"no {model.__name__} to copy"
        columns = [c.key for c in model.__table__.columns]
        values = {name: getattr(template, name) for name in columns}
        existing = len(uow.session.scalars(select(model)).all())
        for _ in range(count - existing):
            fresh = dict(values)
            for column, make in rename.items():
                fresh[column] = make()
            uow.session.add(model(**fresh))
        uow.commit()
        return str(values["id"])


def _session_client(
    app: Any, router: ASGIRouter, party: str, role: str, subject: str
) -> httpx.Client:
    site = app.state.web
    signed = sign_in_as(database=site.database, clock=site.clock, role=role, subject=subject)
    client = httpx.Client(transport=router, base_url=URLS[party], timeout=120)
    client.cookies.set(site.cookie_name, signed.token)
    return client


def _median_ms(
    client: httpx.Client, path: str, rounds: int, method: str = "GET", **kwargs: Any
) -> float:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        response = client.request(method, path, **kwargs)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (path, response.status_code, response.text[:300])
    return statistics.median(times)


def main() -> None:
    """Run the corridor once, grow the stores, time every page."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--transfers", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=20)
    arguments = parser.parse_args()
    warnings.simplefilter("ignore")  # the simulated enclave warns that it is insecure
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        portal = stack.enter_context(anyio.from_thread.start_blocking_portal())
        router = ASGIRouter(portal)
        apps: list[Any] = []
        corridor = build_corridor(
            router, tmp, lambda name: f"sqlite:///{tmp / name / 'corridor.db'}", apps.append
        )
        stack.callback(lambda: [app.state.node.close() for app in apps])
        transfer = corridor.run(_BUNDLE.read_bytes())
        corridor.hospital_b.open_record(transfer, viewer="dr-chan")
        new_id = lambda: str(uuid.uuid4())  # noqa: E731
        count = arguments.transfers
        for name in ("portal", "hospital-a", "hospital-b", "datacenter"):
            _copy_rows(corridor.apps[name], TransferRow, count, {"id": new_id})
        _copy_rows(
            corridor.apps["regulator-a"], FilingRow, count, {"id": new_id, "transfer": new_id}
        )
        did = did_key_from_public(corridor.wallet.public)  # the patient of every copied row
        pages = [
            ("portal", "patient", did, "/"),
            ("portal", "patient", did, f"/transfers/{transfer}"),
            ("portal", "patient", did, "/requests/new"),
            ("hospital-a", "desk", "desk", "/desk"),
            ("hospital-a", "desk", "desk", f"/desk/transfers/{transfer}"),
            ("hospital-b", "clinician", "dr-chan", "/viewer"),
            ("datacenter", "operator", "ops", "/"),
            ("regulator-a", "officer", "officer", "/"),
            ("regulator-a", "officer", "officer", f"/filings/{transfer}"),
            ("regulator-a", "officer", "officer", "/chain"),
        ]
        results = []
        for party, role, subject, path in pages:
            client = _session_client(corridor.apps[party], router, party, role, subject)
            baseline = _median_ms(client, "/healthz", arguments.rounds)
            page = _median_ms(client, path, arguments.rounds)
            line = {
                "measure": f"{party} {path.replace(transfer, '{transfer}')}",
                "transfers": count,
                "median_ms": round(page, 1),
                "baseline_healthz_ms": round(baseline, 2),
                "ratio_to_baseline": round(page / baseline, 1),
                "within_budget": page < _BUDGET_MS,
            }
            print(json.dumps(line))
            results.append(line)
        # Opening a summary at B: fetch and verify nothing (delivered), show, record a view.
        client = _session_client(
            corridor.apps["hospital-b"], router, "hospital-b", "clinician", "dr"
        )
        csrf = _csrf_of(client)
        opened = _median_ms(
            client, f"/viewer/transfers/{transfer}/open", 5, method="POST", data={"csrf": csrf}
        )
        line = {
            "measure": "hospital-b POST open summary (records a view)",
            "transfers": count,
            "median_ms": round(opened, 1),
            "within_budget": opened < _BUDGET_MS,
        }
        print(json.dumps(line))
        results.append(line)
        worst = max(line["median_ms"] for line in results)
        print(json.dumps({"summary": "slowest page", "median_ms": worst, "budget_ms": _BUDGET_MS}))


def _csrf_of(client: httpx.Client) -> str:
    """The CSRF token of the signed-in session, read from a page like a browser would."""
    page = client.get("/viewer")
    marker = 'name="csrf-token" content="'
    start = page.text.index(marker) + len(marker)
    return page.text[start : page.text.index('"', start)]


if __name__ == "__main__":
    main()
