"""Errors raised by the ledger package."""

from __future__ import annotations

from corridor.errors import (
    Conflict,
    CorridorError,
    InvalidInput,
    NotFound,
    Unavailable,
    VerificationFailed,
)


class LedgerError(CorridorError):
    """Root of the ledger family."""


class InvalidEntry(LedgerError, InvalidInput):
    """An evidence entry is malformed, oversize, of an unknown type or not canonical."""

    code = "invalid-entry"


class EntrySignatureInvalid(LedgerError, VerificationFailed):
    """An entry's signature does not verify under its actor's key."""

    code = "entry-signature-invalid"


class InvalidProof(LedgerError, VerificationFailed):
    """An inclusion or consistency proof does not verify."""

    code = "invalid-proof"


class InvalidNote(LedgerError, VerificationFailed):
    """A signed note (checkpoint) is malformed or carries no valid signature."""

    code = "invalid-note"


class EntryNotFound(LedgerError, NotFound):
    """No entry at that index, or the requested tree size is beyond the log."""

    code = "entry-not-found"


class InconsistentCheckpoint(LedgerError, Conflict):
    """A checkpoint contradicts one seen before (rollback or fork)."""

    code = "inconsistent-checkpoint"


class InvalidCheckpoint(InvalidNote):
    """A checkpoint body is malformed, or names another log's origin."""

    code = "invalid-checkpoint"


class InvalidVerifierKey(LedgerError, InvalidInput):
    """A C2SP verifier key string (or private key string) cannot be used."""

    code = "invalid-verifier-key"


class InvalidBatch(LedgerError, InvalidInput):
    """An append request is empty, larger than the batch limit or badly encoded."""

    code = "invalid-batch"


class UnknownActor(LedgerError, VerificationFailed):
    """An entry's actor DID cannot be resolved to a key, so its signature cannot be checked."""

    code = "unknown-actor"


class InvalidReceipt(LedgerError, VerificationFailed):
    """A receipt (C2SP tlog-proof) is malformed or fails the trust policy."""

    code = "invalid-receipt"


class LogUnavailable(LedgerError, Unavailable):
    """The log could not be reached or answered something other than its API."""

    code = "log-unavailable"


class InvalidProofRequest(LedgerError, InvalidInput):
    """A proof was asked for impossible sizes (index not below the tree size, old > new)."""

    code = "invalid-proof-request"
