"""HTTP APIs of the corridor, one router per kind of party.

Routes are thin: they parse, call one service function and return its result.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, status
from pydantic import BaseModel, ConfigDict, Field

from corridor.identity import Caller
from corridor.identity.gate import allow
from corridor.state import from_state
from corridor.transfers import center, portal, recipient, sender
from corridor.transfers.center import CenterContext
from corridor.transfers.errors import InvalidTransferRequest
from corridor.transfers.hospital import HospitalContext, accept_request, hospital_status
from corridor.transfers.portal import PortalContext
from corridor.transfers.schemas import (
    DeliveryPackage,
    DepositRequest,
    PatientRequest,
    RevocationRequest,
    TransferRequest,
    TransferStatus,
)

TransferId = Annotated[str, Path(pattern=r"^[A-Za-z0-9-]{8,64}$")]


HospitalDep = Annotated[HospitalContext, Depends(from_state("hospital"))]
CenterDep = Annotated[CenterContext, Depends(from_state("center"))]
PortalDep = Annotated[PortalContext, Depends(from_state("portal"))]
# Who may call what (signed requests, docs/identity.md): the hospital's and data center's
# own staff drive the steps (operators); peers only make the calls their role needs.
Operator = allow(operator=True)
LicensedHospital = Annotated[Caller, allow(licensed=("hospital",))]
PatientOrOperator = Annotated[Caller, allow(operator=True, patient=True)]


class ViewRequest(BaseModel):
    """Who is looking at a delivered record."""

    model_config = ConfigDict(extra="forbid")

    viewer: str = Field(min_length=1, max_length=128)


hospital_router = APIRouter(prefix="/api/transfers", tags=["transfers"])


@hospital_router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    dependencies=[allow(peers=("portal",), operator=True)],
)
def receive_request(body: TransferRequest, context: HospitalDep) -> TransferStatus:
    """Step 1: a consented transfer request from the portal."""
    return accept_request(context=context, request=body)


@hospital_router.get("/{transfer}", dependencies=[allow(peers=("portal",), operator=True)])
def read_hospital_transfer(transfer: TransferId, context: HospitalDep) -> TransferStatus:
    """This hospital's view of a transfer."""
    return hospital_status(context=context, transfer=transfer)


@hospital_router.post("/{transfer}/file", dependencies=[Operator])
def file_transfer(transfer: TransferId, context: HospitalDep) -> TransferStatus:
    """Step 2: file with both regulators."""
    return sender.file_transfer(context=context.sender, transfer=transfer)


@hospital_router.post("/{transfer}/upload", dependencies=[Operator])
def upload_transfer(transfer: TransferId, context: HospitalDep) -> TransferStatus:
    """Step 3: encrypt the consented extract and upload it."""
    return sender.upload_transfer(context=context.sender, transfer=transfer)


@hospital_router.post("/{transfer}/receive", dependencies=[Operator])
def receive_transfer(transfer: TransferId, context: HospitalDep) -> TransferStatus:
    """Step 5: fetch, verify and decrypt the enclave's output."""
    return recipient.receive_transfer(context=context.recipient, transfer=transfer)


@hospital_router.post("/{transfer}/views", dependencies=[Operator])
def view_record(transfer: TransferId, body: ViewRequest, context: HospitalDep) -> dict[str, Any]:
    """Step 5: show the record to a clinician; each view is evidence."""
    return recipient.open_record(context=context.recipient, transfer=transfer, viewer=body.viewer)


center_router = APIRouter(prefix="/api/transfers", tags=["transfers"])


@center_router.post("/{transfer}/deposit", status_code=status.HTTP_201_CREATED)
def deposit(
    transfer: TransferId, body: DepositRequest, context: CenterDep, caller: LicensedHospital
) -> TransferStatus:
    """Step 3: register the uploaded ciphertext and its sealed key (the custodian only)."""
    if body.transfer != transfer:
        raise InvalidTransferRequest("the body names another transfer than the path")
    return center.accept_deposit(context=context, request=body, depositor=caller.did)


@center_router.post("/{transfer}/process", dependencies=[Operator])
def process(transfer: TransferId, context: CenterDep) -> TransferStatus:
    """Step 4: attest, release and process in the enclave."""
    return center.process_transfer(context=context, transfer=transfer)


@center_router.get("/{transfer}/package")
def package(transfer: TransferId, context: CenterDep, caller: LicensedHospital) -> DeliveryPackage:
    """Step 5 input for the recipient (the consent's recipient only)."""
    return center.delivery_package(context=context, transfer=transfer, requester=caller.did)


@center_router.get("/{transfer}", dependencies=[allow(operator=True, licensed=("hospital",))])
def read_center_transfer(transfer: TransferId, context: CenterDep) -> TransferStatus:
    """The data center's view of a transfer."""
    return center.center_status(context=context, transfer=transfer)


portal_router = APIRouter(prefix="/api/transfers", tags=["transfers"])


@portal_router.post("", status_code=status.HTTP_201_CREATED)
def request_transfer(
    body: PatientRequest, context: PortalDep, caller: PatientOrOperator
) -> TransferStatus:
    """Step 1: the patient's signed consent (sent by the patient himself or the desk)."""
    return portal.request_transfer(
        context=context, request=body, patient=caller.did if caller.role == "patient" else None
    )


@portal_router.post("/{transfer}/revocation")
def revoke(
    transfer: TransferId, body: RevocationRequest, context: PortalDep, caller: PatientOrOperator
) -> TransferStatus:
    """The patient withdraws consent; effective at once on the chain."""
    return portal.revoke_transfer(
        context=context,
        transfer=transfer,
        request=body,
        patient=caller.did if caller.role == "patient" else None,
    )


@portal_router.get("/{transfer}", dependencies=[Operator])
def read_portal_transfer(transfer: TransferId, context: PortalDep) -> TransferStatus:
    """The portal's view of a transfer."""
    return portal.portal_status(context=context, transfer=transfer)
