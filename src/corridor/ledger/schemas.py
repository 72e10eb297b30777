"""Wire shapes of the log's HTTP API, where they differ from the service's types."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class AppendRequest(BaseModel):
    """``POST /api/ledger/entries``: leaves as base64url (RFC 4648 §5) of their exact bytes."""

    model_config = ConfigDict(extra="forbid")

    entries: list[str] = Field(min_length=1)


class AppendedEntryOut(BaseModel):
    """Where one submitted leaf sits in the log."""

    index: int
    leaf_hash: str
    digest: str


class AppendResponse(BaseModel):
    """The indexes of a batch and the signed checkpoint (note text) that covers it."""

    entries: list[AppendedEntryOut]
    checkpoint: str


class EntryOut(BaseModel):
    """One entry of a listing: its index and the leaf parsed as a JSON object."""

    index: int
    entry: dict[str, Any]


class EntryListResponse(BaseModel):
    """Entries in log order."""

    entries: list[EntryOut]


class InclusionProofResponse(BaseModel):
    """An RFC 9162 audit path, base64 hashes, leaf sibling first."""

    index: int
    tree_size: int
    hashes: list[str]


class ConsistencyProofResponse(BaseModel):
    """An RFC 9162 consistency proof, base64 hashes."""

    old: int
    new: int
    hashes: list[str]
