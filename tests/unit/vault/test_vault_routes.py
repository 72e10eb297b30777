import hashlib

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from corridor.apps.problems import install_problem_handlers
from corridor.vault import (
    FilesystemVault,
    HttpVaultClient,
    ObjectCorrupted,
    ObjectNotFound,
    ObjectTooLarge,
    VaultContext,
)
from corridor.vault.routes import router

pytestmark = pytest.mark.filterwarnings("ignore:No path_separator found:DeprecationWarning")
TRANSFER = "transfer-0001-abcd"


@pytest.fixture
def vault_root(tmp_path):
    return tmp_path / "vault"


@pytest.fixture
def client(database, vault_root):
    app = FastAPI()
    install_problem_handlers(app)
    app.include_router(router)
    app.state.vault = VaultContext(
        database=database, store=FilesystemVault(vault_root), max_object_bytes=1024
    )
    with TestClient(app) as test_client:
        yield test_client


def test_put_answers_201_with_the_content_address(client):
    response = client.put(
        "/api/vault/objects",
        params={"transfer": TRANSFER, "kind": "record"},
        content=b"sealed bytes",
        headers={"content-type": "application/octet-stream"},
    )
    assert response.status_code == 201
    assert response.json() == {
        "object_id": hashlib.sha256(b"sealed bytes").hexdigest(),
        "size": 12,
    }


def test_get_returns_the_bytes_and_listing_the_metadata(client):
    vault = HttpVaultClient(client, "http://testserver")
    stored = vault.put(b"sealed bytes", transfer=TRANSFER, kind="output")
    response = client.get(f"/api/vault/objects/{stored.object_id}")
    assert response.content == b"sealed bytes"
    assert response.headers["content-type"] == "application/octet-stream"
    listing = client.get("/api/vault/objects", params={"transfer": TRANSFER}).json()
    assert [item["kind"] for item in listing] == ["output"]


def test_unknown_object_is_a_404_problem(client):
    response = client.get(f"/api/vault/objects/{'0' * 64}")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


def test_oversize_body_is_refused(client):
    response = client.put(
        "/api/vault/objects",
        params={"transfer": TRANSFER, "kind": "record"},
        content=b"x" * 2048,
        headers={"content-type": "application/octet-stream"},
    )
    assert response.status_code == 400
    assert response.json()["code"] == "object-too-large"


def test_bad_kind_is_a_validation_problem(client):
    response = client.put(
        "/api/vault/objects", params={"transfer": TRANSFER, "kind": "plaintext"}, content=b"x"
    )
    assert response.status_code == 422


def test_client_round_trips_and_translates_errors(client, vault_root):
    vault = HttpVaultClient(client, "http://testserver")
    stored = vault.put(b"sealed", transfer=TRANSFER, kind="record")
    assert vault.get(stored.object_id) == b"sealed"
    with pytest.raises(ObjectNotFound):
        vault.get("1" * 64)
    with pytest.raises(ObjectTooLarge):
        vault.put(b"x" * 2048, transfer=TRANSFER, kind="record")
    (vault_root / "objects" / stored.object_id[:2] / stored.object_id).write_bytes(b"evil")
    with pytest.raises(ObjectCorrupted):
        vault.get(stored.object_id)
