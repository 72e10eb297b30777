"""HTTP plumbing shared by every typed client: one client per node, problems back to errors.

A party's clients all share the ``httpx.Client`` its composition root builds, so tests can
swap the transport (in-process ASGI apps) without touching a single client class.
"""

from __future__ import annotations

from typing import Any

import httpx

from corridor.errors import (
    Conflict,
    CorridorError,
    Forbidden,
    InvalidInput,
    NotFound,
    PolicyDenied,
    Unauthenticated,
    Unavailable,
    VerificationFailed,
)


class RemoteProblem(CorridorError):
    """Mixin for errors that another party answered; ``problem`` holds its RFC 9457 body."""

    def __init__(self, message: str, *, problem: dict[str, Any]) -> None:
        super().__init__(message, detail={"remote": problem})
        self.problem = problem
        self.code = str(problem.get("code", self.code))


class RemoteInvalidInput(RemoteProblem, InvalidInput):
    """The other party found our request malformed."""


class RemoteUnauthenticated(RemoteProblem, Unauthenticated):
    """The other party could not authenticate us."""


class RemoteForbidden(RemoteProblem, Forbidden):
    """The other party refused us."""


class RemotePolicyDenied(RemoteProblem, PolicyDenied):
    """The other party's policy said no."""


class RemoteNotFound(RemoteProblem, NotFound):
    """The other party does not have what we asked for."""


class RemoteConflict(RemoteProblem, Conflict):
    """The request clashed with the other party's state."""


class RemoteVerificationFailed(RemoteProblem, VerificationFailed):
    """Something we sent did not verify at the other party."""


class RemoteUnavailable(RemoteProblem, Unavailable):
    """The other party failed or is unavailable."""


_BY_STATUS: dict[int, type[RemoteProblem]] = {
    400: RemoteInvalidInput,
    401: RemoteUnauthenticated,
    404: RemoteNotFound,
    409: RemoteConflict,
    413: RemoteInvalidInput,
    422: RemoteVerificationFailed,
}


def raise_for_problem(response: httpx.Response) -> None:
    """Raise the matching ``Remote*`` error for a 4xx/5xx answer; return on success."""
    if response.is_success:
        return
    try:
        body = response.json()
    except ValueError:
        body = None
    problem: dict[str, Any] = body if isinstance(body, dict) else {"detail": response.text[:500]}
    problem.setdefault("status", response.status_code)
    detail = str(problem.get("detail") or problem.get("title") or response.reason_phrase)
    where = f"{response.request.method} {response.request.url}"
    message = f"{where} answered {response.status_code}: {detail}"
    if response.status_code == 403:  # noqa: PLR2004
        kind: type[RemoteProblem] = (
            RemotePolicyDenied if problem.get("code") != "forbidden" else RemoteForbidden
        )
    elif response.status_code >= 500:  # noqa: PLR2004
        kind = RemoteUnavailable
    else:
        kind = _BY_STATUS.get(response.status_code, RemoteInvalidInput)
    raise kind(message, problem=problem)


def build_http_client(
    *,
    timeout_seconds: float,
    transport: httpx.BaseTransport | None = None,
    auth: httpx.Auth | None = None,
) -> httpx.Client:
    """The one HTTP client of a node; ``transport`` lets tests route to in-process apps.

    ``auth`` signs every request (the node's RFC 9421 request signer).
    """
    return httpx.Client(
        timeout=timeout_seconds,
        transport=transport,
        auth=auth,
        headers={"user-agent": "corridor/0.1"},
        follow_redirects=False,
    )
