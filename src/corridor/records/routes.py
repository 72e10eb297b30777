"""HTTP API of a hospital's FHIR store (``/api/records``).

These routes serve patient data in the clear to the hospital's own staff and tools; the
party's composition root decides who may reach them.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, status
from fastapi.responses import JSONResponse

from corridor.records.schemas import ImportAnswer, PatientList, WalletAnswer, WalletLink
from corridor.records.service import (
    RecordsContext,
    import_bundle,
    link_wallet,
    list_patients,
    patient_bundle,
    search,
)
from corridor.state import from_state

router = APIRouter(prefix="/api/records", tags=["records"])
_FHIR_JSON = "application/fhir+json"


async def _raw_body(request: Request) -> bytes:
    # The bundle is validated by parse_bundle, not by a pydantic model: read the bytes.
    return await request.body()


ContextDep = Annotated[RecordsContext, Depends(from_state("records"))]
BodyDep = Annotated[bytes, Depends(_raw_body)]


@router.post("/bundles", status_code=status.HTTP_201_CREATED)
def import_fhir_bundle(data: BodyDep, context: ContextDep) -> ImportAnswer:
    """Import a FHIR R4 bundle (transaction, collection or document) into the store."""
    result = import_bundle(context=context, data=data)
    return ImportAnswer(
        patient_id=result.patient_id, counts=result.counts, resources=sum(result.counts.values())
    )


@router.get("/patients")
def read_patients(context: ContextDep) -> PatientList:
    """Local ids of every patient in the store."""
    return PatientList(patients=list_patients(context=context))


@router.get("/patients/{patient_id}/bundle")
def read_patient_bundle(patient_id: str, context: ContextDep) -> JSONResponse:
    """The patient's record as a FHIR collection Bundle."""
    return JSONResponse(
        patient_bundle(context=context, patient_id=patient_id), media_type=_FHIR_JSON
    )


@router.get("/patients/{patient_id}/resources")
def search_resources(
    patient_id: str,
    context: ContextDep,
    resource_type: Annotated[
        str | None, Query(alias="type", pattern=r"^[A-Z][A-Za-z]{1,63}$")
    ] = None,
    date_from: date | None = None,
    date_to: date | None = None,
) -> dict[str, Any]:
    """The patient's resources of one type and/or inside a clinical date range."""
    found = search(
        context=context,
        patient_id=patient_id,
        resource_type=resource_type,
        date_from=date_from,
        date_to=date_to,
    )
    return {"resources": found}


@router.post("/patients/{patient_id}/wallet")
def link_patient_wallet(patient_id: str, body: WalletLink, context: ContextDep) -> WalletAnswer:
    """Link the patient's wallet DID, so consents he signs can be matched to his record."""
    link_wallet(context=context, patient_id=patient_id, did=body.did)
    return WalletAnswer(patient_id=patient_id, did=body.did)
