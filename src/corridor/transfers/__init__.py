"""The five-step medical corridor: each party's part, and the state machine they share."""

from corridor.transfers.center import CenterContext
from corridor.transfers.client import HttpCenterClient, HttpHospitalClient, HttpPortalClient
from corridor.transfers.errors import (
    AccessRefused,
    DeliveryUnverified,
    ReleaseRefused,
    TransferDenied,
    TransferError,
)
from corridor.transfers.hospital import HospitalContext
from corridor.transfers.models import TransferState
from corridor.transfers.portal import PortalContext
from corridor.transfers.recipient import RecipientContext
from corridor.transfers.schemas import PatientRequest, RevocationRequest, TransferStatus
from corridor.transfers.sender import SenderContext

__all__ = [
    "AccessRefused",
    "CenterContext",
    "DeliveryUnverified",
    "HospitalContext",
    "HttpCenterClient",
    "HttpHospitalClient",
    "HttpPortalClient",
    "PatientRequest",
    "PortalContext",
    "RecipientContext",
    "ReleaseRefused",
    "RevocationRequest",
    "SenderContext",
    "TransferDenied",
    "TransferError",
    "TransferState",
    "TransferStatus",
]
