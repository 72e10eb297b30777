"""The regulator's compliance API: officers accept, reject and invalidate through it."""

from __future__ import annotations

import pytest
from compliance_world import HOSPITAL_A, World  # type: ignore[import-not-found]
from fastapi import FastAPI
from fastapi.testclient import TestClient

from corridor.apps.problems import install_problem_handlers
from corridor.compliance import HttpComplianceClient, register_filing
from corridor.compliance.routes import router
from corridor.compliance.schemas import MechanismFilingRequest, ProfileIn
from corridor.errors import CorridorError

pytestmark = pytest.mark.integration


@pytest.fixture
def api(world: World):
    app = FastAPI()
    install_problem_handlers(app)
    app.include_router(router)
    app.state.compliance = world.compliance
    app.state.monitor = world.monitor
    with TestClient(app, base_url="http://regulator-a.test") as client:
        yield HttpComplianceClient(client, "http://regulator-a.test")


def test_standing_filings_are_decided_and_invalidated_through_the_api(api, world: World):
    filed = api.file_mechanism(
        MechanismFilingRequest(
            exporter=HOSPITAL_A,
            kind="cn_sc",
            reference="SC-2026-9",
            profile=ProfileIn(importers=["did:web:hospital-b.test"], purposes=["TREAT"]),
        )
    )
    assert filed.state == "submitted"
    assert filed.filed_in_time is True
    accepted = api.decide_mechanism(filed.id, accept=True, reason="materials complete")
    assert (accepted.state, accepted.state_reason) == ("accepted", "materials complete")
    ended = api.invalidate_mechanism(filed.id, reason="new recipient in Macao")
    assert ended.state == "expired"
    assert ended.state_reason == "material change: new recipient in Macao"
    with pytest.raises(CorridorError, match="cannot be accepted"):
        api.decide_mechanism(filed.id, accept=True)


def test_transfer_filings_reviews_alerts_and_the_monitor_through_the_api(api, world: World):
    request = world.request(
        facts={"legal_basis": "emergency_life_health", "emergency": True, "pipia_done": False}
    )
    # Filing itself needs a signed hospital caller (the identity gate); file in-process.
    filed = register_filing(context=world.compliance, request=request)
    assert filed.state == "submitted"
    assert api.filing(request.transfer).state == "submitted"
    assert api.review(request.transfer, accept=True, reason="ok").state == "accepted"
    report = api.run_monitor()
    assert report["size"] == 2
    assert api.alerts() == []
    [counter] = api.counters()
    assert counter["reconciled"] is True
    with pytest.raises(CorridorError, match="no filing"):
        api.filing("transfer-9999")
