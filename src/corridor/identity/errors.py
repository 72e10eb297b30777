"""Errors raised by the identity package."""

from __future__ import annotations

from corridor.errors import CorridorError, InvalidInput, Unavailable, VerificationFailed


class IdentityError(CorridorError):
    """Root of the identity family."""


class MalformedDid(IdentityError, InvalidInput):
    """A DID or DID document does not have the expected shape."""

    code = "malformed-did"


class UnknownDid(IdentityError, VerificationFailed):
    """A DID could not be resolved to keys."""

    code = "unknown-did"


class ResolverUnavailable(IdentityError, Unavailable):
    """The host of a did:web document could not be reached."""

    code = "resolver-unavailable"
