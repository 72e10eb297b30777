"""HTTP API of the identity package: credential issuance (regulators) and presentations.

Status lists and presentations are public: a verifier must be able to fetch them without
an account (Bitstring Status List §6.4 and DIF Linked VP §3).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Response, status
from pydantic import BaseModel, ConfigDict, Field

from corridor.identity.client import VC_JWT_MEDIA_TYPE, VP_JWT_MEDIA_TYPE
from corridor.identity.gate import CallerDep, allow
from corridor.identity.holder import CredentialHolder
from corridor.identity.issuer import (
    IssuedCredential,
    IssuerContext,
    issue_credential,
    list_credentials,
    revoke_credential,
    status_list_token,
)
from corridor.state import from_state

issuer_router = APIRouter(prefix="/api/identity", tags=["identity"])
holder_router = APIRouter(tags=["identity"])


IssuerDep = Annotated[IssuerContext, Depends(from_state("issuer"))]
HolderDep = Annotated[CredentialHolder, Depends(from_state("holder"))]
CredentialId = Annotated[str, Path(pattern=r"^urn:uuid:[0-9a-f-]{36}$")]


class CredentialRequest(BaseModel):
    """An institution asks for the credential its licence entitles it to."""

    model_config = ConfigDict(extra="forbid")

    type: str = Field(min_length=1, max_length=64)


class RevocationBody(BaseModel):
    """Why the regulator revokes a credential."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=500)


class CredentialOut(BaseModel):
    """One credential of the register; ``credential`` is the VC-JWT itself."""

    id: str
    holder: str
    type: str
    status_index: int
    issued_at: datetime
    valid_until: datetime
    revoked_at: datetime | None
    revocation_reason: str
    credential: str


def _out(item: IssuedCredential) -> CredentialOut:
    return CredentialOut(
        id=item.id,
        holder=item.holder,
        type=item.credential_type,
        status_index=item.status_index,
        issued_at=item.issued_at,
        valid_until=item.valid_until,
        revoked_at=item.revoked_at,
        revocation_reason=item.revocation_reason,
        credential=item.token,
    )


@issuer_router.post("/credentials", status_code=status.HTTP_201_CREATED)
def request_credential(
    body: CredentialRequest, context: IssuerDep, caller: CallerDep
) -> CredentialOut:
    """Issue to the signer of this request, if the regulator licenses it for ``type``."""
    return _out(issue_credential(context=context, holder=caller.did, credential_type=body.type))


@issuer_router.get("/credentials", dependencies=[allow(operator=True)])
def read_credentials(context: IssuerDep) -> list[CredentialOut]:
    """The register of issued credentials (operators only)."""
    return [_out(item) for item in list_credentials(context=context)]


@issuer_router.post("/credentials/{credential_id}/revocation", dependencies=[allow(operator=True)])
def revoke(credential_id: CredentialId, body: RevocationBody, context: IssuerDep) -> CredentialOut:
    """Revoke a credential; its status bit is set in the next status list served."""
    return _out(revoke_credential(context=context, credential_id=credential_id, reason=body.reason))


@issuer_router.get("/status/{list_id}")
def read_status_list(
    list_id: Annotated[str, Path(pattern=r"^[0-9]{1,6}$")], context: IssuerDep
) -> Response:
    """The signed Bitstring Status List credential (public, unsigned request)."""
    token = status_list_token(context=context, list_id=list_id)
    return Response(token, media_type=VC_JWT_MEDIA_TYPE, headers={"cache-control": "max-age=60"})


@holder_router.get("/.well-known/presentation")
def read_presentation(holder: HolderDep) -> Response:
    """This node's credentials as a VP-JWT (the DID document's Linked VP service)."""
    return Response(holder.presentation(), media_type=VP_JWT_MEDIA_TYPE)
