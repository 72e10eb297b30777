"""Routes every node's pages share: sign-in and out, the language switch, sign-in links.

Staff sign in with a link (``/sign-in/link?token=...``) that an operator of this node
asked for with a signed request (``POST /web/api/sign-in-links``, RFC 9421). The link
opens a confirmation page whose button spends it, so a link scanner that fetches it does
not. A patient signs in at the portal by signing a challenge with his device's key, or
with a link his wallet asked for the same way (``corridor web sign-in-link``).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from corridor.identity import Caller
from corridor.identity.gate import allow
from corridor.web.errors import InvalidWebInput
from corridor.web.guards import PageRoute, check_csrf, check_origin, current_session, site_of
from corridor.web.i18n import LANGUAGES
from corridor.web.rendering import LANGUAGE_COOKIE, redirect, render, security_headers
from corridor.web.sessions import (
    STAFF_ROLES_BY_PARTY,
    SignedIn,
    create_invitation,
    end_session,
    issue_challenge,
    redeem_invitation,
    sign_in_patient,
)
from corridor.web.site import WebContext

router = APIRouter(route_class=PageRoute, include_in_schema=False)
_YEAR_SECONDS = 365 * 24 * 3600
_MAX_LINK_USES = 100
_MAX_LINK_MINUTES = 7 * 24 * 60


def safe_next(target: str | None) -> str:
    """A local path to go to after signing in (never another site: no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def set_session_cookie(response: Response, site: WebContext, signed: SignedIn) -> None:
    """The session cookie: HttpOnly, Secure where the browser allows, SameSite=Strict."""
    response.set_cookie(
        site.cookie_name,
        signed.token,
        max_age=int((signed.session.expires_at - site.clock.now()).total_seconds()),
        path="/",
        secure=site.secure_cookies,
        httponly=True,
        samesite="strict",
    )


@router.get("/sign-in")
def sign_in_page(request: Request, next: str | None = None) -> Response:  # noqa: A002  # the query's name
    """How to sign in here: a device key (portal) or a link from an operator (staff)."""
    return render(request, "sign_in.html", next=safe_next(next))


@router.get("/sign-in/link")
def sign_in_link_page(request: Request, token: str = "") -> Response:
    """Confirm before spending a sign-in link (link scanners only GET)."""
    return render(request, "sign_in_link.html", token=token)


@router.post("/sign-in/link")
def redeem_link(request: Request, token: Annotated[str, Form()] = "") -> Response:
    """Spend the link and open the session it names."""
    check_origin(request)
    site = site_of(request)
    signed = redeem_invitation(database=site.database, clock=site.clock, token=token)
    response = redirect("/")
    set_session_cookie(response, site, signed)
    return response


class ChallengeAnswer(BaseModel):
    """A patient's device signed the challenge."""

    model_config = ConfigDict(extra="forbid")

    nonce: str = Field(min_length=16, max_length=128)
    did: str = Field(pattern=r"^did:key:z[1-9A-HJ-NP-Za-km-z]{40,60}$")
    signature: str = Field(pattern=r"^[A-Za-z0-9_-]{80,90}$")
    next: str = Field(default="/", max_length=512)


@router.post("/sign-in/challenge")
def new_challenge(request: Request) -> Response:
    """A fresh nonce for the patient's key, and the origin it must name."""
    check_origin(request)
    site = site_of(request)
    if site.party != "portal":
        raise InvalidWebInput("patients sign in at the portal")
    nonce = issue_challenge(database=site.database, clock=site.clock)
    return security_headers(JSONResponse({"nonce": nonce, "audience": site.origin}))


@router.post("/sign-in/key")
def answer_challenge(request: Request, body: ChallengeAnswer) -> Response:
    """Open a patient session when his key signed the challenge."""
    check_origin(request)
    site = site_of(request)
    if site.party != "portal":
        raise InvalidWebInput("patients sign in at the portal")
    signed = sign_in_patient(
        database=site.database,
        clock=site.clock,
        audience=site.origin,
        nonce=body.nonce,
        did=body.did,
        signature=body.signature,
    )
    response = security_headers(JSONResponse({"next": safe_next(body.next)}))
    set_session_cookie(response, site, signed)
    return response


@router.post("/sign-out")
def sign_out(request: Request, csrf: Annotated[str, Form()] = "") -> Response:
    """End this browser's session."""
    site = site_of(request)
    session = current_session(request)
    if session is not None:
        check_csrf(request, session, csrf)
        end_session(database=site.database, token=request.cookies.get(site.cookie_name, ""))
    response = redirect("/sign-in")
    response.delete_cookie(site.cookie_name, path="/", secure=site.secure_cookies, httponly=True)
    return response


@router.get("/language/{tag}")
def switch_language(request: Request, tag: str, next: str | None = None) -> Response:  # noqa: A002
    """Remember the visitor's language (a preference, not a state change of the node)."""
    del request
    response = redirect(safe_next(next))
    if tag in LANGUAGES:
        response.set_cookie(
            LANGUAGE_COOKIE, tag, max_age=_YEAR_SECONDS, path="/", samesite="lax", httponly=True
        )
    return response


class SignInLinkRequest(BaseModel):
    """What an operator (or a patient's wallet) asks for."""

    model_config = ConfigDict(extra="forbid")

    role: str = Field(default="", max_length=16)
    name: str = Field(default="", max_length=255)
    uses: int = Field(default=1, ge=1, le=_MAX_LINK_USES)
    lifetime_minutes: int = Field(default=15, ge=1, le=_MAX_LINK_MINUTES)


api = APIRouter(prefix="/web/api", tags=["web"])


@api.post("/sign-in-links", status_code=201)
def sign_in_link(
    request: Request,
    body: SignInLinkRequest,
    caller: Annotated[Caller, allow(operator=True, patient=True)],
) -> dict[str, str]:
    """A sign-in link: for a staff member (asked by an operator) or for the patient himself.

    An operator names the staff member and a role this kind of node has; a patient's
    signed request (the portal only) yields a link to his own session, nothing else.
    """
    site = site_of(request)
    if caller.role == "patient":
        if site.party != "portal":
            raise InvalidWebInput("patients sign in at the portal")
        role, subject = "patient", caller.did
    else:
        if body.role not in STAFF_ROLES_BY_PARTY[site.party]:
            raise InvalidWebInput(
                f"a {site.party} has no staff role {body.role!r}",
                detail={"roles": ", ".join(STAFF_ROLES_BY_PARTY[site.party])},
            )
        if not body.name.strip():
            raise InvalidWebInput("name the staff member the link is for")
        role, subject = body.role, body.name.strip()
    token = create_invitation(
        database=site.database,
        clock=site.clock,
        role=role,  # type: ignore[arg-type]  # checked against the party's roles above
        subject=subject,
        created_by=caller.did,
        lifetime=timedelta(minutes=body.lifetime_minutes),
        uses=body.uses,
    )
    return {
        "url": f"{site.public_url.rstrip('/')}/sign-in/link?token={quote(token)}",
        "role": role,
        "subject": subject,
    }
