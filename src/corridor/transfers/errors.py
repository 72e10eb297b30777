"""Errors raised by the transfers package."""

from __future__ import annotations

from corridor.errors import (
    Conflict,
    CorridorError,
    Forbidden,
    InvalidInput,
    NotFound,
    PolicyDenied,
    VerificationFailed,
)


class TransferError(CorridorError):
    """Root of the transfers family."""


class TransferNotFound(TransferError, NotFound):
    """This party knows no transfer with that id."""

    code = "transfer-not-found"


class WrongState(TransferError, Conflict):
    """The step asked for does not follow from the transfer's current state."""

    code = "wrong-state"


class InvalidTransferRequest(TransferError, InvalidInput):
    """A transfer request is inconsistent (wrong custodian, unknown patient, bad scope)."""

    code = "invalid-transfer-request"


class TransferDenied(TransferError, PolicyDenied):
    """A regulator denied the transfer; ``detail`` carries the reasons and rule ids."""

    code = "transfer-denied"


class ReleaseRefused(TransferError, PolicyDenied):
    """The key broker refused to release the data key; ``detail`` says why."""

    code = "release-refused"


class AccessRefused(TransferError, Forbidden):
    """The record may not be shown: consent revoked or expired, or not the recipient."""

    code = "access-refused"


class DeliveryUnverified(TransferError, VerificationFailed):
    """Hospital B could not verify the manifest, the attestation or the output digest."""

    code = "delivery-unverified"
