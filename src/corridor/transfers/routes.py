"""HTTP APIs of the corridor, one router per kind of party.

Routes are thin: they parse, call one service function and return its result.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request, status
from pydantic import BaseModel, ConfigDict, Field

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


def _hospital(request: Request) -> HospitalContext:
    context: HospitalContext = request.app.state.hospital
    return context


def _center(request: Request) -> CenterContext:
    context: CenterContext = request.app.state.center
    return context


def _portal(request: Request) -> PortalContext:
    context: PortalContext = request.app.state.portal
    return context


HospitalDep = Annotated[HospitalContext, Depends(_hospital)]
CenterDep = Annotated[CenterContext, Depends(_center)]
PortalDep = Annotated[PortalContext, Depends(_portal)]


class ViewRequest(BaseModel):
    """Who is looking at a delivered record."""

    model_config = ConfigDict(extra="forbid")

    viewer: str = Field(min_length=1, max_length=128)


hospital_router = APIRouter(prefix="/api/transfers", tags=["transfers"])


@hospital_router.post("", status_code=status.HTTP_201_CREATED)
def receive_request(body: TransferRequest, context: HospitalDep) -> TransferStatus:
    """Step 1: a consented transfer request from the portal."""
    return accept_request(context=context, request=body)


@hospital_router.get("/{transfer}")
def read_hospital_transfer(transfer: TransferId, context: HospitalDep) -> TransferStatus:
    """This hospital's view of a transfer."""
    return hospital_status(context=context, transfer=transfer)


@hospital_router.post("/{transfer}/file")
def file_transfer(transfer: TransferId, context: HospitalDep) -> TransferStatus:
    """Step 2: file with both regulators."""
    return sender.file_transfer(context=context.sender, transfer=transfer)


@hospital_router.post("/{transfer}/upload")
def upload_transfer(transfer: TransferId, context: HospitalDep) -> TransferStatus:
    """Step 3: encrypt the consented extract and upload it."""
    return sender.upload_transfer(context=context.sender, transfer=transfer)


@hospital_router.post("/{transfer}/receive")
def receive_transfer(transfer: TransferId, context: HospitalDep) -> TransferStatus:
    """Step 5: fetch, verify and decrypt the enclave's output."""
    return recipient.receive_transfer(context=context.recipient, transfer=transfer)


@hospital_router.post("/{transfer}/views")
def view_record(transfer: TransferId, body: ViewRequest, context: HospitalDep) -> dict[str, Any]:
    """Step 5: show the record to a clinician; each view is evidence."""
    return recipient.open_record(context=context.recipient, transfer=transfer, viewer=body.viewer)


center_router = APIRouter(prefix="/api/transfers", tags=["transfers"])


@center_router.post("/{transfer}/deposit", status_code=status.HTTP_201_CREATED)
def deposit(transfer: TransferId, body: DepositRequest, context: CenterDep) -> TransferStatus:
    """Step 3: register the uploaded ciphertext and its sealed key."""
    if body.transfer != transfer:
        raise InvalidTransferRequest("the body names another transfer than the path")
    return center.accept_deposit(context=context, request=body)


@center_router.post("/{transfer}/process")
def process(transfer: TransferId, context: CenterDep) -> TransferStatus:
    """Step 4: attest, release and process in the enclave."""
    return center.process_transfer(context=context, transfer=transfer)


@center_router.get("/{transfer}/package")
def package(transfer: TransferId, context: CenterDep) -> DeliveryPackage:
    """Step 5 input for the recipient."""
    return center.delivery_package(context=context, transfer=transfer)


@center_router.get("/{transfer}")
def read_center_transfer(transfer: TransferId, context: CenterDep) -> TransferStatus:
    """The data center's view of a transfer."""
    return center.center_status(context=context, transfer=transfer)


portal_router = APIRouter(prefix="/api/transfers", tags=["transfers"])


@portal_router.post("", status_code=status.HTTP_201_CREATED)
def request_transfer(body: PatientRequest, context: PortalDep) -> TransferStatus:
    """Step 1: the patient's signed consent."""
    return portal.request_transfer(context=context, request=body)


@portal_router.post("/{transfer}/revocation")
def revoke(transfer: TransferId, body: RevocationRequest, context: PortalDep) -> TransferStatus:
    """The patient withdraws consent; effective at once on the chain."""
    return portal.revoke_transfer(context=context, transfer=transfer, request=body)


@portal_router.get("/{transfer}")
def read_portal_transfer(transfer: TransferId, context: PortalDep) -> TransferStatus:
    """The portal's view of a transfer."""
    return portal.portal_status(context=context, transfer=transfer)
