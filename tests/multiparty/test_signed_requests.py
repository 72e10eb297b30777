"""Every call between parties is signed (RFC 9421) and checked; institutions are licensed."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import httpx
from corridor_harness import (  # type: ignore[import-not-found]
    OPERATORS,
    URLS,
    Corridor,
    settings_for,
)

from corridor.apps import regulator
from corridor.crypto import did_key_from_public
from corridor.identity import CredentialHolder, Licence, RequestSigner, did_key_url
from corridor.identity.client import HttpIssuerClient
from corridor.identity.credentials import LICENSED_PROVIDER, jwt_kid

TRANSFER = "00000000-0000-4000-8000-000000000000"
# One protected call per party (method, path, JSON body).
PROTECTED = {
    "regulator-a": ("POST", "/api/compliance/filings", {}),
    "regulator-b": ("GET", "/api/identity/credentials", None),
    "datacenter": ("POST", "/api/ledger/entries", {"entries": []}),
    "hospital-a": ("POST", "/api/transfers", {}),
    "hospital-b": ("GET", "/api/records/patients", None),
    "portal": ("GET", f"/api/transfers/{TRANSFER}", None),
}
# Privacy jobs: submitted at the data center, answered by hospitals (docs/privacy.md).
PRIVACY = {
    "datacenter": ("POST", "/api/privacy/jobs", {}),
    "hospital-a": ("POST", "/api/privacy/participations", {}),
}
# Calls an operator may make that change nothing, for the replay test.
OPERATOR_READS = {
    "regulator-a": "/api/identity/credentials",
    "regulator-b": "/api/identity/credentials",
    "datacenter": "/api/vault/objects",
    "hospital-a": "/api/records/patients",
    "hospital-b": "/api/records/patients",
    "portal": f"/api/transfers/{TRANSFER}",
}


def _unsigned(corridor: Corridor) -> httpx.Client:
    return httpx.Client(transport=corridor.http._transport, timeout=60)


def _operator(name: str, corridor: Corridor) -> RequestSigner:
    key = OPERATORS[name]
    return RequestSigner(
        key, kid=did_key_url(did_key_from_public(key.public)), clock=corridor.clock
    )


def test_every_party_refuses_an_unsigned_call(sqlite_corridor: Corridor):
    client = _unsigned(sqlite_corridor)
    for name, (method, path, body) in PROTECTED.items():
        response = client.request(method, URLS[name] + path, json=body)
        assert response.status_code == 401, (name, response.text)
        assert response.json()["code"] == "request-unsigned", name


def test_privacy_jobs_take_only_signed_calls_from_the_parties_the_protocol_names(
    sqlite_corridor: Corridor,
):
    client = _unsigned(sqlite_corridor)
    for name, (method, path, body) in PRIVACY.items():
        response = client.request(method, URLS[name] + path, json=body)
        assert response.status_code == 401, (name, response.text)
        assert response.json()["code"] == "request-unsigned", name
    # A hospital is not the coordinator: another hospital refuses its invitation.
    hospital_b = sqlite_corridor.apps["hospital-b"].state.node.http
    invited = hospital_b.post(URLS["hospital-a"] + "/api/privacy/participations", json={})
    assert invited.status_code == 403, invited.text
    assert invited.json()["code"] == "caller-not-allowed"


def test_every_party_refuses_a_replayed_call(sqlite_corridor: Corridor):
    client = _unsigned(sqlite_corridor)
    for name, path in OPERATOR_READS.items():
        request = client.build_request("GET", URLS[name] + path)
        _operator(name, sqlite_corridor).sign(request)
        first = client.send(request)
        assert first.status_code in (200, 404), (name, first.text)
        replayed = client.send(request)
        assert replayed.status_code == 401, (name, replayed.text)
        assert replayed.json()["code"] == "request-replayed", name


def test_a_request_signed_for_one_party_is_refused_by_another(sqlite_corridor: Corridor):
    client = _unsigned(sqlite_corridor)
    request = client.build_request("GET", URLS["hospital-a"] + "/api/records/patients")
    _operator("hospital-a", sqlite_corridor).sign(request)
    # Same bytes, other party: its operator list does not hold hospital A's operator.
    moved = httpx.Request(
        "GET", URLS["hospital-b"] + "/api/records/patients", headers=request.headers
    )
    moved.headers["host"] = "hospital-b.test:8005"
    response = client.send(moved)
    assert response.status_code == 401
    assert response.json()["code"] == "request-signature-invalid"


def test_a_stale_request_is_refused(sqlite_corridor: Corridor):
    client = _unsigned(sqlite_corridor)
    request = client.build_request("GET", URLS["datacenter"] + "/api/vault/objects")
    _operator("datacenter", sqlite_corridor).sign(request)
    sqlite_corridor.clock.advance(timedelta(minutes=10))
    response = client.send(request)
    assert response.status_code == 401
    assert response.json()["code"] == "request-stale"


def test_public_documents_need_no_signature(sqlite_corridor: Corridor):
    client = _unsigned(sqlite_corridor)
    for name in URLS:
        assert client.get(URLS[name] + "/.well-known/did.json").status_code == 200
        assert client.get(URLS[name] + "/healthz").status_code == 200
    assert client.get(URLS["regulator-a"] + "/api/identity/status/1").status_code == 200
    assert client.get(URLS["datacenter"] + "/api/ledger/checkpoint").status_code == 200


def test_an_operator_of_one_party_is_a_stranger_to_another(sqlite_corridor: Corridor):
    client = _unsigned(sqlite_corridor)
    request = client.build_request("GET", URLS["hospital-b"] + "/api/records/patients")
    _operator("hospital-a", sqlite_corridor).sign(request)
    response = client.send(request)
    assert response.status_code == 403
    assert response.json()["code"] == "caller-not-allowed"


def test_institutions_obtain_and_present_credentials_from_their_regulators(
    corridor: Corridor, patient_bundle: bytes
):
    corridor.run(patient_bundle)
    client = _unsigned(corridor)
    hospital = client.get(URLS["hospital-a"] + "/.well-known/presentation").text
    center = client.get(URLS["datacenter"] + "/.well-known/presentation").text
    node = corridor.apps["hospital-a"].state.node
    tokens = node.holder.credentials()
    assert len(tokens) == 1
    assert jwt_kid(tokens[0]).startswith(corridor.did("regulator-a"))
    assert hospital.count(".") == 2
    assert len(corridor.apps["datacenter"].state.node.holder.credentials()) == 2
    assert center.count(".") == 2
    issued = corridor.http.get(URLS["regulator-a"] + "/api/identity/credentials").json()
    assert sorted((c["holder"], c["type"]) for c in issued) == [
        (corridor.did("datacenter"), "AccreditedDataCenter"),
        (corridor.did("hospital-a"), LICENSED_PROVIDER),
    ]


def test_a_revoked_licence_locks_the_institution_out(corridor: Corridor, patient_bundle: bytes):
    transfer = corridor.request(patient_bundle)
    corridor.hospital_a.file(transfer)
    issued = corridor.http.get(URLS["regulator-a"] + "/api/identity/credentials").json()
    licence = next(c for c in issued if c["holder"] == corridor.did("hospital-a"))
    revoked = corridor.http.post(
        URLS["regulator-a"] + f"/api/identity/credentials/{licence['id']}/revocation",
        json={"reason": "licence suspended"},
    )
    assert revoked.status_code == 200, revoked.text
    # Verifiers cache presentations and status lists for credential_cache_seconds.
    corridor.clock.advance(timedelta(seconds=61))
    hospital = corridor.apps["hospital-a"].state.node.http
    response = hospital.post(URLS["datacenter"] + "/api/ledger/entries", json={"entries": []})
    assert response.status_code == 403
    assert response.json()["code"] == "credential-revoked"


def test_a_licence_from_the_wrong_jurisdiction_is_refused(
    sqlite_corridor: Corridor,
):
    corridor = sqlite_corridor
    # Regulator B (HK) is persuaded to license hospital A, which operates in CN.
    app_b = corridor.apps["regulator-b"]
    hospital_a = corridor.did("hospital-a")
    app_b.state.issuer = dataclasses.replace(
        app_b.state.issuer,
        licences={hospital_a: (Licence(hospital_a, LICENSED_PROVIDER, "Hospital A"),)},
    )
    node = corridor.apps["hospital-a"].state.node
    corridor.apps["hospital-a"].state.holder = CredentialHolder(
        did=node.did,
        key=node.signing,
        kid=node.kid,
        clock=node.clock,
        issuers=[HttpIssuerClient(node.http, URLS["regulator-b"])],
        credential_type=LICENSED_PROVIDER,
    )
    response = node.http.post(URLS["datacenter"] + "/api/ledger/entries", json={"entries": []})
    assert response.status_code == 403
    assert response.json()["code"] == "wrong-jurisdiction"


def test_only_the_custodian_deposits_and_only_the_recipient_fetches_the_delivery(
    sqlite_corridor: Corridor, patient_bundle: bytes, monkeypatch
):
    corridor = sqlite_corridor
    router = corridor.http._transport
    deposits: list[bytes] = []
    forward = router.handle_request

    def record(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/deposit"):
            deposits.append(request.read())
        return forward(request)

    monkeypatch.setattr(router, "handle_request", record)
    transfer = corridor.run(patient_bundle)
    hospital_a = corridor.apps["hospital-a"].state.node.http
    hospital_b = corridor.apps["hospital-b"].state.node.http
    stolen = hospital_a.get(URLS["datacenter"] + f"/api/transfers/{transfer}/package")
    assert stolen.status_code == 403
    assert stolen.json()["code"] == "caller-not-allowed"
    assert hospital_b.get(URLS["datacenter"] + f"/api/transfers/{transfer}/package").is_success
    # Hospital B replays hospital A's deposit body under its own signature.
    forged = hospital_b.post(
        URLS["datacenter"] + f"/api/transfers/{transfer}/deposit",
        content=deposits[0],
        headers={"content-type": "application/json"},
    )
    assert forged.status_code == 403, forged.text
    assert forged.json()["code"] == "caller-not-allowed"


def test_a_patient_may_send_only_his_own_consent(sqlite_corridor: Corridor, patient_bundle):
    corridor = sqlite_corridor
    patient_id = corridor.enrol(patient_bundle)
    own = corridor.patient_http.post(
        URLS["portal"] + "/api/transfers",
        json={"consent": corridor.consent(), "patient_ref": patient_id},
    )
    assert own.status_code == 201, own.text
    # Any other did:key is another patient to the portal.
    stranger = httpx.Client(
        transport=corridor.http._transport, auth=_operator("hospital-b", corridor)
    )
    other = stranger.post(
        URLS["portal"] + "/api/transfers",
        json={"consent": corridor.consent(consent_id="consent-2"), "patient_ref": patient_id},
    )
    assert other.status_code == 403
    assert other.json()["code"] == "caller-not-allowed"


def test_a_rotated_key_keeps_earlier_signatures_verifiable(
    sqlite_corridor: Corridor, patient_bundle: bytes, asgi_router, tmp_path, close_apps
):
    corridor = sqlite_corridor
    transfer = corridor.request(patient_bundle)
    corridor.hospital_a.file(transfer)  # decisions signed with regulator A's key-1
    old = corridor.apps["regulator-a"].state.node
    old.key_store.rotate_signing_key()
    settings = settings_for(
        "regulator-a", tmp_path, f"sqlite:///{tmp_path / 'regulator-a' / 'corridor.db'}"
    )
    app = regulator.create_app(settings, transport=asgi_router, clock=corridor.clock)
    close_apps(app)
    asgi_router.mount(URLS["regulator-a"], app)
    corridor.apps["regulator-a"] = app
    assert app.state.node.kid.endswith("#key-2")
    corridor.clock.advance(timedelta(seconds=10))
    corridor.hospital_a.upload(transfer)
    # The data center verifies regulator A's key-1 decision through the retired key.
    corridor.center.process(transfer)
    document = _unsigned(corridor).get(URLS["regulator-a"] + "/.well-known/did.json").json()
    assert document["authentication"] == [f"{corridor.did('regulator-a')}#key-2"]
    assert f"{corridor.did('regulator-a')}#key-1" in document["assertionMethod"]
