"""RFC 9457 problem details: the one place where error kinds become HTTP status codes.

Both the parties' APIs (``apps/problems.py``) and the pages' scripts (``web/guards.py``)
answer errors with these bodies, so a client reads one shape everywhere.
"""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse

from corridor.errors import (
    ConfigurationError,
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

PROBLEM_JSON = "application/problem+json"
_TYPE_BASE = "https://corridor.example/problems/"

# Most specific kind first: a class inheriting two kinds takes the first listed.
_STATUS_BY_KIND: tuple[tuple[type[CorridorError], int], ...] = (
    (Unauthenticated, 401),
    (Forbidden, 403),
    (PolicyDenied, 403),
    (NotFound, 404),
    (Conflict, 409),
    (VerificationFailed, 422),
    (InvalidInput, 400),
    (Unavailable, 503),
    (ConfigurationError, 500),
)


def status_for(error: CorridorError) -> int:
    """The HTTP status for an error, by the first kind it inherits."""
    for kind, status in _STATUS_BY_KIND:
        if isinstance(error, kind):
            return status
    return 500


def problem(status: int, *, code: str, title: str, detail: str, **extra: Any) -> JSONResponse:
    """Build a problem+json response (RFC 9457 §3)."""
    body: dict[str, Any] = {
        "type": _TYPE_BASE + code,
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
    }
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)


def problem_for(error: CorridorError, *, instance: str) -> JSONResponse:
    """The problem details of a domain error raised while serving ``instance``."""
    return problem(
        status_for(error),
        code=error.code,
        title=type(error).__name__,
        detail=error.message,
        instance=instance,
        **({"errors": error.detail} if error.detail else {}),
    )
