"""HTTP APIs of the enclave domain: the KBS protocol, deposit offers, reference values.

``kbs_router`` and ``offer_router`` live on the data center, ``reference_router`` on each
regulator. The KBS routes are unsigned, as in Trustee: the attester is authenticated by
its evidence, and what they release is sealed to the attested key.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Cookie, Depends, Header, Response
from pydantic import BaseModel, ConfigDict, Field

from corridor.crypto.canonical import b64url_decode
from corridor.enclave.client import SESSION_COOKIE
from corridor.enclave.errors import KbsRequestInvalid
from corridor.enclave.kbs import KbsContext, attest, release_resource, request_challenge
from corridor.enclave.offers import OfferContext, deposit_offer
from corridor.enclave.reference import ReferenceProposal
from corridor.enclave.references import ApproverContext, approve_reference_values
from corridor.identity.gate import allow
from corridor.state import from_state

KbsDep = Annotated[KbsContext, Depends(from_state("kbs"))]
OffersDep = Annotated[OfferContext, Depends(from_state("offers"))]
ApproverDep = Annotated[ApproverContext, Depends(from_state("reference_approver"))]
JsonBody = Annotated[dict[str, Any], Body()]
SessionCookie = Annotated[str | None, Cookie(alias=SESSION_COOKIE)]

kbs_router = APIRouter(prefix="/kbs/v0", tags=["key broker"])


@kbs_router.post("/auth")
def auth(body: JsonBody, response: Response, context: KbsDep) -> dict[str, Any]:
    """Request -> Challenge: a nonce, and the session cookie that carries it."""
    challenge = request_challenge(context=context, request=body)
    response.set_cookie(
        SESSION_COOKIE,
        challenge.session_id,
        max_age=int(context.session_ttl.total_seconds()),
        httponly=True,
        samesite="strict",
        path="/kbs",
    )
    return challenge.to_json()


@kbs_router.post("/attest")
def attestation(body: JsonBody, context: KbsDep, session: SessionCookie = None) -> dict[str, str]:
    """Attestation -> attestation-results token (EAR-shaped JWT)."""
    return {"token": attest(context=context, session_id=session, body=body)}


@kbs_router.get("/resource/{repository}/{kind}/{tag}")
def resource(
    repository: str,
    kind: str,
    tag: str,
    *,
    context: KbsDep,
    session: SessionCookie = None,
    authorization: Annotated[str | None, Header()] = None,
) -> dict[str, Any]:
    """Response: the resource sealed to the attested key, when the release policy holds."""
    token = None
    if authorization is not None:
        scheme, _, value = authorization.partition(" ")
        if scheme.lower() != "bearer" or not value:
            raise KbsRequestInvalid("Authorization must be 'Bearer <token>'")
        token = value
    released = release_resource(
        context=context, path=f"{repository}/{kind}/{tag}", session_id=session, token=token
    )
    return released.to_json()


class OfferRequest(BaseModel):
    """Hospital A's fresh nonce."""

    model_config = ConfigDict(extra="forbid")

    nonce: str = Field(pattern=r"^[A-Za-z0-9_-]{43}$")


offer_router = APIRouter(prefix="/api/enclave", tags=["enclave"])


@offer_router.post("/deposit-offers", dependencies=[allow(licensed=("hospital",))])
def offer(body: OfferRequest, context: OffersDep) -> dict[str, Any]:
    """Evidence of the enclave's deposit key answering the nonce, with the approvals."""
    return deposit_offer(context=context, nonce=b64url_decode(body.nonce)).to_json()


@offer_router.get("/reference-values")
def reference_values(context: OffersDep) -> list[dict[str, Any]]:
    """Every regulator-signed reference-values statement the data center holds (public)."""
    return [statement.to_json() for statement in context.reference_values.statements()]


reference_router = APIRouter(prefix="/api/enclave", tags=["enclave"])


@reference_router.post("/reference-values", dependencies=[allow(peers=("datacenter",))])
def approve(body: JsonBody, context: ApproverDep) -> dict[str, Any]:
    """Measure the proposed program and sign its measurement when it reproduces."""
    proposal = ReferenceProposal.from_json(body)
    return approve_reference_values(context=context, proposal=proposal).to_json()
