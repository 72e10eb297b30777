"""Errors raised by the compliance package."""

from __future__ import annotations

from corridor.errors import CorridorError, Forbidden, InvalidInput, NotFound, VerificationFailed


class ComplianceError(CorridorError):
    """Root of the compliance family."""


class InvalidFiling(ComplianceError, InvalidInput):
    """A filing request is malformed or inconsistent."""

    code = "invalid-filing"


class NotCompetent(ComplianceError, Forbidden):
    """This regulator has no jurisdiction over either end of the transfer."""

    code = "not-competent"


class FilingNotFound(ComplianceError, NotFound):
    """No filing for that transfer at this regulator."""

    code = "filing-not-found"


class DecisionInvalid(ComplianceError, VerificationFailed):
    """A signed decision does not verify or does not match the transfer."""

    code = "decision-invalid"
