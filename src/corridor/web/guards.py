"""Who may see a page and post a form: sessions, roles, CSRF, origin; errors as pages.

Every state-changing request must carry this session's CSRF token (a hidden field or the
``X-CSRF-Token`` header) and, when the browser sends one, an ``Origin`` equal to this
node's (OWASP CSRF Prevention Cheat Sheet: synchronizer token plus origin check).
SameSite cannot do it alone here: parties on one host differ only by port and are
therefore the *same site* to a browser.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import Response
from fastapi.routing import APIRoute

from corridor.errors import CorridorError
from corridor.problems import problem_for, status_for
from corridor.web.errors import CsrfRejected, NotSignedIn, WrongRole
from corridor.web.rendering import redirect, render, security_headers
from corridor.web.sessions import Role, WebSession, csrf_matches, find_session
from corridor.web.site import WebContext

CSRF_HEADER = "x-csrf-token"


def _wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


def error_response(request: Request, error: CorridorError) -> Response:
    """A page (or, for the pages' scripts, JSON) saying what went wrong."""
    if isinstance(error, NotSignedIn) and not _wants_json(request):
        target = quote(request.url.path)
        return redirect(f"/sign-in?next={target}")
    if _wants_json(request):  # the pages' scripts read RFC 9457 problem details
        return security_headers(problem_for(error, instance=request.url.path))
    return render(request, "error.html", status_code=status_for(error), error=error)


class PageRoute(APIRoute):
    """A route whose domain errors become a page instead of problem details."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """Wrap the handler so that a :class:`CorridorError` renders ``error.html``."""
        original = super().get_route_handler()

        async def handler(request: Request) -> Response:
            try:
                return await original(request)
            except CorridorError as exc:
                return error_response(request, exc)

        return handler


def site_of(request: Request) -> WebContext:
    """The node's web context."""
    site: WebContext = request.app.state.web
    return site


def current_session(request: Request) -> WebSession | None:
    """The signed-in session of this request, if any (looked up once per request)."""
    if hasattr(request.state, "web_session"):
        known: WebSession | None = request.state.web_session
        return known
    site = site_of(request)
    token = request.cookies.get(site.cookie_name, "")
    session = find_session(database=site.database, clock=site.clock, token=token)
    request.state.web_session = session
    return session


def require_role(request: Request, *roles: Role) -> WebSession:
    """The session, if it holds one of ``roles``; else sign in (or refuse)."""
    session = current_session(request)
    if session is None:
        raise NotSignedIn("please sign in")
    if session.role not in roles:
        raise WrongRole(
            "your role does not include this page",
            detail={"role": session.role, "needed": ", ".join(roles)},
        )
    return session


def check_origin(request: Request) -> None:
    """Refuse a state change that a browser says comes from another origin."""
    origin = request.headers.get("origin")
    if origin is not None and origin != site_of(request).origin:
        raise CsrfRejected("this form was sent from another site")


def check_csrf(request: Request, session: WebSession, presented: str | None = None) -> None:
    """Refuse a state change without this session's CSRF token."""
    check_origin(request)
    token = presented if presented is not None else request.headers.get(CSRF_HEADER)
    if not csrf_matches(session, token):
        raise CsrfRejected("the form's security token is missing or stale; reload the page")
