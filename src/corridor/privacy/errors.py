"""The privacy domain's error family: every class is a ``PrivacyError`` and one kind."""

from __future__ import annotations

from corridor.errors import (
    Conflict,
    CorridorError,
    InvalidInput,
    NotFound,
    PolicyDenied,
    Unavailable,
    VerificationFailed,
)


class PrivacyError(CorridorError):
    """Root of the measurable-privacy-computing errors."""

    code = "privacy-error"


class InvalidJobSpec(PrivacyError, InvalidInput):
    """A job specification is malformed or inconsistent."""

    code = "invalid-job-spec"


class FixedPointOverflow(PrivacyError, InvalidInput):
    """A value lies outside the declared fixed-point range, so a sum could wrap the ring."""

    code = "fixed-point-overflow"


class ParticipantDropped(PrivacyError, Unavailable):
    """A participant did not answer a phase of the protocol (network, crash, refusal)."""

    code = "participant-dropped"


class AggregationAborted(PrivacyError, Conflict):
    """Too few participants survived a round to reconstruct the sum safely."""

    code = "aggregation-aborted"


class ProtocolViolation(PrivacyError, VerificationFailed):
    """A protocol message did not verify (signature, share, attestation, binding)."""

    code = "protocol-violation"


class BudgetExhausted(PrivacyError, PolicyDenied):
    """The differential-privacy budget of a dataset for a consumer cannot cover a release."""

    code = "privacy-budget-exhausted"


class JobNotFound(PrivacyError, NotFound):
    """No job with that id at this node."""

    code = "job-not-found"


class JobStateConflict(PrivacyError, Conflict):
    """The job is not in a state that allows this step."""

    code = "job-state-conflict"


class InvalidUtilities(PrivacyError, InvalidInput):
    """A coalition-utility table is incomplete or malformed."""

    code = "invalid-utilities"
