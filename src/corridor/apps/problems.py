"""Every error of a party's API answered as RFC 9457 problem details (kinds: corridor.problems)."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from corridor.errors import CorridorError
from corridor.problems import PROBLEM_JSON, problem, problem_for, status_for

__all__ = ["PROBLEM_JSON", "install_problem_handlers", "problem", "status_for"]
_LOG = logging.getLogger(__name__)


def install_problem_handlers(app: FastAPI) -> None:
    """Answer every error with problem details; never leak a stack trace."""

    @app.exception_handler(CorridorError)
    async def _corridor_error(request: Request, exc: CorridorError) -> JSONResponse:
        status = status_for(exc)
        if status >= 500:  # noqa: PLR2004
            _LOG.error("%s %s failed: %s", request.method, request.url.path, exc.diagnostics())
        return problem_for(exc, instance=request.url.path)

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
