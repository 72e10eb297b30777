"""Wire shapes of the regulator's filing API."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from corridor.compliance.facts import Facts

_TRANSFER = r"^[A-Za-z0-9-]{8,64}$"
_DID = r"^did:(web|key):[A-Za-z0-9.%:_-]+$"


class FilingRequest(BaseModel):
    """What an exporting institution files for one transfer."""

    model_config = ConfigDict(extra="forbid")

    transfer: str = Field(pattern=_TRANSFER)
    exporter: str = Field(pattern=_DID)
    importer: str = Field(pattern=_DID)
    facts: Facts
    privacy_record_digest: str = Field(pattern=r"^sha256:[0-9a-f]{64}$")
    contract_ref: str = Field(default="", max_length=255)


class FilingResponse(BaseModel):
    """The regulator's answer: filing state, signed decision, evidence indexes."""

    filing_id: str
    transfer: str
    state: str
    role: str
    signed_decision: dict[str, Any]
    evidence_indexes: list[int]
