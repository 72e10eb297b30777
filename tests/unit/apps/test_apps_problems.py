from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel

from corridor.apps.problems import install_problem_handlers, status_for
from corridor.errors import Conflict, InvalidInput, NotFound, PolicyDenied, VerificationFailed


class _Body(BaseModel):
    size: int


def _app() -> TestClient:
    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/missing")
    def missing() -> None:
        raise NotFound("no such transfer", detail={"transfer": "t-1"})

    @app.post("/sized")
    def sized(body: _Body) -> dict[str, int]:
        return {"size": body.size}

    return TestClient(app)


def test_domain_errors_become_problem_details_with_a_stable_code():
    response = _app().get("/missing")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "not-found"
    assert body["detail"] == "no such transfer"
    assert body["errors"] == {"transfer": "t-1"}
    assert body["instance"] == "/missing"


def test_invalid_bodies_are_422_problems_naming_the_field():
    response = _app().post("/sized", json={"size": "big"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "size"]


def test_unknown_routes_are_problems_too():
    response = _app().get("/nowhere")
    assert response.status_code == 404
    assert response.json()["code"] == "http-404"


def test_kinds_map_to_statuses():
    assert status_for(InvalidInput("x")) == 400
    assert status_for(VerificationFailed("x")) == 422
    assert status_for(PolicyDenied("x")) == 403
    assert status_for(Conflict("x")) == 409
