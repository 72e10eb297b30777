"""HTTP API of the log the datacenter hosts: append evidence, read checkpoints, proofs, tiles.

``/api/ledger/tlog/`` is the C2SP tlog-tiles prefix: ``checkpoint`` (the latest final
checkpoint with its cosignatures), ``tile/<L>/<N>[.p/<W>]`` and ``tile/entries/<N>[.p/<W>]``.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status
from fastapi.responses import PlainTextResponse

from corridor.crypto.canonical import b64url_decode
from corridor.ledger.cosigning import trust_policy
from corridor.ledger.errors import InvalidBatch
from corridor.ledger.schemas import (
    AppendedEntryOut,
    AppendRequest,
    AppendResponse,
    ConsistencyProofResponse,
    EntryListResponse,
    EntryOut,
    InclusionProofResponse,
)
from corridor.ledger.service import (
    LedgerContext,
    append_entries,
    build_receipt,
    entries_for_transfer,
    latest_checkpoint,
    prove_consistency,
    prove_inclusion,
    require_entry,
)
from corridor.ledger.tiles import parse_tile_path
from corridor.ledger.tlog import read_tile
from corridor.state import from_state

router = APIRouter(prefix="/api/ledger", tags=["ledger"])
# tlog-tiles §Checkpoint serves notes as UTF-8 text; receipts are text as well.
_TEXT = "text/plain; charset=utf-8"
# tlog-tiles: the checkpoint is mutable ("SHOULD prevent caching beyond a few seconds"),
# tiles and bundles are immutable ("caching headers SHOULD be long-lived").
_MUTABLE = {"cache-control": "no-cache, max-age=2"}
_IMMUTABLE = {"cache-control": "public, max-age=31536000, immutable"}


ContextDep = Annotated[LedgerContext, Depends(from_state("ledger"))]
Index = Annotated[int, Query(ge=0)]


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _decode_leaves(encoded: list[str]) -> list[bytes]:
    leaves = []
    for position, text in enumerate(encoded):
        try:
            leaves.append(b64url_decode(text))
        except (binascii.Error, ValueError) as exc:
            raise InvalidBatch("entry is not base64url", detail={"entry": position}) from exc
    return leaves


@router.post("/entries", status_code=status.HTTP_201_CREATED)
def append(body: AppendRequest, context: ContextDep) -> AppendResponse:
    """Append a batch of signed evidence leaves; answers once they are durable."""
    result = append_entries(context=context, leaves=_decode_leaves(body.entries))
    return AppendResponse(
        entries=[
            AppendedEntryOut(index=ref.index, leaf_hash=ref.leaf_hash, digest=ref.digest)
            for ref in result.entries
        ],
        checkpoint=result.checkpoint,
    )


@router.get("/checkpoint", response_class=PlainTextResponse)
def checkpoint(context: ContextDep) -> PlainTextResponse:
    """The latest final checkpoint with its witnesses' cosignatures (C2SP signed note)."""
    return PlainTextResponse(latest_checkpoint(context=context), media_type=_TEXT, headers=_MUTABLE)


@router.get("/tlog/checkpoint", response_class=PlainTextResponse)
def tlog_checkpoint(context: ContextDep) -> PlainTextResponse:
    """tlog-tiles ``<prefix>/checkpoint``: the latest final, cosigned checkpoint."""
    return PlainTextResponse(latest_checkpoint(context=context), media_type=_TEXT, headers=_MUTABLE)


@router.get("/tlog/tile/{path:path}")
def tlog_tile(path: str, context: ContextDep) -> Response:
    """tlog-tiles hash tiles ``tile/<L>/<N>[.p/<W>]`` and entry bundles ``tile/entries/...``."""
    data = read_tile(context=context, ref=parse_tile_path(f"tile/{path}"))
    return Response(data, media_type="application/octet-stream", headers=_IMMUTABLE)


@router.get("/entries/{index}")
def entry(index: int, context: ContextDep) -> Response:
    """The exact leaf bytes at ``index`` (canonical JSON)."""
    return Response(require_entry(context=context, index=index), media_type="application/json")


@router.get("/entries")
def entries(
    transfer: Annotated[str, Query(min_length=1)], context: ContextDep
) -> EntryListResponse:
    """Every entry about one transfer, in log order."""
    found = entries_for_transfer(context=context, transfer=transfer)
    return EntryListResponse(
        entries=[EntryOut(index=index, entry=json.loads(item.leaf)) for index, item in found]
    )


@router.get("/proofs/inclusion")
def inclusion(index: Index, tree_size: Index, context: ContextDep) -> InclusionProofResponse:
    """Audit path of entry ``index`` in the tree of ``tree_size`` entries."""
    proof = prove_inclusion(context=context, index=index, tree_size=tree_size)
    return InclusionProofResponse(index=index, tree_size=tree_size, hashes=[_b64(h) for h in proof])


@router.get("/proofs/consistency")
def consistency(old: Index, new: Index, context: ContextDep) -> ConsistencyProofResponse:
    """Consistency proof from tree size ``old`` to ``new``."""
    proof = prove_consistency(context=context, old=old, new=new)
    return ConsistencyProofResponse(old=old, new=new, hashes=[_b64(h) for h in proof])


@router.get("/receipts/{index}", response_class=PlainTextResponse)
def receipt(index: int, context: ContextDep) -> PlainTextResponse:
    """A C2SP tlog-proof receipt for entry ``index`` against the latest final checkpoint."""
    return PlainTextResponse(build_receipt(context=context, index=index), media_type=_TEXT)


@router.get("/trust")
def trust(context: ContextDep) -> dict[str, object]:
    """The trust file for this log: origin, verifier key, witnesses and quorum.

    Served for convenience (the demo saves it next to the receipts); a careful verifier
    obtains it out of band, since a log could lie about its own key.
    """
    return trust_policy(context=context).to_json()
