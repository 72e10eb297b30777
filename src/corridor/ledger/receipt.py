"""Receipts: a C2SP tlog-proof for one evidence entry, and its offline verification.

Pure. A receipt is ``c2sp.org/tlog-proof@v1``, ``extra <base64 leaf bytes>``, ``index
<n>``, the inclusion proof (one base64 hash per line, leaf sibling first), a blank line
and the checkpoint note verbatim (c2sp.org/tlog-proof). The spec leaves ``extra``
unauthenticated; here it carries the entry itself, which becomes authenticated by the
inclusion proof: its leaf hash must lead to the signed root.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from corridor.crypto.errors import SignatureInvalid
from corridor.ledger.errors import (
    InvalidEntry,
    InvalidNote,
    InvalidProof,
    InvalidReceipt,
    InvalidVerifierKey,
)
from corridor.ledger.evidence import SignedEntry, parse_signed_entry, verify_signed_entry
from corridor.ledger.merkle import leaf_hash, verify_inclusion
from corridor.ledger.note import (
    Checkpoint,
    CosignatureV1Verifier,
    open_note,
    parse_checkpoint,
    parse_verifier_key,
    strict_b64decode,
)

RECEIPT_HEADER = "c2sp.org/tlog-proof@v1"
_INDEX = re.compile(r"index (0|[1-9][0-9]{0,19})")
_MAX_PROOF_LINES = 64  # RFC 9162 §2.1.3.1: at most 64 levels in a 2**64-leaf tree


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str, what: str) -> bytes:
    try:
        return strict_b64decode(text)
    except ValueError as exc:
        raise InvalidReceipt(f"receipt {what} is not base64") from exc


@dataclass(frozen=True)
class Receipt:
    """The parts of a receipt, before any verification."""

    leaf: bytes
    index: int
    proof: tuple[bytes, ...]
    checkpoint_note: str


def format_receipt(*, leaf: bytes, index: int, proof: list[bytes], checkpoint_note: str) -> str:
    """Serialise a receipt in the tlog-proof layout."""
    lines = [RECEIPT_HEADER, f"extra {_b64(leaf)}", f"index {index}", *map(_b64, proof)]
    return "\n".join(lines) + "\n\n" + checkpoint_note


def parse_receipt(text: str | bytes) -> Receipt:
    """Split a receipt into its parts; Corridor receipts always carry the entry in ``extra``."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidReceipt("receipt is not UTF-8 text") from exc
    head, separator, checkpoint_note = text.partition("\n\n")
    if not separator or not checkpoint_note:
        raise InvalidReceipt("receipt has no blank line before its checkpoint")
    lines = head.split("\n")
    if lines[0] != RECEIPT_HEADER:
        raise InvalidReceipt(f"receipt does not start with {RECEIPT_HEADER!r}")
    if len(lines) < 3 or not lines[1].startswith("extra "):  # noqa: PLR2004
        raise InvalidReceipt("receipt lacks the 'extra' line carrying the entry")
    leaf = _unb64(lines[1].removeprefix("extra "), "entry")
    match = _INDEX.fullmatch(lines[2])
    if match is None:
        raise InvalidReceipt("receipt lacks a well-formed 'index' line")
    proof_lines = lines[3:]
    if len(proof_lines) > _MAX_PROOF_LINES:
        raise InvalidReceipt("receipt's inclusion proof is longer than any tree allows")
    proof = tuple(_unb64(line, "proof hash") for line in proof_lines)
    return Receipt(leaf, int(match.group(1)), proof, checkpoint_note)


@dataclass(frozen=True)
class TrustPolicy:
    """What a verifier trusts: the log's origin and key, the witnesses and their quorum."""

    origin: str
    log_key: str
    witness_keys: tuple[str, ...] = ()
    quorum: int = 0

    def __post_init__(self) -> None:
        if not 0 <= self.quorum <= len(self.witness_keys):
            raise InvalidVerifierKey(
                f"quorum {self.quorum} is impossible with {len(self.witness_keys)} witnesses"
            )

    @classmethod
    def from_json(cls, value: Any) -> TrustPolicy:
        """Read ``{"origin", "vkey", "witnesses": [...], "quorum": N}`` (the trust file)."""
        if not isinstance(value, dict):
            raise InvalidVerifierKey("trust file must be a JSON object")
        witnesses = value.get("witnesses", [])
        quorum = value.get("quorum", 0)
        if not isinstance(witnesses, list) or not isinstance(quorum, int):
            raise InvalidVerifierKey("trust file: witnesses must be a list, quorum an integer")
        if not isinstance(value.get("origin"), str) or not isinstance(value.get("vkey"), str):
            raise InvalidVerifierKey("trust file needs 'origin' and 'vkey' strings")
        return cls(
            origin=value["origin"],
            log_key=value["vkey"],
            witness_keys=tuple(str(key) for key in witnesses),
            quorum=quorum,
        )

    def to_json(self) -> dict[str, Any]:
        """The trust-file form."""
        return {
            "origin": self.origin,
            "vkey": self.log_key,
            "witnesses": list(self.witness_keys),
            "quorum": self.quorum,
        }


@dataclass(frozen=True)
class VerifiedReceipt:
    """A receipt whose entry is in a checkpoint the log signed and the quorum cosigned."""

    index: int
    entry: SignedEntry
    checkpoint: Checkpoint
    cosigners: tuple[str, ...]
    entry_signature_checked: bool = field(default=False)

    def summary(self) -> dict[str, Any]:
        """A JSON-ready description of what was verified."""
        statement = self.entry.statement
        return {
            "origin": self.checkpoint.origin,
            "index": self.index,
            "tree_size": self.checkpoint.size,
            "root_hash": _b64(self.checkpoint.root_hash),
            "leaf_hash": leaf_hash(self.entry.leaf).hex(),
            "cosigners": list(self.cosigners),
            "entry_signature_checked": self.entry_signature_checked,
            "entry": statement.to_json(),
        }


def verify_receipt(
    text: str | bytes,
    trust: TrustPolicy,
    *,
    actor_key: Callable[[str], Ed25519PublicKey] | Mapping[str, Ed25519PublicKey] | None = None,
) -> VerifiedReceipt:
    """Verify a receipt offline, in the order tlog-proof gives; raise :class:`InvalidReceipt`.

    1. the entry parses as signed evidence (and, when ``actor_key`` can name the actor's
       key, its signature verifies); 2. the log's key signed the checkpoint and its origin
       is the trusted one; 3. at least ``quorum`` distinct trusted witnesses cosigned it;
       4. the inclusion proof leads from the entry's leaf hash to the checkpoint's root.
    """
    receipt = parse_receipt(text)
    try:
        entry = parse_signed_entry(receipt.leaf)
    except InvalidEntry as exc:
        raise InvalidReceipt(f"receipt entry is not valid evidence: {exc.message}") from exc
    checked = _check_entry_signature(entry, actor_key)
    log = parse_verifier_key(trust.log_key)
    if isinstance(log, CosignatureV1Verifier):
        raise InvalidReceipt("the trust file's log key is a witness cosignature key")
    witnesses = [parse_verifier_key(key) for key in trust.witness_keys]
    try:
        note = open_note(receipt.checkpoint_note, [log, *witnesses])
        checkpoint = parse_checkpoint(note.text)
    except InvalidNote as exc:
        raise InvalidReceipt(f"receipt checkpoint does not verify: {exc.message}") from exc
    signed = {(signature.name, signature.key_id) for signature in note.verified}
    if (log.name, log.key_id) not in signed:
        raise InvalidReceipt("receipt checkpoint is not signed by the trusted log key")
    if checkpoint.origin != trust.origin:
        raise InvalidReceipt(f"receipt is from log {checkpoint.origin!r}, not {trust.origin!r}")
    cosigners = tuple(
        sorted({w.name for w in witnesses if (w.name, w.key_id) in signed and w.name != log.name})
    )
    # A quorum of 0 is an explicit choice of the trust file (stage 1 runs without
    # witnesses); the log's own signature is still required above.
    if len(cosigners) < trust.quorum:
        raise InvalidReceipt(
            f"receipt checkpoint has {len(cosigners)} witness cosignatures; "
            f"the trust policy needs {trust.quorum}"
        )
    try:
        verify_inclusion(
            index=receipt.index,
            size=checkpoint.size,
            leaf=leaf_hash(receipt.leaf),
            proof=receipt.proof,
            root=checkpoint.root_hash,
        )
    except InvalidProof as exc:
        raise InvalidReceipt(f"receipt inclusion proof fails: {exc.message}") from exc
    return VerifiedReceipt(receipt.index, entry, checkpoint, cosigners, checked)


def _check_entry_signature(
    entry: SignedEntry,
    actor_key: Callable[[str], Ed25519PublicKey] | Mapping[str, Ed25519PublicKey] | None,
) -> bool:
    if actor_key is None:
        return False
    actor = entry.statement.actor
    if isinstance(actor_key, Mapping):
        key = actor_key.get(actor)
        if key is None:
            return False
    else:
        key = actor_key(actor)
    try:
        verify_signed_entry(entry, key)
    except SignatureInvalid as exc:
        raise InvalidReceipt(f"receipt entry is not validly signed by {actor}") from exc
    return True
