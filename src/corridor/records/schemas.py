"""Wire shapes of the FHIR store's HTTP API."""

from __future__ import annotations

from pydantic import BaseModel, Field


class ImportAnswer(BaseModel):
    """What an import stored: the patient (if any), counts per type and in total."""

    patient_id: str | None
    counts: dict[str, int]
    resources: int


class WalletLink(BaseModel):
    """The patient's wallet DID to link to his local record."""

    model_config = {"extra": "forbid"}

    did: str = Field(pattern=r"^did:key:z[1-9A-HJ-NP-Za-km-z]{20,100}$")


class WalletAnswer(BaseModel):
    """The link now in force."""

    patient_id: str
    did: str


class PatientList(BaseModel):
    """Local ids of the patients in the store."""

    patients: list[str]
