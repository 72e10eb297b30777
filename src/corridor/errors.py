"""The one error root and the kinds every domain family builds on.

Each domain defines its own family (``corridor.ledger.errors`` and so on) whose classes
also inherit one of the *kinds* below. The kind says how a caller should react (fix the
input, authenticate, retry later); the app factory maps kinds to HTTP status codes in
one place and answers RFC 9457 problem details.
"""

from __future__ import annotations


class CorridorError(Exception):
    """Root of every error Corridor raises on purpose."""

    #: Short stable slug used as the problem ``type`` (RFC 9457 §3.1.1).
    code = "corridor-error"

    def __init__(self, message: str, *, detail: dict[str, object] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail or {}

    def diagnostics(self) -> str:
        """Say what went wrong in words a person can act on."""
        lines = [self.message]
        lines.extend(f"  {key}: {value}" for key, value in self.detail.items())
        return "\n".join(lines)


class InvalidInput(CorridorError):
    """The caller sent something malformed or inconsistent; fixing the input fixes it."""

    code = "invalid-input"


class VerificationFailed(CorridorError):
    """A signature, proof, attestation or digest did not verify."""

    code = "verification-failed"


class Unauthenticated(CorridorError):
    """The caller could not be identified (missing or unverifiable request signature)."""

    code = "unauthenticated"


class Forbidden(CorridorError):
    """The caller is known but not allowed to do this."""

    code = "forbidden"


class PolicyDenied(CorridorError):
    """Consent, law or release policy says no; the reasons are in ``detail``."""

    code = "policy-denied"


class NotFound(CorridorError):
    """The named thing does not exist here."""

    code = "not-found"


class Conflict(CorridorError):
    """The request clashes with the current state (already done, wrong state, replay)."""

    code = "conflict"


class Unavailable(CorridorError):
    """A collaborator (another party, the enclave, the database) could not be reached."""

    code = "unavailable"


class ConfigurationError(CorridorError):
    """Settings are missing, inconsistent or unsafe for the chosen environment."""

    code = "configuration-error"
