"""Typed client for another party's vault API (hospitals upload and fetch through it)."""

from __future__ import annotations

import hashlib

import httpx

from corridor.vault.errors import (
    ObjectCorrupted,
    ObjectNotFound,
    ObjectTooLarge,
    VaultError,
    VaultUnavailable,
)
from corridor.vault.models import StoredObject, check_object_id


def _problem_code(response: httpx.Response) -> str:
    # Errors arrive as RFC 9457 problem details carrying Corridor's ``code`` slug.
    try:
        body = response.json()
    except ValueError:
        return ""
    return str(body.get("code", "")) if isinstance(body, dict) else ""


class HttpVaultClient:
    """Talks to ``/api/vault`` through an ``httpx.Client`` (whose transport tests may swap)."""

    def __init__(self, client: httpx.Client, base_url: str) -> None:
        self._client = client
        self._base = base_url.rstrip("/") + "/api/vault"

    def __repr__(self) -> str:
        return f"HttpVaultClient({self._base})"

    def _send(self, request: httpx.Request) -> httpx.Response:
        try:
            response = self._client.send(request)
        except httpx.HTTPError as exc:
            raise VaultUnavailable(f"vault request failed: {exc}") from exc
        if not response.is_error:
            return response
        code = _problem_code(response)
        if code == "object-not-found" or response.status_code == 404:  # noqa: PLR2004
            raise ObjectNotFound("the vault has no such object")
        if code == "object-too-large":
            raise ObjectTooLarge("the vault refused the object as too large")
        if code == "object-corrupted":
            raise ObjectCorrupted("the vault reports the stored object is damaged")
        raise VaultUnavailable(
            f"vault answered {response.status_code}", detail={"body": response.text[:500]}
        )

    def put(self, data: bytes, *, transfer: str, kind: str) -> StoredObject:
        """Upload ciphertext; checks that the vault named it by its SHA-256."""
        request = self._client.build_request(
            "PUT",
            f"{self._base}/objects",
            params={"transfer": transfer, "kind": kind},
            content=data,
            headers={"content-type": "application/octet-stream"},
        )
        body = self._send(request).json()
        stored = StoredObject(object_id=str(body["object_id"]), size=int(body["size"]))
        if stored.object_id != hashlib.sha256(data).hexdigest() or stored.size != len(data):
            raise VaultError("the vault acknowledged a different object than was sent")
        return stored

    def get(self, object_id: str) -> bytes:
        """Download an object and check it against its id (never trust the server)."""
        check_object_id(object_id)
        data = self._send(
            self._client.build_request("GET", f"{self._base}/objects/{object_id}")
        ).content
        if hashlib.sha256(data).hexdigest() != object_id:
            raise ObjectCorrupted(f"object {object_id} from the vault does not match its digest")
        return data
