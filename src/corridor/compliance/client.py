"""Typed client other parties (and operators' tools) use to reach a regulator."""

from __future__ import annotations

from typing import Any

import httpx

from corridor.compliance.schemas import (
    FilingRequest,
    FilingResponse,
    MechanismFilingRequest,
    MechanismFilingView,
)
from corridor.errors import Unavailable
from corridor.transport import raise_for_problem


class HttpComplianceClient:
    """One regulator's compliance API over HTTP."""

    def __init__(self, client: httpx.Client, base_url: str) -> None:
        self._client = client
        self._base = base_url.rstrip("/") + "/api/compliance"

    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self._client.request(method, self._base + path, **kwargs)
        except httpx.HTTPError as exc:
            raise Unavailable(f"regulator at {self._base} unreachable: {exc}") from exc
        raise_for_problem(response)
        return response

    def file(self, request: FilingRequest) -> FilingResponse:
        """Submit a transfer's filing; returns the signed decision and evidence indexes."""
        response = self._send("POST", "/filings", json=request.model_dump(mode="json"))
        return FilingResponse.model_validate(response.json())

    def filing(self, transfer: str) -> FilingResponse:
        """The filing of one transfer, in its current state."""
        return FilingResponse.model_validate(self._send("GET", f"/filings/{transfer}").json())

    def review(self, transfer: str, *, accept: bool, reason: str = "") -> FilingResponse:
        """Accept or reject a filing (a regulator officer's action)."""
        action = "accept" if accept else "reject"
        response = self._send("POST", f"/filings/{transfer}/{action}", json={"reason": reason})
        return FilingResponse.model_validate(response.json())

    def file_mechanism(self, request: MechanismFilingRequest) -> MechanismFilingView:
        """File a standard contract, security assessment or certificate."""
        response = self._send("POST", "/mechanism-filings", json=request.model_dump(mode="json"))
        return MechanismFilingView.model_validate(response.json())

    def decide_mechanism(
        self, filing_id: str, *, accept: bool, reason: str = ""
    ) -> MechanismFilingView:
        """Accept or reject a standing filing (a regulator officer's action)."""
        action = "accept" if accept else "reject"
        response = self._send(
            "POST", f"/mechanism-filings/{filing_id}/{action}", json={"reason": reason}
        )
        return MechanismFilingView.model_validate(response.json())

    def invalidate_mechanism(self, filing_id: str, *, reason: str) -> MechanismFilingView:
        """Report a material change that ends a standing filing."""
        response = self._send(
            "POST", f"/mechanism-filings/{filing_id}/invalidate", json={"reason": reason}
        )
        return MechanismFilingView.model_validate(response.json())

    def run_monitor(self) -> dict[str, Any]:
        """Have the regulator tail the log now; returns what it verified and raised."""
        body: dict[str, Any] = self._send("POST", "/monitor/run").json()
        return body

    def alerts(
        self, *, kind: str | None = None, transfer: str | None = None
    ) -> list[dict[str, Any]]:
        """The regulator's alerts, newest first."""
        params = {key: value for key, value in (("kind", kind), ("transfer", transfer)) if value}
        body: list[dict[str, Any]] = self._send("GET", "/alerts", params=params).json()
        return body

    def counters(self) -> list[dict[str, Any]]:
        """Year-to-date counters, reconciled with the chain."""
        body: list[dict[str, Any]] = self._send("GET", "/counters").json()
        return body
