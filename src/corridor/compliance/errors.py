"""Errors raised by the compliance package."""

from __future__ import annotations

from corridor.errors import (
    ConfigurationError,
    Conflict,
    CorridorError,
    Forbidden,
    InvalidInput,
    NotFound,
    VerificationFailed,
)


class ComplianceError(CorridorError):
    """Root of the compliance family."""


class InvalidFiling(ComplianceError, InvalidInput):
    """A filing request is malformed or inconsistent."""

    code = "invalid-filing"


class InvalidFacts(ComplianceError, InvalidInput):
    """Facts (or a scenarios file) do not match the facts model: unknown key, wrong type."""

    code = "invalid-facts"


class NotCompetent(ComplianceError, Forbidden):
    """This regulator has no jurisdiction over either end of the transfer."""

    code = "not-competent"


class FilingNotFound(ComplianceError, NotFound):
    """No filing for that transfer at this regulator."""

    code = "filing-not-found"


class MechanismFilingNotFound(ComplianceError, NotFound):
    """No standing filing (contract, assessment, certificate) with that id here."""

    code = "mechanism-filing-not-found"


class FilingStateConflict(ComplianceError, Conflict):
    """The filing is not in a state that allows this transition (e.g. accept a rejected one)."""

    code = "filing-state-conflict"


class AlertNotFound(ComplianceError, NotFound):
    """No alert with that id at this regulator."""

    code = "alert-not-found"


class DecisionInvalid(ComplianceError, VerificationFailed):
    """A signed decision does not verify or does not match the transfer."""

    code = "decision-invalid"


class PackInvalid(ComplianceError, ConfigurationError):
    """A policy pack failed validation at load: Cedar syntax or schema, annotations, order."""

    code = "pack-invalid"


class UnknownPack(ComplianceError, InvalidInput):
    """No policy pack is loaded for that jurisdiction."""

    code = "unknown-pack"


class CalendarNotCovered(ComplianceError, InvalidInput):
    """The working-day calendar has no data for that date (it needs a yearly update)."""

    code = "calendar-not-covered"
