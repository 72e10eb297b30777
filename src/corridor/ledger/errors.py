"""Errors raised by the ledger package."""

from __future__ import annotations

from corridor.errors import (
    Conflict,
    CorridorError,
    Forbidden,
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


class NotYetFinal(LedgerError, Unavailable):
    """The entry is in the log but no checkpoint covering it has the witness quorum yet."""

    code = "not-yet-final"


class MalformedWitnessRequest(LedgerError, InvalidInput):
    """An add-checkpoint request body does not follow C2SP tlog-witness (answered 400)."""

    code = "malformed-witness-request"


class UnknownLogOrigin(LedgerError, NotFound):
    """A witness was asked to cosign a checkpoint of a log it does not follow (404)."""

    code = "unknown-log-origin"


class UntrustedCheckpoint(LedgerError, Forbidden):
    """No signature on the checkpoint verifies under the log's pinned key (403)."""

    code = "untrusted-checkpoint"


class WitnessSizeMismatch(InconsistentCheckpoint):
    """The request's old size is not the size the witness last cosigned (409).

    ``latest_size`` is what the witness answers in its ``text/x.tlog.size`` body.
    """

    code = "witness-size-mismatch"

    def __init__(self, message: str, *, latest_size: int) -> None:
        super().__init__(message, detail={"latest_size": latest_size})
        self.latest_size = latest_size


class ForkedCheckpoint(InconsistentCheckpoint):
    """A signed checkpoint has the size of one already cosigned but another root (409)."""

    code = "forked-checkpoint"


class ConsistencyProofFailed(LedgerError, VerificationFailed):
    """The consistency proof from the cosigned checkpoint to the new one fails (422)."""

    code = "consistency-proof-failed"


class WitnessUnavailable(LedgerError, Unavailable):
    """A witness could not be reached, or answered something other than its protocol."""

    code = "witness-unavailable"
