"""HTTP API of a regulator's witness: C2SP tlog-witness add-checkpoint, state and alerts.

The submission and monitoring prefix is ``/api/ledger/witness``. Status codes are the
spec's (the error kinds map onto them in ``corridor/problems.py``); the one answer whose
body the spec fixes, 409 for a stale old size, is written here as ``text/x.tlog.size``.
"""

from __future__ import annotations

import base64
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status
from fastapi.responses import PlainTextResponse

from corridor.ledger.errors import EntryNotFound, WitnessSizeMismatch
from corridor.ledger.witness import SIZE_MEDIA_TYPE
from corridor.ledger.witness_service import (
    WitnessContext,
    add_checkpoint,
    cosigned_checkpoint,
    origin_key,
    witness_alerts,
    witnessed_logs,
)
from corridor.state import from_state

router = APIRouter(prefix="/api/ledger/witness", tags=["witness"])
_TEXT = "text/plain; charset=utf-8"


async def _raw_body(request: Request) -> bytes:
    # The request is a tlog-witness text body, parsed by parse_add_checkpoint.
    return await request.body()


ContextDep = Annotated[WitnessContext, Depends(from_state("witness"))]
BodyDep = Annotated[bytes, Depends(_raw_body)]


@router.get("")
def describe(context: ContextDep) -> dict[str, object]:
    """The witness's name and verifier key, and the logs it follows."""
    return {
        "name": context.name,
        "vkey": context.verifier_key,
        "logs": [
            {
                "origin": log.origin,
                "vkey": log.vkey,
                "size": log.size,
                "root_hash": base64.b64encode(log.root_hash).decode("ascii"),
                "checkpoint": f"/api/ledger/witness/logs/{origin_key(log.origin)}/checkpoint",
            }
            for log in witnessed_logs(context=context)
        ],
    }


@router.post("/add-checkpoint", response_class=PlainTextResponse)
def add(body: BodyDep, context: ContextDep) -> Response:
    """tlog-witness add-checkpoint: cosign a checkpoint that extends the last one cosigned."""
    try:
        lines = add_checkpoint(context=context, body=body)
    except WitnessSizeMismatch as exc:
        # Set the header directly: Starlette would append "; charset" to a text/ media type,
        # and tlog-witness fixes the Content-Type to exactly text/x.tlog.size.
        return Response(
            f"{exc.latest_size}\n".encode("ascii"),
            status_code=status.HTTP_409_CONFLICT,
            headers={"content-type": SIZE_MEDIA_TYPE},
        )
    return PlainTextResponse(lines, media_type=_TEXT)


@router.get("/logs/{origin_hash}/checkpoint", response_class=PlainTextResponse)
def checkpoint(origin_hash: str, context: ContextDep) -> PlainTextResponse:
    """The last checkpoint this witness cosigned for a log (by hex SHA-256 of its origin)."""
    note = cosigned_checkpoint(context=context, origin_hash=origin_hash)
    if note is None:
        raise EntryNotFound("this witness has cosigned nothing for that log")
    return PlainTextResponse(note, media_type=_TEXT, headers={"cache-control": "no-cache"})


@router.get("/alerts")
def alerts(
    context: ContextDep, origin: Annotated[str | None, Query(min_length=1)] = None
) -> dict[str, object]:
    """Checkpoints refused as evidence of log misbehaviour (forks, failed proofs)."""
    return {
        "alerts": [
            {
                "id": alert.id,
                "origin": alert.origin,
                "kind": alert.kind,
                "reason": alert.reason,
                "checkpoint": alert.note,
                "observed_at": alert.observed_at.isoformat(),
            }
            for alert in witness_alerts(context=context, origin=origin)
        ]
    }
