"""Typed HTTP clients of the identity package: credential issuance and public documents."""

from __future__ import annotations

import httpx

from corridor.errors import Unavailable
from corridor.identity.errors import CredentialInvalid
from corridor.transport import raise_for_problem

VC_JWT_MEDIA_TYPE = "application/vc+jwt"
VP_JWT_MEDIA_TYPE = "application/vp+jwt"
_MAX_DOCUMENT_BYTES = 256 * 1024


class HttpIssuerClient:
    """Asks one regulator for a credential (a signed call: the regulator sees who asks)."""

    def __init__(self, client: httpx.Client, base_url: str) -> None:
        self._client = client
        self.base_url = base_url.rstrip("/")

    def __repr__(self) -> str:
        return f"HttpIssuerClient({self.base_url})"

    def request_credential(self, credential_type: str) -> str:
        """The VC-JWT the regulator issues to the calling node."""
        url = f"{self.base_url}/api/identity/credentials"
        try:
            response = self._client.post(url, json={"type": credential_type})
        except httpx.HTTPError as exc:
            raise Unavailable(f"regulator at {self.base_url} unreachable: {exc}") from exc
        raise_for_problem(response)
        body = response.json()
        token = body.get("credential") if isinstance(body, dict) else None
        if not isinstance(token, str):
            raise CredentialInvalid(f"{url} answered without a credential")
        return token


def fetch_token(client: httpx.Client, url: str, *, media_type: str) -> str:
    """GET a public JWS document (a presentation or a status list credential)."""
    try:
        response = client.get(url, headers={"accept": media_type})
    except httpx.HTTPError as exc:
        raise Unavailable(f"cannot fetch {url}: {exc}") from exc
    raise_for_problem(response)
    if len(response.content) > _MAX_DOCUMENT_BYTES:
        raise CredentialInvalid(f"{url} returned an oversized document")
    return response.text.strip()
