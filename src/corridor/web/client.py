"""Typed client of a node's web API: ask for a sign-in link (a signed request)."""

from __future__ import annotations

import httpx

from corridor.errors import Unavailable
from corridor.transport import raise_for_problem


class HttpWebClient:
    """``POST /web/api/sign-in-links`` on one node; the httpx client signs as its caller."""

    def __init__(self, client: httpx.Client, base_url: str) -> None:
        self._client = client
        self.base_url = base_url.rstrip("/")

    def sign_in_link(
        self, *, role: str = "", name: str = "", uses: int = 1, lifetime_minutes: int = 15
    ) -> str:
        """A sign-in link for a staff member (as an operator) or for oneself (as a patient)."""
        try:
            response = self._client.post(
                f"{self.base_url}/web/api/sign-in-links",
                json={
                    "role": role,
                    "name": name,
                    "uses": uses,
                    "lifetime_minutes": lifetime_minutes,
                },
            )
        except httpx.HTTPError as exc:
            raise Unavailable(f"{self.base_url} unreachable: {exc}") from exc
        raise_for_problem(response)
        return str(response.json()["url"])
