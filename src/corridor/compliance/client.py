"""Typed client other parties use to file with a regulator."""

from __future__ import annotations

import httpx

from corridor.compliance.schemas import FilingRequest, FilingResponse
from corridor.errors import Unavailable
from corridor.transport import raise_for_problem


class HttpComplianceClient:
    """Files transfers with one regulator over HTTP."""

    def __init__(self, client: httpx.Client, base_url: str) -> None:
        self._client = client
        self._base = base_url.rstrip("/")

    def file(self, request: FilingRequest) -> FilingResponse:
        """Submit a filing; returns the signed decision and evidence indexes."""
        try:
            response = self._client.post(
                f"{self._base}/api/compliance/filings", json=request.model_dump(mode="json")
            )
        except httpx.HTTPError as exc:
            raise Unavailable(f"regulator at {self._base} unreachable: {exc}") from exc
        raise_for_problem(response)
        return FilingResponse.model_validate(response.json())
