"""An in-process corridor: every party's real app, wired over httpx's ASGI transport.

Each app gets the same ``ASGIRouter`` as its HTTP transport, so a party's typed client
reaches another party's app by URL exactly as over the network, without sockets.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from anyio.from_thread import BlockingPortal

from corridor.apps import datacenter, hospital, portal, regulator
from corridor.clock import FixedClock
from corridor.config import Settings
from corridor.consent import ConsentScope, ConsentTerms, sign_consent
from corridor.crypto import SigningKeyPair, did_key_from_public
from corridor.enclave.simulated import InsecureEnclaveWarning
from corridor.identity import RequestSigner, SignerByOrigin, did_key_url, did_web_for_url
from corridor.ledger import HttpLedgerClient
from corridor.transfers import (
    HttpCenterClient,
    HttpHospitalClient,
    HttpPortalClient,
    PatientRequest,
)


class ASGIRouter(httpx.BaseTransport):
    """A synchronous transport that dispatches by host:port to in-process ASGI apps.

    httpx's ``ASGITransport`` is asynchronous; the parties' clients are synchronous (they
    run in FastAPI's thread pool next to sync SQLAlchemy), so each request is handed to one
    event loop through an anyio blocking portal.
    """

    def __init__(self, portal: BlockingPortal) -> None:
        self._portal = portal
        self._apps: dict[str, httpx.ASGITransport] = {}

    def mount(self, base_url: str, app: Any) -> None:
        url = httpx.URL(base_url)
        self._apps[f"{url.host}:{url.port}"] = httpx.ASGITransport(app=app)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        key = f"{request.url.host}:{request.url.port}"
        try:
            transport = self._apps[key]
        except KeyError:
            raise httpx.ConnectError(f"no app mounted at {key}", request=request) from None
        body = request.read()

        async def call() -> tuple[int, list[tuple[bytes, bytes]], bytes]:
            inner = httpx.Request(
                request.method, request.url, headers=request.headers, content=body
            )
            response = await transport.handle_async_request(inner)
            content = b"".join([part async for part in response.stream])  # type: ignore[union-attr]
            return response.status_code, response.headers.raw, content

        status, headers, content = self._portal.call(call)
        return httpx.Response(status, headers=headers, content=content, request=request)


URLS = {
    "regulator-a": "http://regulator-a.test:8001",
    "regulator-b": "http://regulator-b.test:8002",
    "datacenter": "http://datacenter.test:8003",
    "hospital-a": "http://hospital-a.test:8004",
    "hospital-b": "http://hospital-b.test:8005",
    "portal": "http://portal.test:8006",
}
_KINDS = {
    "regulator-a": ("regulator", "CN"),
    "regulator-b": ("regulator", "HK"),
    "datacenter": ("datacenter", "JOINT"),
    "hospital-a": ("hospital", "CN"),
    "hospital-b": ("hospital", "HK"),
    "portal": ("portal", "CN"),
}
# Regulators know each other (trusted credential issuers); hospitals and the data center
# know the portal (it submits requests and appends consent evidence); the portal knows the
# regulators only to name them on the patient's timeline.
_PEERS = {
    "regulator-a": ("datacenter", "regulator-b"),
    "regulator-b": ("datacenter", "regulator-a"),
    "datacenter": ("regulator-a", "regulator-b", "hospital-a", "hospital-b", "portal"),
    "hospital-a": ("regulator-a", "regulator-b", "datacenter", "hospital-b", "portal"),
    "hospital-b": ("regulator-b", "datacenter", "hospital-a", "portal"),
    "portal": ("hospital-a", "hospital-b", "datacenter", "regulator-a", "regulator-b"),
}
# What each regulator licenses (docs/identity.md): it issues these on request.
LICENCES = {
    "regulator-a": (
        ("hospital-a", "LicensedHealthcareProvider"),
        ("datacenter", "AccreditedDataCenter"),
    ),
    "regulator-b": (
        ("hospital-b", "LicensedHealthcareProvider"),
        ("datacenter", "AccreditedDataCenter"),
    ),
}
# Each party's operator key (the people who drive it); generated once per test session.
OPERATORS = {name: SigningKeyPair.generate() for name in _KINDS}
GBA_EXPORT = {
    "mechanism": "gba_sc",
    "contract_ref": "GBA-SC-TEST-1",
    "contract_filed": True,
    "in_mainland_gba": True,
    "timezone": "Asia/Shanghai",
}
CARE_TYPES = frozenset({"Condition", "Observation", "Immunization", "DocumentReference"})


def settings_for(name: str, tmp_path: Path, database_url: str, **extra: Any) -> Settings:
    kind, jurisdiction = _KINDS[name]
    licensed = [
        {"did": did_web_for_url(URLS[holder]), "credential": credential, "name": holder}
        for holder, credential in LICENCES.get(name, ())
    ]
    extra = {
        # Argon2id at 1 MiB keeps test start-up fast; settings refuse this in production.
        "key_kdf_memory_kib": 1024,
        "operators": [did_key_from_public(OPERATORS[name].public)],
        "licensed_institutions": licensed,
        **extra,
    }
    return Settings(
        environment="test",
        party=kind,
        name=name,
        jurisdiction=jurisdiction,
        public_url=URLS[name],
        state_dir=tmp_path / name,
        database_url=database_url,
        key_passphrase="multiparty-test-passphrase",
        peers=[
            {"name": p, "kind": _KINDS[p][0], "url": URLS[p], "jurisdiction": _KINDS[p][1]}
            for p in _PEERS[name]
        ],
        **extra,
    )


@dataclass
class Corridor:
    """All six parties in one process, and the clients a person would use."""

    apps: dict[str, Any]
    http: httpx.Client
    clock: FixedClock
    tmp_path: Path
    wallet: SigningKeyPair = field(default_factory=SigningKeyPair.generate)

    @property
    def portal(self) -> HttpPortalClient:
        return HttpPortalClient(self.http, URLS["portal"])

    @property
    def hospital_a(self) -> HttpHospitalClient:
        return HttpHospitalClient(self.http, URLS["hospital-a"])

    @property
    def hospital_b(self) -> HttpHospitalClient:
        return HttpHospitalClient(self.http, URLS["hospital-b"])

    @property
    def center(self) -> HttpCenterClient:
        return HttpCenterClient(self.http, URLS["datacenter"])

    @property
    def ledger(self) -> HttpLedgerClient:
        return HttpLedgerClient(self.http, URLS["datacenter"])

    def did(self, name: str) -> str:
        return did_web_for_url(URLS[name])

    @property
    def patient_http(self) -> httpx.Client:
        """A client signed with the patient's wallet key (he calls the portal himself)."""
        return httpx.Client(
            transport=self.http._transport,
            timeout=60,
            auth=RequestSigner(
                self.wallet,
                kid=did_key_url(did_key_from_public(self.wallet.public)),
                clock=self.clock,
            ),
        )

    def enrol(self, bundle: bytes) -> str:
        """Import the patient at hospital A and link his wallet key."""
        imported = self.http.post(
            f"{URLS['hospital-a']}/api/records/bundles",
            content=bundle,
            headers={"content-type": "application/fhir+json"},
        )
        assert imported.status_code == 201, imported.text
        patient_id = imported.json()["patient_id"]
        linked = self.http.post(
            f"{URLS['hospital-a']}/api/records/patients/{patient_id}/wallet",
            json={"did": did_key_from_public(self.wallet.public)},
        )
        assert linked.status_code in (200, 201), linked.text
        return str(patient_id)

    def consent(self, **overrides: Any) -> dict[str, Any]:
        now = self.clock.now()
        terms = {
            "patient_did": did_key_from_public(self.wallet.public),
            "custodian_did": self.did("hospital-a"),
            "recipient_did": self.did("hospital-b"),
            "purpose": "TREAT",
            "scope": ConsentScope(resource_types=CARE_TYPES),
            "issued_at": now - timedelta(minutes=1),
            "expires_at": now + timedelta(days=30),
            "retention_days": 90,
            "cross_border_separate_consent": True,
            "sensitive_separate_consent": True,
            "prescribed_consent_hk": False,
            "consent_id": "consent-test-1",
        }
        terms.update(overrides)
        return sign_consent(ConsentTerms(**terms), self.wallet).to_json()

    def request(self, bundle: bytes, **overrides: Any) -> str:
        patient_id = self.enrol(bundle)
        status = self.portal.request_transfer(
            PatientRequest(consent=self.consent(**overrides), patient_ref=patient_id)
        )
        return status.transfer

    def run(self, bundle: bytes, **overrides: Any) -> str:
        """All five steps; returns the transfer id."""
        transfer = self.request(bundle, **overrides)
        self.hospital_a.file(transfer)
        self.hospital_a.upload(transfer)
        self.center.process(transfer)
        self.hospital_b.receive(transfer)
        return transfer

    def entry_types(self, transfer: str) -> list[str]:
        return [entry.statement.type for _, entry in self.ledger.entries_for_transfer(transfer)]


def build_corridor(
    asgi_router: ASGIRouter,
    tmp_path: Path,
    database_urls: Callable[[str], str],
    close: Callable[[Any], None],
    *,
    export: dict[str, Any] | None = None,
) -> Corridor:
    clock = FixedClock(datetime.now(UTC).replace(microsecond=0))
    apps: dict[str, Any] = {}
    factories = {
        "regulator-a": regulator.create_app,
        "regulator-b": regulator.create_app,
        "datacenter": datacenter.create_app,
        "hospital-a": hospital.create_app,
        "hospital-b": hospital.create_app,
        "portal": portal.create_app,
    }
    for name, factory in factories.items():
        extra = {"export": export or GBA_EXPORT} if name == "hospital-a" else {}
        settings = settings_for(name, tmp_path, database_urls(name), **extra)
        with warnings.catch_warnings():
            # The simulated enclave warns that it is insecure, by design.
            warnings.simplefilter("ignore", InsecureEnclaveWarning)
            app = factory(settings, transport=asgi_router, clock=clock)
        close(app)
        asgi_router.mount(URLS[name], app)
        apps[name] = app
    http = httpx.Client(transport=asgi_router, timeout=60, auth=operator_signer(clock))
    return Corridor(apps=apps, http=http, clock=clock, tmp_path=tmp_path)


def operator_signer(clock: FixedClock) -> SignerByOrigin:
    """Signs each request with the operator key of the party it goes to."""
    return SignerByOrigin(
        {
            URLS[name]: RequestSigner(
                key, kid=did_key_url(did_key_from_public(key.public)), clock=clock
            )
            for name, key in OPERATORS.items()
        }
    )


def patient_identifiers(bundle: bytes) -> list[str]:
    """Direct identifiers of the bundle's patient: names, record numbers, SSN, phone, address."""
    data = json.loads(bundle)
    patient = next(
        e["resource"] for e in data["entry"] if e["resource"]["resourceType"] == "Patient"
    )
    values = [name["family"] for name in patient.get("name", []) if "family" in name]
    values += [given for name in patient.get("name", []) for given in name.get("given", [])]
    values += [ident["value"] for ident in patient.get("identifier", [])]
    values += [t["value"] for t in patient.get("telecom", [])]
    values += [line for a in patient.get("address", []) for line in a.get("line", [])]
    return sorted(set(values))


def clinical_displays(bundle: bytes) -> list[str]:
    """Clinical content of the record: the display texts of its conditions' codes."""
    data = json.loads(bundle)
    return sorted(
        {
            coding["display"]
            for e in data["entry"]
            if e["resource"]["resourceType"] == "Condition"
            for coding in e["resource"]["code"].get("coding", [])
            if len(coding.get("display", "")) > 8
        }
    )
