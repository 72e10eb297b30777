"""Typed clients of the enclave domain's HTTP APIs.

``HttpReferenceClient``: the data center asks a regulator to approve its measurement.
``HttpOfferClient``: hospital A asks the data center for a deposit offer.
``HttpKbsClient``: an attester (the enclave host's attestation agent) speaks the KBS
protocol to the data center's key broker.
"""

from __future__ import annotations

import base64
from typing import Any

import httpx

from corridor.crypto.canonical import b64url_decode, b64url_encode
from corridor.enclave.errors import EnclaveUnavailable
from corridor.enclave.offers import DepositOffer
from corridor.enclave.reference import ReferenceProposal, SignedReferenceValues
from corridor.transport import raise_for_problem

SESSION_COOKIE = "kbs-session-id"


def _send(client: httpx.Client, request: httpx.Request) -> httpx.Response:
    try:
        response = client.send(request)
    except httpx.HTTPError as exc:
        raise EnclaveUnavailable(f"{request.method} {request.url} failed: {exc}") from exc
    raise_for_problem(response)
    return response


class HttpReferenceClient:
    """A regulator's ``/api/enclave/reference-values``."""

    def __init__(self, client: httpx.Client, base_url: str) -> None:
        self._client = client
        self._url = base_url.rstrip("/") + "/api/enclave/reference-values"

    def approve(self, proposal: ReferenceProposal) -> SignedReferenceValues:
        """Ask for a signed approval of ``proposal``."""
        request = self._client.build_request("POST", self._url, json=proposal.to_json())
        return SignedReferenceValues.from_json(_send(self._client, request).json())


class HttpOfferClient:
    """The data center's ``/api/enclave/deposit-offers``."""

    def __init__(self, client: httpx.Client, base_url: str) -> None:
        self._client = client
        self._url = base_url.rstrip("/") + "/api/enclave/deposit-offers"

    def deposit_offer(self, nonce: bytes) -> DepositOffer:
        """An offer answering ``nonce``."""
        request = self._client.build_request(
            "POST", self._url, json={"nonce": b64url_encode(nonce)}
        )
        return DepositOffer.from_json(_send(self._client, request).json())

    def reference_values(self) -> list[SignedReferenceValues]:
        """Every regulator-signed reference-values statement the center holds (unverified)."""
        url = self._url.removesuffix("/deposit-offers") + "/reference-values"
        answer = _send(self._client, self._client.build_request("GET", url)).json()
        if not isinstance(answer, list):
            raise EnclaveUnavailable("the reference values are not a JSON list")
        return [SignedReferenceValues.from_json(item) for item in answer]


class HttpKbsClient:
    """The data center's ``/kbs/v0`` (Trustee KBS protocol); keeps the session cookie."""

    def __init__(self, client: httpx.Client, base_url: str) -> None:
        self._client = client
        self._base = base_url.rstrip("/") + "/kbs/v0"
        self.session_id: str | None = None

    def auth(self, *, tee: str, transfer: str, version: str = "0.1.1") -> bytes:
        """Request -> Challenge; returns the nonce and keeps the session cookie."""
        body = {"version": version, "tee": tee, "extra-params": {"transfer": transfer}}
        request = self._client.build_request("POST", f"{self._base}/auth", json=body)
        response = _send(self._client, request)
        self.session_id = response.cookies.get(SESSION_COOKIE)
        return base64.b64decode(response.json()["nonce"])

    def attest(self, *, evidence: bytes, runtime_data: dict[str, Any]) -> str:
        """Attestation -> token."""
        body = {
            "runtime-data": runtime_data,
            "tee-evidence": {"primary_evidence": base64.b64encode(evidence).decode("ascii")},
        }
        request = self._client.build_request(
            "POST", f"{self._base}/attest", json=body, headers=self._cookie()
        )
        return str(_send(self._client, request).json()["token"])

    def resource(self, path: str, *, token: str | None = None) -> dict[str, Any]:
        """Response: the released resource, by cookie or by bearer token."""
        headers = {"Authorization": f"Bearer {token}"} if token else self._cookie()
        request = self._client.build_request(
            "GET", f"{self._base}/resource/{path.strip('/')}", headers=headers
        )
        answer = _send(self._client, request).json()
        if not isinstance(answer, dict):
            raise EnclaveUnavailable("the key broker answered a resource that is not an object")
        return answer

    def _cookie(self) -> dict[str, str]:
        return {"Cookie": f"{SESSION_COOKIE}={self.session_id}"} if self.session_id else {}


def released_bytes(answer: dict[str, Any], name: str) -> bytes:
    """One base64url field of a released resource."""
    return b64url_decode(str(answer[name]))
