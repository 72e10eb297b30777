"""HTTP API of the vault: ``PUT/GET /api/vault/objects``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Query, Request, Response
from pydantic import BaseModel

from corridor.vault.errors import ObjectTooLarge
from corridor.vault.models import ObjectKind
from corridor.vault.service import VaultContext, get_object, list_objects, put_object

router = APIRouter(prefix="/api/vault", tags=["vault"])

_OCTET_STREAM = "application/octet-stream"


class StoredObjectOut(BaseModel):
    """Answer to a put."""

    object_id: str
    size: int


class ObjectMetadataOut(BaseModel):
    """One object in a listing."""

    object_id: str
    transfer: str
    kind: str
    size: int
    created_at: str


def _context(request: Request) -> VaultContext:
    context: VaultContext = request.app.state.vault
    return context


@router.put("/objects", status_code=201)
def put_object_route(
    request: Request,
    data: Annotated[bytes, Body(media_type=_OCTET_STREAM)],
    transfer: Annotated[str, Query(pattern=r"^[A-Za-z0-9-]{8,64}$")],
    kind: Annotated[ObjectKind, Query()],
) -> StoredObjectOut:
    """Store one ciphertext object (octet-stream body, at most 32 MiB)."""
    context = _context(request)
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > context.max_object_bytes:
        raise ObjectTooLarge(f"object is over the {context.max_object_bytes}-byte limit")
    stored = put_object(context=context, data=data, transfer=transfer, kind=kind)
    return StoredObjectOut(object_id=stored.object_id, size=stored.size)


@router.get("/objects/{object_id}")
def get_object_route(request: Request, object_id: str) -> Response:
    """The bytes of one object, integrity-checked."""
    data = get_object(context=_context(request), object_id=object_id)
    return Response(content=data, media_type=_OCTET_STREAM)


@router.get("/objects")
def list_objects_route(
    request: Request,
    transfer: Annotated[str | None, Query(pattern=r"^[A-Za-z0-9-]{8,64}$")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[ObjectMetadataOut]:
    """Object metadata, newest first, optionally of one transfer."""
    return [
        ObjectMetadataOut(
            object_id=item.object_id,
            transfer=item.transfer,
            kind=item.kind,
            size=item.size,
            created_at=item.created_at.isoformat(),
        )
        for item in list_objects(context=_context(request), transfer=transfer, limit=limit)
    ]
