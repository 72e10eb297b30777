"""Errors of the web pages, each with the kind the app factory maps to an HTTP status."""

from __future__ import annotations

from corridor.errors import CorridorError, Forbidden, InvalidInput, NotFound, Unauthenticated


class WebError(CorridorError):
    """Root of the web family."""


class NotSignedIn(WebError, Unauthenticated):
    """The page needs a signed-in session and the browser has none (or it expired)."""

    code = "not-signed-in"


class WrongRole(WebError, Forbidden):
    """The signed-in person's role does not include this page or action."""

    code = "wrong-role"


class CsrfRejected(WebError, Forbidden):
    """A state-changing request came without this session's CSRF token or from another origin."""

    code = "csrf-rejected"


class InvitationInvalid(WebError, Unauthenticated):
    """A sign-in link is unknown, used up or expired."""

    code = "invitation-invalid"


class ChallengeInvalid(WebError, Unauthenticated):
    """A patient's sign-in answer names an unknown or expired challenge, or does not verify."""

    code = "challenge-invalid"


class InvalidWebInput(WebError, InvalidInput):
    """A form field is missing or malformed."""

    code = "invalid-web-input"


class PageNotFound(WebError, NotFound):
    """No such page, or nothing this person may see under that address."""

    code = "page-not-found"
