"""Rendering pages: one Jinja2 environment, the language of each request, safe headers.

Every page is rendered with the visitor's language (:mod:`corridor.web.i18n`), the
node's identity, the signed-in session and its CSRF token. Answers carry a strict
Content Security Policy (scripts and styles from this origin only, no inline script),
no framing, and no referrer to other origins, since sign-in links carry tokens in
their query (``no-referrer`` would also make browsers send ``Origin: null`` on forms).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from babel.dates import format_datetime
from babel.numbers import format_decimal
from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from corridor.clock import from_rfc3339
from corridor.web import labels
from corridor.web.i18n import (
    LANGUAGE_NAMES,
    LANGUAGES,
    Translator,
    babel_locale,
    negotiate_language,
)
from corridor.web.sessions import WebSession
from corridor.web.site import WebContext

LANGUAGE_COOKIE = "corridor-language"
_TEMPLATES = Path(__file__).with_name("templates")
_SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def short(value: object, keep: int = 12) -> str:
    """A long identifier or digest cut in the middle (the full value goes in ``title``)."""
    text = str(value)
    if len(text) <= keep * 2 + 1:
        return text
    return f"{text[:keep]}…{text[-6:]}"


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(_TEMPLATES),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["short"] = short
    env.filters["tojson_attr"] = lambda value: json.dumps(value, sort_keys=True)
    return env


ENVIRONMENT = _environment()


def language_of(request: Request) -> str:
    """The visitor's language: his switch's cookie, else ``Accept-Language``."""
    return negotiate_language(
        request.headers.get("accept-language"), request.cookies.get(LANGUAGE_COOKIE)
    )


class Formatter:
    """Dates and numbers in the visitor's locale (CLDR via Babel)."""

    def __init__(self, language: str) -> None:
        self._locale = babel_locale(language)

    def when(self, value: datetime | str | None) -> str:
        """A date and time, medium length."""
        if value is None or value == "":
            return "—"
        at = from_rfc3339(value) if isinstance(value, str) else value
        if at.tzinfo is None:
            at = at.replace(tzinfo=UTC)
        return format_datetime(at, "medium", locale=self._locale)

    def number(self, value: float) -> str:
        """A number with the locale's grouping."""
        return format_decimal(value, locale=self._locale)


def security_headers(response: Response) -> Response:
    """Add the page security headers to ``response``."""
    for name, value in _SECURITY_HEADERS.items():
        response.headers[name] = value
    return response


def render(
    request: Request,
    template: str,
    *,
    status_code: int = 200,
    **values: Any,
) -> HTMLResponse:
    """Render ``template`` for this request."""
    site: WebContext = request.app.state.web
    session: WebSession | None = getattr(request.state, "web_session", None)
    language = language_of(request)
    context = {
        "_": Translator(language),
        "language": language,
        "languages": [(tag, LANGUAGE_NAMES[tag]) for tag in LANGUAGES],
        "fmt": Formatter(language),
        "site": site,
        "session": session,
        "csrf": session.csrf if session is not None else "",
        "labels": labels,
        "path": request.url.path,
        # Where the language switch comes back to: this page, or home after a form post.
        "here": quote(
            request.url.path + (f"?{request.url.query}" if request.url.query else "")
            if request.method == "GET"
            else "/"
        ),
        **values,
    }
    html = ENVIRONMENT.get_template(template).render(context)
    return security_headers(HTMLResponse(html, status_code=status_code))  # type: ignore[return-value]


def redirect(url: str) -> RedirectResponse:
    """A 303 See Other (the answer to a form post, RFC 9110 §15.4.4)."""
    response = RedirectResponse(url, status_code=303)
    security_headers(response)
    return response
