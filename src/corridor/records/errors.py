"""Errors raised by the records domain."""

from __future__ import annotations

from corridor.errors import Conflict, CorridorError, InvalidInput, NotFound


class RecordsError(CorridorError):
    """Root of the records family."""


class InvalidFhir(RecordsError, InvalidInput):
    """The input is not valid FHIR R4 JSON of the expected kind; the message names the problem."""

    code = "invalid-fhir"


class PatientMissing(RecordsError, InvalidInput):
    """A bundle that must be about exactly one patient has none, or several."""

    code = "patient-missing"


class PatientNotFound(RecordsError, NotFound):
    """No patient with that local id is in this hospital's FHIR store."""

    code = "patient-not-found"


class WalletAlreadyLinked(RecordsError, Conflict):
    """The wallet DID is already linked to another patient of this hospital."""

    code = "wallet-already-linked"


class InvalidDeidConfig(RecordsError, InvalidInput):
    """A de-identification configuration is malformed; the message names the rule."""

    code = "invalid-deid-config"


class DeidProcessingFailed(RecordsError, InvalidInput):
    """A rule could not be applied to this data (``processingErrors: raise``)."""

    code = "deid-processing-failed"


class UnknownProfile(RecordsError, InvalidInput):
    """No destination profile has that name, or none is defined for the purpose and route."""

    code = "unknown-deid-profile"
