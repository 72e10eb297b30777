"""Wire shapes of the regulator's compliance API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal, cast

from pydantic import BaseModel, ConfigDict, Field

from corridor.compliance.facts import Facts

_TRANSFER = r"^[A-Za-z0-9-]{8,64}$"
_DID = r"^did:(web|key):[A-Za-z0-9.%:_-]+$"
_DIGEST = r"^sha256:[0-9a-f]{64}$"

MechanismKind = Literal[
    "cn_sc", "gba_sc", "cn_security_assessment", "cn_certification", "hk_rmc", "eu_scc", "eu_bcr"
]
FilingState = Literal["submitted", "accepted", "rejected", "expired"]


class ProfileIn(BaseModel):
    """What a standing filing covers: recipients, purposes, data categories (SCM art. 8)."""

    model_config = ConfigDict(extra="forbid")

    importers: list[str] = Field(default_factory=list, max_length=200)
    purposes: list[str] = Field(default_factory=list, max_length=50)
    categories: list[str] = Field(default_factory=list, max_length=200)


class MechanismFilingRequest(BaseModel):
    """A standard contract, security assessment or certificate filed by an exporter."""

    model_config = ConfigDict(extra="forbid")

    exporter: str = Field(pattern=_DID)
    kind: MechanismKind
    reference: str = Field(min_length=1, max_length=255)
    effective_on: date | None = None
    """The day the contract took effect (default: the day it is filed)."""
    expires_on: date | None = None
    pipia_digest: str = Field(default="", pattern=r"^(|sha256:[0-9a-f]{64})$")
    profile: ProfileIn = Field(default_factory=ProfileIn)


class MechanismFilingView(BaseModel):
    """A standing filing as the registry holds it."""

    id: str
    exporter: str
    kind: str
    reference: str
    effective_on: date
    expires_on: date | None
    state: str
    state_reason: str
    profile: dict[str, list[str]]
    pipia_digest: str
    submitted_at: datetime
    filed_in_time: bool | None
    """Filed within the working-day deadline of its pack (None where none applies)."""


class ReviewRequest(BaseModel):
    """An officer's decision on a submitted filing."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(default="", max_length=2000)


class FilingRequest(BaseModel):
    """What an exporting institution files for one transfer: its privacy record."""

    model_config = ConfigDict(extra="forbid")

    transfer: str = Field(pattern=_TRANSFER)
    exporter: str = Field(pattern=_DID)
    importer: str = Field(pattern=_DID)
    facts: Facts
    privacy_record_digest: str = Field(pattern=_DIGEST)
    contract_ref: str = Field(default="", max_length=255)
    person: str | None = Field(default=None, pattern=r"^(sha256|hmac-sha256):[0-9a-f]{64}$")
    """The exporter's pseudonym for the individual, so the regulator counts people."""
    consent_digest: str | None = Field(default=None, pattern=_DIGEST)
    consent_expires_at: datetime | None = None
    purpose: str = Field(default="", max_length=32)
    categories: list[str] = Field(default_factory=list, max_length=200)
    mechanism_filing: MechanismFilingRequest | None = None
    """The standing filing this transfer relies on, filed (or referenced) with it."""


class FilingResponse(BaseModel):
    """The regulator's answer: filing state, signed decision, evidence indexes."""

    filing_id: str
    transfer: str
    state: str
    role: str
    signed_decision: dict[str, Any]
    evidence_indexes: list[int]
    state_reason: str = ""
    mechanism_filing_id: str | None = None


_FILED_KINDS = frozenset({"cn_sc", "gba_sc", "cn_security_assessment", "cn_certification"})


def standing_filing_request(
    *,
    exporter: str,
    mechanism: str,
    reference: str,
    filed: bool,
    importers: list[str],
    purpose: str,
    categories: list[str],
) -> MechanismFilingRequest | None:
    """The standing filing an exporter names with a transfer, when it has one to name.

    Used on the first transfer under a contract, the profile filed is that transfer's
    (its recipients, purpose and categories); widening it later is a re-filing.
    """
    if not filed or not reference or mechanism not in _FILED_KINDS:
        return None
    return MechanismFilingRequest(
        exporter=exporter,
        kind=cast("MechanismKind", mechanism),  # one of _FILED_KINDS, checked above
        reference=reference,
        profile=ProfileIn(importers=importers, purposes=[purpose], categories=categories),
    )
