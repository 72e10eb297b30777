"""Errors raised by the consent domain."""

from __future__ import annotations

from corridor.errors import (
    Conflict,
    CorridorError,
    InvalidInput,
    NotFound,
    PolicyDenied,
    VerificationFailed,
)


class ConsentError(CorridorError):
    """Root of the consent family."""


class InvalidConsent(ConsentError, InvalidInput):
    """A consent, its scope or its FHIR form is malformed or inconsistent."""

    code = "invalid-consent"


class ConsentSignatureInvalid(ConsentError, VerificationFailed):
    """The consent's JWS does not verify, or was not made by the patient the consent names."""

    code = "consent-signature-invalid"


class RevocationInvalid(ConsentError, VerificationFailed):
    """A revocation is malformed, badly signed or signed by someone other than the patient."""

    code = "revocation-invalid"


class ConsentRefused(ConsentError, PolicyDenied):
    """The consent does not allow the requested flow; ``reasons`` says why."""

    code = "consent-refused"

    def __init__(self, reasons: tuple[str, ...]) -> None:
        super().__init__(
            "consent does not allow this transfer: " + "; ".join(reasons),
            detail={"reasons": list(reasons)},
        )
        self.reasons = reasons


class ConsentNotFound(ConsentError, NotFound):
    """No consent with that identifier or digest is recorded at this node."""

    code = "consent-not-found"


class ConsentConflict(ConsentError, Conflict):
    """A different consent or revocation is already recorded under the same identifier."""

    code = "consent-conflict"
