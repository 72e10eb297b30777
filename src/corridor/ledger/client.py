"""Typed HTTP client other parties use to append to and read from the datacenter's log."""

from __future__ import annotations

import base64
import binascii
import time
from collections.abc import Sequence
from typing import Any

import httpx

from corridor.crypto.canonical import b64url_encode, canonical_json
from corridor.ledger import errors
from corridor.ledger.evidence import SignedEntry, parse_signed_entry
from corridor.ledger.receipt import TrustPolicy
from corridor.ledger.service import AppendedEntry, AppendResult
from corridor.ledger.witness import SIZE_MEDIA_TYPE, AddCheckpointRequest

_TEXT_LIMIT = 500


def _ledger_errors() -> dict[str, type[errors.LedgerError]]:
    found: dict[str, type[errors.LedgerError]] = {}
    pending: list[type[errors.LedgerError]] = [errors.LedgerError]
    while pending:
        kind = pending.pop()
        found[kind.code] = kind
        pending.extend(kind.__subclasses__())
    return found


_BY_CODE = _ledger_errors()
# Problems raised by the framework rather than the ledger family.
_BY_CODE["invalid-request"] = errors.InvalidBatch


class HttpLedgerClient:
    """The datacenter's log over HTTP, with problems turned back into ledger errors."""

    def __init__(self, client: httpx.Client, base_url: str) -> None:
        self._client = client
        self._base = base_url.rstrip("/") + "/api/ledger"

    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self._client.request(method, self._base + path, **kwargs)
        except httpx.HTTPError as exc:
            raise errors.LogUnavailable(f"log at {self._base} unreachable: {exc}") from exc
        if not response.is_success:
            raise _problem_error(response)
        return response

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self._send(method, path, **kwargs)
        try:
            return response.json()
        except ValueError as exc:
            raise errors.LogUnavailable(f"log answered {path} with invalid JSON") from exc

    def append(self, leaves: Sequence[bytes]) -> AppendResult:
        """Append a batch; returns once the log has made it durable."""
        body = self._json(
            "POST", "/entries", json={"entries": [b64url_encode(leaf) for leaf in leaves]}
        )
        try:
            return AppendResult(
                entries=[
                    AppendedEntry(
                        index=int(item["index"]),
                        leaf_hash=str(item["leaf_hash"]),
                        digest=str(item["digest"]),
                    )
                    for item in body["entries"]
                ],
                checkpoint=str(body["checkpoint"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise errors.LogUnavailable("log answered an append with an unexpected shape") from exc

    def checkpoint(self) -> str:
        """The latest signed checkpoint, as served (verify it before trusting it)."""
        return self._send("GET", "/checkpoint").text

    def entry(self, index: int) -> bytes:
        """The exact leaf bytes at ``index``."""
        return self._send("GET", f"/entries/{index}").content

    def entries_for_transfer(self, transfer: str) -> list[tuple[int, SignedEntry]]:
        """Every entry about ``transfer``, parsed (signatures are not checked here)."""
        body = self._json("GET", "/entries", params={"transfer": transfer})
        try:
            # Leaves are canonical JSON, so re-canonicalising gives back their exact bytes.
            return [
                (int(item["index"]), parse_signed_entry(canonical_json(item["entry"])))
                for item in body["entries"]
            ]
        except (KeyError, TypeError, ValueError) as exc:
            raise errors.LogUnavailable("log answered a listing with an unexpected shape") from exc

    def inclusion_proof(self, index: int, tree_size: int) -> list[bytes]:
        """Audit path of ``index`` in the tree of ``tree_size`` entries."""
        body = self._json(
            "GET", "/proofs/inclusion", params={"index": index, "tree_size": tree_size}
        )
        return _hashes(body)

    def consistency_proof(self, old: int, new: int) -> list[bytes]:
        """Consistency proof from tree size ``old`` to ``new``."""
        return _hashes(self._json("GET", "/proofs/consistency", params={"old": old, "new": new}))

    def receipt(self, index: int, *, wait_seconds: float = 30.0) -> str:
        """A C2SP tlog-proof receipt for entry ``index`` against a final checkpoint.

        An entry is final once the witness quorum cosigned a checkpoint covering it; until
        then the log answers 503 ``not-yet-final`` and this polls for up to ``wait_seconds``.
        """
        deadline = time.monotonic() + wait_seconds
        pause = 0.05
        while True:
            try:
                return self._send("GET", f"/receipts/{index}").text
            except errors.NotYetFinal:
                if time.monotonic() + pause > deadline:
                    raise
            time.sleep(pause)
            pause = min(pause * 2, 1.0)

    def trust(self) -> TrustPolicy:
        """The trust policy the log publishes (pin it out of band in production)."""
        body = self._json("GET", "/trust")
        return TrustPolicy.from_json(body)

    def log_identity(self) -> tuple[str, str]:
        """``(origin, verifier key)`` as the log publishes them (what a witness pins)."""
        trust = self.trust()
        return trust.origin, trust.log_key

    def tlog_checkpoint(self) -> str:
        """The tlog-tiles ``checkpoint``: the latest final checkpoint with its cosignatures."""
        return self._send("GET", "/tlog/checkpoint").text

    def tlog_tile(self, path: str) -> bytes:
        """A tlog-tiles resource under the prefix (``tile/0/000.p/5``, ``tile/entries/001``)."""
        return self._send("GET", f"/tlog/{path}").content


def _hashes(body: Any) -> list[bytes]:
    try:
        return [base64.b64decode(text, validate=True) for text in body["hashes"]]
    except (KeyError, TypeError, binascii.Error) as exc:
        raise errors.LogUnavailable("log answered a proof with an unexpected shape") from exc


def _problem_error(response: httpx.Response) -> errors.LedgerError:
    try:
        problem = response.json()
    except ValueError:
        problem = None
    if not isinstance(problem, dict):
        problem = {"detail": response.text[:_TEXT_LIMIT]}
    detail = str(problem.get("detail") or response.reason_phrase)
    message = f"log answered {response.status_code}: {detail}"
    extra = {"status": response.status_code, "remote": problem}
    kind = _BY_CODE.get(str(problem.get("code", "")))
    # A 5xx is the log's failure whatever code it claims, except "not yet final", which
    # tells the caller to retry a receipt shortly.
    if kind is not errors.NotYetFinal and (kind is None or response.status_code >= 500):  # noqa: PLR2004
        if response.status_code == 404:  # noqa: PLR2004
            kind = errors.EntryNotFound
        elif 400 <= response.status_code < 500:  # noqa: PLR2004
            kind = errors.InvalidBatch
        else:
            kind = errors.LogUnavailable
    return kind(message, detail=extra)


_WITNESS_STATUS_ERRORS: dict[int, type[errors.LedgerError]] = {
    400: errors.MalformedWitnessRequest,
    403: errors.UntrustedCheckpoint,
    404: errors.UnknownLogOrigin,
    409: errors.ForkedCheckpoint,
    422: errors.ConsistencyProofFailed,
}


class HttpWitnessClient:
    """Witnesses over HTTP (C2SP tlog-witness), at ``<node>/api/ledger/witness``."""

    def __init__(self, client: httpx.Client) -> None:
        self._client = client

    @staticmethod
    def _prefix(url: str) -> str:
        return url.rstrip("/") + "/api/ledger/witness"

    def describe(self, url: str) -> tuple[str, str]:
        """The witness's key name and verifier key."""
        try:
            response = self._client.get(self._prefix(url))
        except httpx.HTTPError as exc:
            raise errors.WitnessUnavailable(f"witness at {url} unreachable: {exc}") from exc
        if not response.is_success:
            raise errors.WitnessUnavailable(f"witness at {url} answered {response.status_code}")
        try:
            body = response.json()
            return str(body["name"]), str(body["vkey"])
        except (ValueError, KeyError, TypeError) as exc:
            raise errors.WitnessUnavailable(f"witness at {url} is not a Corridor witness") from exc

    def add_checkpoint(self, url: str, request: AddCheckpointRequest) -> str:
        """POST add-checkpoint; 200 gives cosignature lines, other codes the matching error."""
        try:
            response = self._client.post(
                self._prefix(url) + "/add-checkpoint",
                content=request.body(),
                headers={"content-type": "text/plain; charset=utf-8"},
            )
        except httpx.HTTPError as exc:
            raise errors.WitnessUnavailable(f"witness at {url} unreachable: {exc}") from exc
        if response.status_code == 200:  # noqa: PLR2004
            return response.text
        media_type = response.headers.get("content-type", "").split(";")[0].strip()
        if response.status_code == 409 and media_type == SIZE_MEDIA_TYPE:  # noqa: PLR2004
            text = response.text.strip()
            if not text.isdigit():
                raise errors.WitnessUnavailable(f"witness at {url} sent a malformed size")
            raise errors.WitnessSizeMismatch(
                f"witness at {url} cosigned size {text}", latest_size=int(text)
            )
        kind = _WITNESS_STATUS_ERRORS.get(response.status_code, errors.WitnessUnavailable)
        raise kind(
            f"witness at {url} answered {response.status_code}: {response.text[:_TEXT_LIMIT]}",
            detail={"status": response.status_code},
        )
