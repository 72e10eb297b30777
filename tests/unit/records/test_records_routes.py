from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from corridor.apps.problems import install_problem_handlers
from corridor.records import RecordsContext
from corridor.records.routes import router
from corridor.storage import Database

CAROLEE = "d88f994a-5efa-421d-9c40-5f116d2114a6"
WALLET = "did:key:z6MkpTHR8VNsBxYAAWHut2Geadd9jSwuBV8xRoAnwWsdvktH"


@pytest.fixture
def client(database: Database) -> TestClient:
    app = FastAPI()
    install_problem_handlers(app)
    app.state.records = RecordsContext(database=database)
    app.include_router(router)
    return TestClient(app)


def test_imports_a_bundle_links_a_wallet_and_serves_the_record(
    client: TestClient, synthea_bytes: bytes
) -> None:
    imported = client.post(
        "/api/records/bundles",
        content=synthea_bytes,
        headers={"content-type": "application/fhir+json"},
    )
    assert imported.status_code == 201
    assert imported.json()["patient_id"] == CAROLEE
    assert imported.json()["resources"] == 168
    linked = client.post(f"/api/records/patients/{CAROLEE}/wallet", json={"did": WALLET})
    assert linked.json() == {"patient_id": CAROLEE, "did": WALLET}
    assert client.get("/api/records/patients").json() == {"patients": [CAROLEE]}
    bundle = client.get(f"/api/records/patients/{CAROLEE}/bundle")
    assert bundle.headers["content-type"].startswith("application/fhir+json")
    assert len(bundle.json()["entry"]) == 168
    found = client.get(
        f"/api/records/patients/{CAROLEE}/resources",
        params={"type": "Condition", "date_from": "2000-01-01"},
    )
    assert {r["resourceType"] for r in found.json()["resources"]} == {"Condition"}


def test_answers_problems_for_bad_input(client: TestClient) -> None:
    bad = client.post("/api/records/bundles", content=b'{"resourceType": "Patient"}')
    assert bad.status_code == 400
    assert bad.json()["code"] == "invalid-fhir"
    missing = client.get("/api/records/patients/nobody/bundle")
    assert missing.status_code == 404
    assert missing.json()["code"] == "patient-not-found"
    wrong_did = client.post("/api/records/patients/x/wallet", json={"did": "did:web:x.test"})
    assert wrong_did.status_code == 422
