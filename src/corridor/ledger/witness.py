"""C2SP tlog-witness: the add-checkpoint request and the checks a witness makes before cosigning.

Pure. Spec: c2sp.org/tlog-witness (v1.0.0). A request body is ``old <size>`` LF, zero to
63 base64 consistency-proof lines, an empty line, then the signed checkpoint note. The
witness keeps, per log origin, only the last checkpoint it cosigned; it cosigns a new one
when the log's key signed it and it extends that last checkpoint (consistency proof from
the old size, RFC 9162 §2.1.4). The order of the checks below is the spec's, because it
fixes which status code a request that is wrong in several ways gets:

==========================================================  ======
unknown origin                                               404
no signature by a trusted key of the origin (or one fails)   403
old size larger than the checkpoint size, malformed body     400
old size is not the size last cosigned (0 if none)           409 (``text/x.tlog.size`` body)
same size as the cosigned checkpoint but another root        409 (a fork: an alert)
size-0 root not SHA-256(""), proof not empty from 0,         422 (a bad proof: an alert)
consistency proof fails
==========================================================  ======
"""

from __future__ import annotations

import base64
import re
from collections.abc import Sequence
from dataclasses import dataclass

from corridor.ledger.errors import (
    ConsistencyProofFailed,
    ForkedCheckpoint,
    InvalidNote,
    InvalidProof,
    MalformedWitnessRequest,
    UnknownLogOrigin,
    UntrustedCheckpoint,
    WitnessSizeMismatch,
)
from corridor.ledger.merkle import EMPTY_ROOT, verify_consistency
from corridor.ledger.note import (
    Checkpoint,
    NoteSignature,
    NoteVerifier,
    VerifiedCheckpoint,
    open_note,
    parse_checkpoint,
    parse_note,
    strict_b64decode,
)

# tlog-witness §add-checkpoint: "The client MUST NOT send more than 63 consistency proof lines."
MAX_PROOF_LINES = 63
# A generous bound on the request: 63 proof lines and a note with many signatures.
MAX_REQUEST_BYTES = 64 * 1024
# tlog-witness §add-checkpoint: 409 bodies are the size in decimal with this media type.
SIZE_MEDIA_TYPE = "text/x.tlog.size"
_OLD_LINE = re.compile(r"old (0|[1-9][0-9]{0,19})")


@dataclass(frozen=True)
class AddCheckpointRequest:
    """One add-checkpoint call: the size the log believes the witness is at, a proof, a note."""

    old_size: int
    proof: tuple[bytes, ...]
    checkpoint_note: str

    def body(self) -> bytes:
        """The request body, exactly as tlog-witness lays it out."""
        lines = [f"old {self.old_size}", *(_b64(value) for value in self.proof)]
        return ("\n".join(lines) + "\n\n" + self.checkpoint_note).encode("utf-8")


def _b64(value: bytes) -> str:
    return base64.b64encode(value).decode("ascii")


def parse_add_checkpoint(body: bytes) -> AddCheckpointRequest:
    """Split an add-checkpoint body; anything malformed is a 400."""
    if len(body) > MAX_REQUEST_BYTES:
        raise MalformedWitnessRequest(f"request is longer than {MAX_REQUEST_BYTES} bytes")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MalformedWitnessRequest("request is not UTF-8") from exc
    head, separator, note = text.partition("\n\n")
    if not separator or not note:
        raise MalformedWitnessRequest("request has no empty line before the checkpoint")
    lines = head.split("\n")
    match = _OLD_LINE.fullmatch(lines[0])
    if match is None:
        raise MalformedWitnessRequest("request does not start with 'old <size>'")
    if len(lines) - 1 > MAX_PROOF_LINES:
        raise MalformedWitnessRequest(f"more than {MAX_PROOF_LINES} consistency proof lines")
    proof: list[bytes] = []
    for line in lines[1:]:
        try:
            proof.append(strict_b64decode(line))
        except ValueError as exc:
            raise MalformedWitnessRequest("a consistency proof line is not base64") from exc
    return AddCheckpointRequest(int(match.group(1)), tuple(proof), note)


@dataclass(frozen=True)
class CosignedState:
    """What a witness remembers about one log: the last checkpoint it cosigned."""

    origin: str
    size: int
    root_hash: bytes


def checkpoint_origin(note: str) -> str:
    """The origin line of a checkpoint note, before any signature is checked (for routing)."""
    try:
        return parse_checkpoint(parse_note(note).text).origin
    except InvalidNote as exc:
        raise MalformedWitnessRequest(f"checkpoint is malformed: {exc.message}") from exc


def check_add_checkpoint(
    request: AddCheckpointRequest,
    *,
    log_verifiers: Sequence[NoteVerifier],
    cosigned: CosignedState | None,
) -> VerifiedCheckpoint:
    """Run the witness's checks in the spec's order; return the checkpoint to cosign.

    ``log_verifiers`` are the trusted keys of the request's origin (empty: unknown log);
    ``cosigned`` is the last checkpoint cosigned for that origin, if any. Raises the error
    whose class names the refusal (see the module docstring for the status codes).
    """
    origin = checkpoint_origin(request.checkpoint_note)
    if not log_verifiers:
        raise UnknownLogOrigin(f"this witness does not follow the log {origin!r}")
    try:
        note = open_note(request.checkpoint_note, log_verifiers)
    except InvalidNote as exc:
        raise UntrustedCheckpoint(f"checkpoint of {origin!r}: {exc.message}") from exc
    checkpoint = parse_checkpoint(note.text)
    if request.old_size > checkpoint.size:
        raise MalformedWitnessRequest(
            f"old size {request.old_size} is larger than the checkpoint size {checkpoint.size}"
        )
    latest = cosigned.size if cosigned is not None else 0
    if request.old_size != latest:
        raise WitnessSizeMismatch(
            f"old size {request.old_size} is not the cosigned size {latest}", latest_size=latest
        )
    _check_extends(request, checkpoint, cosigned)
    return VerifiedCheckpoint(checkpoint, note)


def _check_extends(
    request: AddCheckpointRequest, checkpoint: Checkpoint, cosigned: CosignedState | None
) -> None:
    if checkpoint.size == 0 and checkpoint.root_hash != EMPTY_ROOT:
        raise ConsistencyProofFailed("a size-0 checkpoint must have the root SHA-256('')")
    if cosigned is None or request.old_size == 0:
        # tlog-witness: "The proof MUST be empty if the old size is zero" (the empty tree is
        # a prefix of every tree; docs/ledger.md records this size-0 policy).
        if request.proof:
            raise ConsistencyProofFailed("the consistency proof from size 0 must be empty")
        return
    if checkpoint.size == cosigned.size:
        if checkpoint.root_hash != cosigned.root_hash:
            raise ForkedCheckpoint(
                f"checkpoint of size {checkpoint.size} has another root than the one cosigned"
            )
        if request.proof:
            raise ConsistencyProofFailed("a proof between equal sizes must be empty")
        return
    try:
        verify_consistency(
            old_size=cosigned.size,
            new_size=checkpoint.size,
            old_root=cosigned.root_hash,
            new_root=checkpoint.root_hash,
            proof=request.proof,
        )
    except InvalidProof as exc:
        raise ConsistencyProofFailed(
            f"no consistency from size {cosigned.size} to {checkpoint.size}: {exc.message}"
        ) from exc


def format_cosignature_lines(signatures: Sequence[NoteSignature]) -> str:
    """The 200 response body: one note signature line per cosignature."""
    return "".join(signature.line() for signature in signatures)
