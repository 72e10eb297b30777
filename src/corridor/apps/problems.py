"""RFC 9457 problem details: the one place where error kinds become HTTP status codes."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

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

_LOG = logging.getLogger(__name__)
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


def install_problem_handlers(app: FastAPI) -> None:
    """Answer every error with problem details; never leak a stack trace."""

    @app.exception_handler(CorridorError)
    async def _corridor_error(request: Request, exc: CorridorError) -> JSONResponse:
        status = status_for(exc)
        if status >= 500:  # noqa: PLR2004
            _LOG.error("%s %s failed: %s", request.method, request.url.path, exc.diagnostics())
        return problem(
            status,
            code=exc.code,
            title=type(exc).__name__,
            detail=exc.message,
            instance=request.url.path,
            **({"errors": exc.detail} if exc.detail else {}),
        )

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"loc": list(err.get("loc", ())), "msg": err.get("msg", ""), "type": err.get("type")}
            for err in exc.errors()
        ]
        return problem(
            422,
            code="invalid-request",
            title="RequestValidationError",
            detail="the request did not match the expected shape",
            instance=request.url.path,
            errors=errors,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return problem(
            exc.status_code,
            code=f"http-{exc.status_code}",
            title="HTTPException",
            detail=str(exc.detail),
            instance=request.url.path,
        )
